"""``tensorgrad.backends.mps``: Apple's Metal backend, which tensorgrad does not have."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """Always False: scripts that ask fall back to the CPU."""
    return False


def is_built() -> bool:
    """Always False: tensorgrad is not built with MPS."""
    return False
