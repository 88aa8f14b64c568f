"""Datasets with PyTorch's names and semantics: map-style ``Dataset``, ``TensorDataset``,
``StackDataset``, ``ConcatDataset``, ``Subset``, ``random_split``; iterable-style
``IterableDataset`` and ``ChainDataset``."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from ..._creation_random import randperm
from ...random import Generator, default_generator
from ...tensor import Tensor

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses implement ``__getitem__(index)`` and, for the default
    samplers, ``__len__()``; ``__getitems__(indices)`` may fetch a whole batch at once.

    As in PyTorch there is no default ``__len__`` (``len()`` of a dataset without one is a
    TypeError), and ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError(
            f"Subclasses of Dataset should implement __getitem__ ({type(self).__name__} does not)"
        )

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclasses implement ``__iter__``. A ``DataLoader`` draws samples
    from it in order (no sampler, no shuffle) and batches them; ``a + b`` is
    ``ChainDataset([a, b])``."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(
            f"Subclasses of IterableDataset should implement __iter__ "
            f"({type(self).__name__} does not)"
        )

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are slices of tensors along their first dimension: ``(t0[i], t1[i], ...)``.

    Every tensor must have the same size in dimension 0 (else AssertionError, as in PyTorch).
    """

    def __init__(self, *tensors: Tensor) -> None:
        for index, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"TensorDataset: expected Tensors, argument {index} is {type(tensor).__name__}"
                )
            if tensor.ndim == 0:
                raise IndexError(
                    f"TensorDataset: tensor {index} is 0-d (dimension specified as 0 but tensor "
                    f"has no dimensions)"
                )
        sizes = [tensor.shape[0] for tensor in tensors]
        if len(set(sizes)) > 1:
            raise AssertionError(
                f"TensorDataset: Size mismatch between tensors: their first dimensions are "
                f"{tuple(sizes)} (shapes {[t.shape for t in tensors]})"
            )
        self.tensors = tensors

    def __getitem__(self, index) -> tuple[Tensor, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0


class StackDataset(Dataset):
    """Datasets side by side: sample i is ``(a[i], b[i], ...)`` for ``StackDataset(a, b)``, or
    ``{"x": a[i], "y": b[i]}`` for ``StackDataset(x=a, y=b)``. All must have one length."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "StackDataset: supported either tuple- (via args) or dict- (via kwargs) like "
                "input/output, but both types are given"
            )
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        datasets = list(args or kwargs.values())
        lengths = [len(dataset) for dataset in datasets]
        if len(set(lengths)) > 1:
            raise ValueError(f"StackDataset: size mismatch between datasets (lengths {lengths})")
        self._length = lengths[0]
        self.datasets = args or kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices``, each part fetched with its dataset's ``__getitems__``
        when it has one."""
        named = self.datasets if isinstance(self.datasets, dict) else dict(enumerate(self.datasets))
        columns = {}
        for key, dataset in named.items():
            getitems = getattr(dataset, "__getitems__", None)
            items = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
            if len(items) != len(indices):
                raise ValueError(
                    f"StackDataset: nested dataset's output size mismatch. Expected "
                    f"{len(indices)}, got {len(items)}"
                )
            columns[key] = items
        if isinstance(self.datasets, dict):
            return [{key: columns[key][row] for key in named} for row in range(len(indices))]
        return [tuple(columns[key][row] for key in named) for row in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[T_co]):
    """Datasets one after another: indices ``0 … len(a) - 1`` are ``a``'s, then ``b``'s…

    ``cumulative_sizes`` holds the running totals; negative indices count from the end.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence: Iterable[Dataset]) -> list[int]:
        """Running totals of the lengths of ``sequence``."""
        totals, total = [], 0
        for dataset in sequence:
            total += len(dataset)
            totals.append(total)
        return totals

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length "
                    f"(index {index}, length {len(self)})"
                )
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another, chained lazily as they are iterated."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(dataset)
        return total


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    A subclass that overrides ``__getitem__`` must override ``__getitems__`` too (the
    DataLoader fetches batches through it): NotImplementedError otherwise, as in PyTorch.
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ and cls.__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{cls.__name__} overrides __getitem__ but not __getitems__; the DataLoader "
                f"fetches batches with __getitems__, so override it too: "
                f"def __getitems__(self, indices): return [self[i] for i in indices]"
            )
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        """The samples at ``indices`` (what a DataLoader fetches for one batch)."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list[int]:
    """Split ``total`` by fractions as PyTorch does: floor each, then deal out the remainder."""
    for index, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"random_split: fraction at index {index} is not between 0 and 1")
    lengths = [math.floor(total * fraction) for fraction in fractions]
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for index, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"random_split: length of split at index {index} is 0; this results in an "
                f"empty dataset",
                stacklevel=3,
            )
    return lengths


def random_split(
    dataset, lengths: Sequence[int | float], generator: Generator | None = default_generator
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1 (then the
    sizes are ``floor(fraction * len)`` plus the remainder dealt one by one from the first).
    Reproducible from a seeded ``generator``.

    Example: ``train, test = random_split(data, [0.8, 0.2], tensorgrad.Generator().manual_seed(0))``
    """
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, total)
    if sum(lengths) != total:
        raise ValueError(
            f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({total})"
        )
    order = randperm(total, generator=generator).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start : start + length]))
        start += length
    return subsets
