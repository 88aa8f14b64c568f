"""``tensorgrad.cuda``: there is no GPU backend, so scripts that ask take the CPU path.

What PyTorch built without CUDA answers, tensorgrad answers: ``is_available()`` is False,
``device_count()`` 0, the memory counters 0; what needs a GPU (``current_device``,
``synchronize``, ``get_device_name``…) raises the device error of ``x.cuda()``.
``tensorgrad.cuda.amp`` holds the deprecated ``GradScaler``/``autocast`` spellings.
"""

from __future__ import annotations

from .. import _cupy  # noqa: F401 - registers the cuda backend (CuPy loads on first use)
from .._backend import check_device
from . import amp

__all__ = [
    "amp",
    "is_available",
    "is_initialized",
    "device_count",
    "current_device",
    "set_device",
    "get_device_name",
    "get_device_capability",
    "get_device_properties",
    "synchronize",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
    "is_bf16_supported",
    "manual_seed",
    "manual_seed_all",
]


def _no_cuda(op: str):
    check_device("cuda", f"cuda.{op}")


def is_available() -> bool:
    """Always False: tensorgrad runs on the CPU."""
    return False


def is_initialized() -> bool:
    """Always False: there is no CUDA state to initialise."""
    return False


def device_count() -> int:
    """Always 0."""
    return 0


def current_device() -> int:
    """Raises: there is no CUDA device (PyTorch without CUDA raises the same way)."""
    _no_cuda("current_device")


def set_device(device) -> None:
    """Raises: there is no CUDA device to select."""
    _no_cuda("set_device")


def get_device_name(device=None) -> str:
    """Raises: there is no CUDA device to name."""
    _no_cuda("get_device_name")


def get_device_capability(device=None) -> tuple[int, int]:
    """Raises: there is no CUDA device."""
    _no_cuda("get_device_capability")


def get_device_properties(device=None):
    """Raises: there is no CUDA device."""
    _no_cuda("get_device_properties")


def synchronize(device=None) -> None:
    """Raises: there is no CUDA device to wait for."""
    _no_cuda("synchronize")


def empty_cache() -> None:
    """Nothing to free (as in PyTorch when CUDA was never initialised)."""


def memory_allocated(device=None) -> int:
    """Always 0 bytes."""
    return 0


def max_memory_allocated(device=None) -> int:
    """Always 0 bytes."""
    return 0


def memory_reserved(device=None) -> int:
    """Always 0 bytes."""
    return 0


def max_memory_reserved(device=None) -> int:
    """Always 0 bytes."""
    return 0


def reset_peak_memory_stats(device=None) -> None:
    """Raises: there is no CUDA device."""
    _no_cuda("reset_peak_memory_stats")


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Always False (nanoGPT picks float16 then, and its scaler disables itself)."""
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed (kept so that seeding code written for PyTorch runs)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (kept so that seeding code written for PyTorch runs)."""
