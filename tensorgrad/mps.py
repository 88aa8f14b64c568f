"""``tensorgrad.mps``: Apple's Metal device, which tensorgrad does not have.

What PyTorch answers on a machine without MPS, tensorgrad answers: ``is_available()`` is
False and ``device_count()`` 0; ``manual_seed`` does nothing (so seeding code for every
device runs); everything that needs the device (``empty_cache``, ``synchronize``, the memory
counters, the generator's state) raises the device error of ``x.to("mps")``, a RuntimeError.
"""

from __future__ import annotations

from ._backend import check_device

__all__ = [
    "is_available",
    "device_count",
    "manual_seed",
    "seed",
    "get_rng_state",
    "set_rng_state",
    "synchronize",
    "empty_cache",
    "set_per_process_memory_fraction",
    "current_allocated_memory",
    "driver_allocated_memory",
    "recommended_max_memory",
]


def _no_mps(op: str):
    check_device("mps", f"mps.{op}")


def is_available() -> bool:
    """Always False: tensorgrad runs on the CPU."""
    return False


def device_count() -> int:
    """Always 0."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (PyTorch without MPS ignores the call too)."""


def seed() -> None:
    """Raises: there is no MPS generator to seed."""
    _no_mps("seed")


def get_rng_state(device="mps"):
    """Raises: there is no MPS generator."""
    _no_mps("get_rng_state")


def set_rng_state(new_state, device="mps") -> None:
    """Raises: there is no MPS generator."""
    _no_mps("set_rng_state")


def synchronize() -> None:
    """Raises: there is no MPS device to wait for."""
    _no_mps("synchronize")


def empty_cache() -> None:
    """Raises: there is no MPS memory cache (PyTorch without MPS raises too)."""
    _no_mps("empty_cache")


def set_per_process_memory_fraction(fraction: float) -> None:
    """Raises: there is no MPS memory to limit."""
    _no_mps("set_per_process_memory_fraction")


def current_allocated_memory() -> int:
    """Raises: there is no MPS memory."""
    _no_mps("current_allocated_memory")


def driver_allocated_memory() -> int:
    """Raises: there is no MPS memory."""
    _no_mps("driver_allocated_memory")


def recommended_max_memory() -> int:
    """Raises: there is no MPS memory."""
    _no_mps("recommended_max_memory")
