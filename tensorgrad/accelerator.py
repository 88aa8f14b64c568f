"""``tensorgrad.accelerator``: PyTorch's device-agnostic accelerator API, answered for a
machine without one. ``is_available()`` is False and ``current_accelerator()`` None, so
``device = acc if (acc := accelerator.current_accelerator()) else "cpu"`` picks the CPU; what
needs an accelerator raises PyTorch's RuntimeError."""

from __future__ import annotations

from . import _device

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


def _none_available(op: str):
    _device.no_accelerator(f"accelerator.{op}")


def is_available() -> bool:
    """Always False: tensorgrad runs on the CPU."""
    return False


def current_accelerator(check_available: bool = False) -> _device.device | None:
    """The accelerator device type: None, there is none."""
    return None


def device_count() -> int:
    """Always 0."""
    return 0


def current_device_index() -> int:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("current_device_index")


def set_device_index(device, /) -> None:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("set_device_index")


def synchronize(device=None, /) -> None:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("synchronize")


def empty_cache() -> None:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("empty_cache")


def memory_allocated(device_index=None, /) -> int:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("memory_allocated")


def max_memory_allocated(device_index=None, /) -> int:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("max_memory_allocated")


def memory_reserved(device_index=None, /) -> int:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("memory_reserved")


def max_memory_reserved(device_index=None, /) -> int:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("max_memory_reserved")


def reset_peak_memory_stats(device_index=None, /) -> None:
    """Raises RuntimeError: there is no accelerator."""
    _none_available("reset_peak_memory_stats")
