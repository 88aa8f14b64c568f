"""``DataLoader``: iterate over a dataset in (optionally shuffled) batches.

Every argument of PyTorch's DataLoader is accepted, with its checks and errors; batches are
always built in the calling process. Each epoch (each ``iter(loader)``) visits every sample
once; with ``shuffle=True`` the order is a fresh permutation drawn from ``generator`` (or the
global generator), so a seeded generator replays the same sequence of epochs.

*Decision — workers.* ``num_workers > 0`` warns and then behaves as one worker running in the
calling process: ``get_worker_info()`` describes that worker (``id=0, num_workers=1``) while
the dataset is read, so an ``IterableDataset`` that shards itself by worker yields each sample
once, and ``worker_init_fn(0)`` is called once, when the first epoch starts. PyTorch calls it
in every fresh worker process (each epoch unless ``persistent_workers``); here it would run
again in the main process, where the usual ``seed_worker`` recipe would reseed NumPy and
``random`` to the same state every epoch. The worker's ``seed`` is drawn per epoch as
PyTorch's base seed is, but the calling process's generators are not reseeded with it.
"""

from __future__ import annotations

import multiprocessing
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import numpy as np

from ..._backend import accelerator_available
from ...random import Generator, numpy_generator
from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "WorkerInfo", "get_worker_info"]

T_co = TypeVar("T_co", covariant=True)
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
_current = threading.local()


class WorkerInfo:
    """The worker a dataset is being read by: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset) -> None:  # noqa: A002
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def _warn_about_pinning(pin_memory_device: str) -> None:
    # PyTorch's warnings, word for word, under PyTorch's conditions. stacklevel=1 on purpose:
    # one location, so Python's default filter shows each once per process, as PyTorch's
    # (raised inside torch) are.
    if pin_memory_device:
        warnings.warn(
            f"pin_memory_device is deprecated, the current accelerator will be used as the "
            f"device,ignore pin_memory_device='{pin_memory_device}'.",
            stacklevel=1,
        )
    if not accelerator_available():
        warnings.warn(
            "'pin_memory' argument is set as true but no accelerator is found, then device "
            "pinned memory won't be used.",
            stacklevel=1,
        )


def get_worker_info() -> WorkerInfo | None:
    """The worker reading the dataset right now, or None in the main process.

    A DataLoader with ``num_workers > 0`` reads its dataset as one worker (see the module's
    note), so inside ``Dataset.__iter__``/``__getitem__`` and ``worker_init_fn`` this returns
    ``WorkerInfo(id=0, num_workers=1, …)``; elsewhere it returns None.
    """
    return getattr(_current, "worker", None)


class _InfiniteConstantSampler(Sampler):
    """None, forever: the sampler of an IterableDataset (PyTorch's)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


@contextmanager
def _as_worker(worker: WorkerInfo | None):
    previous = getattr(_current, "worker", None)
    _current.worker = worker
    try:
        yield
    finally:
        _current.worker = previous


def _tensor_dataset_rows(dataset) -> tuple[TensorDataset | None, Any]:
    """The TensorDataset under a chain of Subsets, and the map from outer to inner indices."""
    mapping = None
    while type(dataset) is Subset:  # subclasses may override __getitem__: no shortcut
        indices = np.asarray(dataset.indices, dtype=np.int64)
        mapping = indices if mapping is None else indices[mapping]
        dataset = dataset.dataset
    return (dataset, mapping) if type(dataset) is TensorDataset else (None, None)


def _check_worker_options(loader: DataLoader, prefetch_factor, persistent_workers, context):
    workers = loader.num_workers
    if workers < 0:
        raise ValueError(
            f"DataLoader: num_workers option should be non-negative (got {workers}); use "
            f"num_workers=0 to disable multiprocessing"
        )
    if loader.timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {loader.timeout}")
    if workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "DataLoader: prefetch_factor option could only be specified in multiprocessing; "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None"
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("DataLoader: prefetch_factor option should be non-negative")
    if persistent_workers and workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    if context is None:
        return
    if workers == 0:
        raise ValueError(
            f"DataLoader: multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"DataLoader: multiprocessing_context option should specify a valid start "
                f"method in {methods!r}, but got multiprocessing_context={context!r}"
            )
    elif not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            f"DataLoader: multiprocessing_context option should be a valid context object or a "
            f"string specifying the start method, but got multiprocessing_context={context!r}"
        )


