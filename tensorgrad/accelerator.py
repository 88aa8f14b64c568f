"""``tensorgrad.accelerator``: PyTorch's device-agnostic accelerator API. The one accelerator
tensorgrad knows is CUDA through CuPy (:mod:`tensorgrad.cuda`); these calls answer for it.

Without it, ``is_available()`` is False and ``current_accelerator()`` None, so
``device = acc if (acc := accelerator.current_accelerator()) else "cpu"`` picks the CPU; what
needs an accelerator raises PyTorch's RuntimeError."""

from __future__ import annotations

from . import _device, cuda

__all__ = [
    "is_available",
    "current_accelerator",
    "device_count",
    "current_device_index",
    "set_device_index",
    "synchronize",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
]


def _cuda(op: str):
    """:mod:`tensorgrad.cuda`, or PyTorch's RuntimeError when there is no accelerator."""
    if not cuda.is_available():
        _device.no_accelerator(f"accelerator.{op}")
    return cuda


def is_available() -> bool:
    """Whether an accelerator (CUDA through CuPy) is present."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> _device.device | None:
    """``device(type='cuda')`` when CUDA is available, else None."""
    return _device.device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """The number of accelerators (GPUs), 0 without one."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the current GPU."""
    return _cuda("current_device_index").current_device()


def set_device_index(device, /) -> None:
    """Make ``device`` the current GPU."""
    _cuda("set_device_index").set_device(device)


def synchronize(device=None, /) -> None:
    """Wait for the GPU's queued work."""
    _cuda("synchronize").synchronize(device)


def empty_cache() -> None:
    """Give unused cached GPU memory back."""
    _cuda("empty_cache").empty_cache()


def memory_allocated(device_index=None, /) -> int:
    """Bytes of GPU memory in use by tensors (see :func:`tensorgrad.cuda.memory_allocated`)."""
    return _cuda("memory_allocated").memory_allocated(device_index)


def max_memory_allocated(device_index=None, /) -> int:
    """The peak of :func:`memory_allocated` (see :mod:`tensorgrad.cuda` on peaks)."""
    return _cuda("max_memory_allocated").max_memory_allocated(device_index)


def memory_reserved(device_index=None, /) -> int:
    """Bytes of GPU memory held by the allocator."""
    return _cuda("memory_reserved").memory_reserved(device_index)


def max_memory_reserved(device_index=None, /) -> int:
    """The peak of :func:`memory_reserved`."""
    return _cuda("max_memory_reserved").max_memory_reserved(device_index)


def reset_peak_memory_stats(device_index=None, /) -> None:
    """Start the peaks again from the current values."""
    _cuda("reset_peak_memory_stats").reset_peak_memory_stats(device_index)
