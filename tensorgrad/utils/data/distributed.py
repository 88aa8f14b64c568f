"""``DistributedSampler``: one replica's share of a dataset, PyTorch's arithmetic.

tensorgrad runs in one process (``tensorgrad.distributed.is_available()`` is False), so
``num_replicas`` and ``rank`` must be given; with them, each rank gets PyTorch's indices (the
order padded by wrapping around, or cut with ``drop_last``, then every ``num_replicas``-th).
With ``shuffle=True`` the order is a permutation drawn from a generator seeded with
``seed + epoch`` (tensorgrad's generator, so not PyTorch's numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from ..._creation_random import randperm
from ...random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """The indices of ``dataset`` that replica ``rank`` of ``num_replicas`` visits."""

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:  # PyTorch asks the process group: none here
            raise RuntimeError(
                "Requires distributed package to be available (tensorgrad runs in one "
                "process: pass num_replicas and rank)"
            )
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            generator = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(len(self.dataset), generator=generator).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, so that each epoch shuffles differently (call it before each)."""
        self.epoch = epoch
