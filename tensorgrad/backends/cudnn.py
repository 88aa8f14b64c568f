"""``tensorgrad.backends.cudnn``: cuDNN's switches, accepted with no effect (there is no cuDNN).

Set them as in PyTorch (``cudnn.benchmark = True``); they are plain module attributes that
nothing reads.
"""

from __future__ import annotations

__all__ = ["is_available", "version", "enabled", "benchmark", "deterministic", "allow_tf32"]

enabled = True  # PyTorch's defaults
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Always False: tensorgrad has no cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN is loaded."""
    return None
