"""``tensorgrad.cpu``: ``torch.cpu``'s answers, so device-agnostic scripts run unchanged.

The CPU is the one device: ``is_available()`` is True, ``device_count()`` 1,
``current_device()`` ``"cpu"``. Every op has finished when it returns, so ``synchronize``
has nothing to wait for and streams and events are placeholders that are always done.
``tensorgrad.cpu.amp`` holds the deprecated ``autocast``/``GradScaler`` spellings.
"""

from __future__ import annotations

from . import amp
from ._streams import Event, Stream, StreamContext, current_stream, stream

__all__ = [
    "amp",
    "is_available",
    "is_initialized",
    "synchronize",
    "current_device",
    "current_stream",
    "stream",
    "set_device",
    "device_count",
    "Stream",
    "StreamContext",
    "Event",
]


def is_available() -> bool:
    """Always True: tensorgrad runs on the CPU."""
    return True


def is_initialized() -> bool:
    """Always True: the CPU needs no initialising."""
    return True


def device_count() -> int:
    """Always 1: the CPU counts as one device, whatever its number of cores."""
    return 1


def current_device() -> str:
    """Always ``"cpu"``."""
    return "cpu"


def set_device(device) -> None:
    """Nothing to select: there is one CPU device."""


def synchronize(device=None) -> None:
    """Returns at once: every op has finished by the time it returns."""