class DataLoader(Generic[T_co]):
    """Batches of samples from a dataset, with PyTorch's arguments and their checks.

    Args:
        dataset: a map-style dataset (``__getitem__``/``__len__``) or an ``IterableDataset``.
        batch_size: samples per batch; None turns batching off (each sample is yielded
            through ``default_convert``).
        shuffle: a new random order each epoch (map-style only; with an ``IterableDataset``
            anything but None/False is a ValueError, as in PyTorch).
        sampler: the index order (mutually exclusive with ``shuffle``).
        batch_sampler: yields lists of indices (mutually exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: see the module's note: accepted, batches built in the calling process.
        collate_fn: merges a list of samples into a batch (default: ``default_collate``, or
            ``default_convert`` when ``batch_size`` is None).
        drop_last: skip the last batch if it is smaller than ``batch_size``.
        worker_init_fn: called once with 0 when the first epoch starts (``num_workers > 0``).
        generator: the random numbers for ``shuffle`` and the per-epoch worker seed.

    ``pin_memory``, ``pin_memory_device``, ``timeout``, ``prefetch_factor``,
    ``persistent_workers``, ``multiprocessing_context`` and ``in_order`` are checked as PyTorch
    checks them and have no effect. ``pin_memory=True`` warns, as PyTorch does without an
    accelerator, when an epoch starts (shown once per process by Python's default filter);
    with one (CUDA through CuPy) it is silent and batches stay in ordinary host memory
    (tensorgrad allocates no page-locked memory): ``batch.to("cuda", non_blocking=True)``
    works the same, without overlapping the copy.

    ``len(loader)`` is PyTorch's: the batch sampler's length, or for an ``IterableDataset``
    ``len(dataset) / batch_size`` rounded as ``drop_last`` says. A ``TensorDataset`` (or a
    ``Subset`` of one) with the default collation is batched by indexing its tensors once per
    batch, which gives the same batch as stacking the samples.
    """

    _initialized = False

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
        self.num_workers, self.timeout = num_workers, timeout
        _check_worker_options(self, prefetch_factor, persistent_workers, multiprocessing_context)
        if num_workers:
            warnings.warn(
                f"DataLoader: num_workers={num_workers} is accepted for PyTorch compatibility, "
                f"but tensorgrad builds batches in the calling process (as one worker)",
                stacklevel=2,
            )
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            options = (  # shuffle=False is allowed: it was the default once (PyTorch's reason)
                ("shuffle", shuffle, shuffle not in (None, False)),
                ("sampler", sampler, sampler is not None),
                ("batch_sampler", batch_sampler, batch_sampler is not None),
            )
            for name, value, given in options:
                if given:
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value!r}"
                    )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if self._iterable:
            sampler = _InfiniteConstantSampler()
        elif sampler is None and shuffle:
            sampler = RandomSampler(dataset, generator=generator)
        elif sampler is None:
            sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.prefetch_factor = 2 if num_workers and prefetch_factor is None else prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers, self.in_order = persistent_workers, in_order
        if collate_fn is None:
            batching = batch_size is not None or batch_sampler is not None
            collate_fn = default_collate if batching else default_convert
        self.collate_fn = collate_fn
        self._worker_started = False
        self._length_reported: int | None = None
        self._initialized = True

    def __setattr__(self, name: str, value) -> None:
        if self._initialized and name in _FROZEN:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(name, value)

    def __len__(self) -> int:
        """The number of batches per epoch (for an IterableDataset, from ``len(dataset)``)."""
        if not self._iterable:
            return len(self.sampler if self.batch_sampler is None else self.batch_sampler)
        length = len(self.dataset)
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        self._length_reported = length
        return length

    def __iter__(self) -> Iterator:
        """One epoch of batches."""
        # Drawn every epoch, workers or not, as PyTorch draws its base seed: the number of
        # workers then changes nothing about the batches.
        seed = int(numpy_generator(self.generator).integers(0, 2**63 - 1))
        if self.pin_memory:
            _warn_about_pinning(self.pin_memory_device)
        worker = None
        if self.num_workers:
            worker = WorkerInfo(id=0, num_workers=1, seed=seed, dataset=self.dataset)
            if not self._worker_started and self.worker_init_fn is not None:
                with _as_worker(worker):
                    self.worker_init_fn(0)
            self._worker_started = True
        batches = self._stream(worker) if self._iterable else self._indexed(worker)
        return self._counted(batches) if self._iterable else batches

    def _indexed(self, worker: WorkerInfo | None) -> Iterator:
        tensors, mapping = None, None
        if self.collate_fn is default_collate:
            tensors, mapping = _tensor_dataset_rows(self.dataset)
        if self.batch_sampler is None:  # no batching: one converted sample per index
            for index in self.sampler:
                with _as_worker(worker):
                    sample = self.dataset[index]
                yield self.collate_fn(sample)
            return
        for indices in self.batch_sampler:
            if tensors is not None:
                rows = np.asarray(indices, dtype=np.int64)
                rows = rows if mapping is None else mapping[rows]
                yield [tensor[rows] for tensor in tensors.tensors]
                continue
            getitems = getattr(self.dataset, "__getitems__", None)
            with _as_worker(worker):
                samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)

    def _stream(self, worker: WorkerInfo | None) -> Iterator:
        with _as_worker(worker):
            samples = iter(self.dataset)
        while True:
            batch = []
            with _as_worker(worker):
                for sample in samples:
                    batch.append(sample)
                    if self.batch_size is None or len(batch) == self.batch_size:
                        break
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch[0] if self.batch_size is None else batch)
            if self.batch_size is not None and len(batch) < self.batch_size:
                return

    def _counted(self, batches: Iterator) -> Iterator:
        """``batches``, warning once if more come than ``len(loader)`` said (PyTorch's check)."""
        for count, batch in enumerate(batches, 1):
            reported = self._length_reported
            if reported is not None and count == reported + 1:
                warnings.warn(
                    f"Length of IterableDataset {self.dataset} was reported to be {reported} "
                    f"batches (when accessing len(dataloader)), but more have been fetched",
                    stacklevel=2,
                )
            yield batch
