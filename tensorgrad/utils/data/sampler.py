"""Samplers: which indices a ``DataLoader`` visits, in which order, in which batches.

Random samplers draw lazily, a chunk at a time, so ``RandomSampler(data, replacement=True,
num_samples=10**10)`` (makemore's endless stream) costs a few kilobytes, not 74 GiB. Their
numbers come from ``generator``, or — as in PyTorch — from a private generator seeded from
the global one when each epoch starts, so an epoch's order is fixed by ``manual_seed`` and
by nothing that runs during the epoch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

from ..._creation import as_tensor
from ..._dtypes import float64
from ...ops.sampling import multinomial
from ...random import Generator, numpy_generator

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)
_CHUNK = 4096  # indices drawn at a time by the lazy samplers


class Sampler(Generic[T_co]):
    """Base class: an iterable of dataset indices (or of lists of indices, for batches).

    Subclasses implement ``__iter__`` and, if they know it, ``__len__`` (``len(loader)`` needs
    it). As in PyTorch there is no default ``__len__``.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")


class SequentialSampler(Sampler[int]):
    """0, 1, …, len(data_source) - 1, every epoch."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _epoch_generator(generator: Generator | None) -> Generator:
    """``generator``, or a fresh one seeded from the global generator (PyTorch's rule)."""
    if generator is not None:
        return generator
    return Generator().manual_seed(int(numpy_generator(None).integers(0, 2**63 - 1)))


class RandomSampler(Sampler[int]):
    """A fresh random permutation of the indices every epoch.

    With ``replacement=True``, ``num_samples`` indices drawn independently instead (default
    ``len(data_source)``); without, ``num_samples`` larger than the dataset chains
    permutations. Indices are drawn lazily, a chunk at a time.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value, but got "
                f"replacement={replacement!r}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        """How many indices an epoch yields (the dataset's current length unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, remaining = len(self.data_source), self.num_samples
        if n == 0:  # PyTorch fails inside randint/randperm here (RuntimeError/ZeroDivisionError)
            raise RuntimeError("RandomSampler: cannot draw samples from an empty data_source")
        rng = numpy_generator(_epoch_generator(self.generator))
        while remaining > 0:
            if self.replacement:
                drawn = rng.integers(0, n, min(remaining, _CHUNK)).tolist()
            else:
                drawn = rng.permutation(n)[:remaining].tolist()
            remaining -= len(drawn)
            yield from drawn

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a fresh random order every epoch (without replacement)."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for position in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices of ``weights`` drawn with probability proportional to them.

    Weights need not sum to one. Without replacement each index appears at most once. The
    draws are ``tensorgrad.multinomial``'s, so its errors (negative, infinite or all-zero
    weights; more samples than weights without replacement) come when an epoch starts, as in
    PyTorch; with replacement they are drawn lazily, a chunk at a time.
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"WeightedRandomSampler: num_samples should be a positive integer value, but "
                f"got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"WeightedRandomSampler: replacement should be a boolean value, but got "
                f"replacement={replacement!r}"
            )
        weights_tensor = as_tensor(weights, dtype=float64)
        if weights_tensor.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights should be a 1d sequence but given weights "
                f"have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        if not self.replacement:
            yield from multinomial(
                self.weights, self.num_samples, False, generator=self.generator
            ).tolist()
            return
        # Chunks never smaller than the weights, so the O(len(weights)) set-up of each draw
        # stays a constant cost per index.
        chunk = max(_CHUNK, len(self.weights))
        remaining = self.num_samples
        while remaining > 0:
            count = min(remaining, chunk)
            yield from multinomial(self.weights, count, True, generator=self.generator).tolist()
            remaining -= count

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last may be short,
    or dropped with ``drop_last``).

    Example: ``list(BatchSampler(SequentialSampler(range(10)), 3, False))`` is
    ``[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]``.
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while len(batch) == self.batch_size:
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
