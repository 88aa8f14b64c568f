"""``DataLoader``: iterate over a dataset in (optionally shuffled) batches.

Batches are built in the calling process (``num_workers`` is accepted and ignored). Each epoch
(each ``iter(loader)``) visits every sample once; with ``shuffle=True`` the order is a fresh
permutation drawn from ``generator`` (or the global generator), so a seeded generator replays
the same sequence of epochs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ...random import Generator
from .collate import default_collate
from .dataset import Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]


def _tensor_dataset_rows(dataset) -> tuple[TensorDataset | None, Any]:
    """The TensorDataset under a chain of Subsets, and the map from outer to inner indices."""
    mapping = None
    while type(dataset) is Subset:  # subclasses may override __getitem__: no shortcut
        indices = np.asarray(dataset.indices, dtype=np.int64)
        mapping = indices if mapping is None else indices[mapping]
        dataset = dataset.dataset
    return (dataset, mapping) if type(dataset) is TensorDataset else (None, None)


class DataLoader:
    """Batches of samples from a map-style dataset (anything with ``__len__``/``__getitem__``).

    Args:
        dataset: the samples.
        batch_size: samples per batch.
        shuffle: visit the samples in a new random order each epoch.
        sampler: the index order (mutually exclusive with ``shuffle``).
        batch_sampler: yields lists of indices (mutually exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: accepted for compatibility; batches are always made in the calling
            process (a warning says so when it is not 0). PyTorch's worker and memory options
            (``pin_memory``, ``persistent_workers``, ``worker_init_fn``, ``prefetch_factor``,
            ``timeout``, ``multiprocessing_context``, ``in_order``…) are accepted and ignored.
        collate_fn: merges a list of samples into a batch (default: :func:`default_collate`).
        drop_last: skip the last batch if it is smaller than ``batch_size``.
        generator: the random numbers for ``shuffle``.

    A ``TensorDataset`` (or a ``Subset`` of one) with the default collation is batched by
    indexing its tensors once per batch, which gives the same batch as stacking the samples.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        # PyTorch's positional order; the worker and memory options have nothing to do here.
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be >= 0, got {num_workers}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError(
                "DataLoader: prefetch_factor and persistent_workers need num_workers > 0"
            )
        if num_workers:
            warnings.warn(
                f"DataLoader: num_workers={num_workers} is accepted for PyTorch compatibility, "
                f"but tensorgrad builds batches in the calling process",
                stacklevel=2,
            )
            if worker_init_fn is not None:
                worker_init_fn(0)  # the calling process plays the one worker
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            raise ValueError("DataLoader: batch_size=None (no automatic batching) is not supported")
        if sampler is None and shuffle:
            sampler = RandomSampler(dataset, generator=generator)
        elif sampler is None:
            sampler = SequentialSampler(dataset)
        if batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = 0
        self.generator = generator
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self) -> int:
        """The number of batches per epoch."""
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator:
        tensors, mapping = None, None
        if self.collate_fn is default_collate:
            tensors, mapping = _tensor_dataset_rows(self.dataset)
        for indices in self.batch_sampler:
            if tensors is not None:
                rows = np.asarray(indices, dtype=np.int64)
                rows = rows if mapping is None else mapping[rows]
                yield [tensor[rows] for tensor in tensors.tensors]
                continue
            getitems = getattr(self.dataset, "__getitems__", None)
            samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)
