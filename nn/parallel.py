"""``tensorgrad.nn.parallel``: PyTorch's data-parallel wrappers, for a single CPU process.

``DataParallel`` does what PyTorch's does on a machine without GPUs: it keeps the module as
``.module`` and calls it (``state_dict`` keys gain the ``module.`` prefix, as in PyTorch).
``DistributedDataParallel`` raises, since ``tensorgrad.distributed`` cannot start a process
group: scripts take their single-process path when ``distributed.is_available()`` or
``is_initialized()`` is False.
"""

from __future__ import annotations

from collections.abc import Sequence

from tensorgrad.nn.module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


class DistributedNotAvailableError(RuntimeError, ValueError):
    """No process group exists. PyTorch raises ValueError for an uninitialised group; this is
    also a RuntimeError, the error of ``distributed.init_process_group`` here."""


class DataParallel(Module):
    """Runs ``module`` on the CPU: a transparent wrapper (``device_ids`` is always ``[]``)."""

    def __init__(
        self,
        module: Module,
        device_ids: Sequence[int] | None = None,
        output_device=None,
        dim: int = 0,
    ) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list[int] = []  # PyTorch's value when no GPU is available

    def forward(self, *inputs, **kwargs):
        """``module(*inputs, **kwargs)``."""
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    """Raises: distributed training is not available (no process group can exist)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim=0, **kwargs):
        raise DistributedNotAvailableError(
            "DistributedDataParallel: distributed training is not available: tensorgrad runs in "
            "one process and no process group was initialized (tensorgrad.distributed."
            "is_available() is False); use the module itself"
        )

    def forward(self, *inputs, **kwargs):
        """Never reached: the constructor raises."""
        raise DistributedNotAvailableError("DistributedDataParallel: not available")
