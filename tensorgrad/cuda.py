"""``tensorgrad.cuda``: there is no GPU backend, so scripts that ask take the CPU path."""

from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """Always False: tensorgrad runs on the CPU."""
    return False


def device_count() -> int:
    """Always 0."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (kept so that seeding code written for PyTorch runs)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (kept so that seeding code written for PyTorch runs)."""
