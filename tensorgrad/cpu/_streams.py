"""CPU streams and events: placeholders with CUDA's methods, for device-agnostic code.

tensorgrad runs each op to completion before the next, so there is one implicit stream,
every event has already happened, and waiting returns at once. ``stream(s)`` still makes
``s`` the current stream inside the block, as in PyTorch.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

__all__ = ["Stream", "Event", "StreamContext", "current_stream", "stream"]


class Stream:
    """A CPU stream: accepted wherever a stream is, with nothing to order."""

    def __init__(self, priority: int = -1) -> None:
        pass  # one implicit stream: a priority changes nothing

    def wait_stream(self, stream: Stream) -> None:
        """Nothing to wait for."""

    def wait_event(self, event: Event) -> None:
        """Nothing to wait for."""

    def record_event(self) -> None:
        """Nothing to record (PyTorch's CPU stream returns None too)."""


class Event:
    """A CPU event: always already reached."""

    def query(self) -> bool:
        """True: the event has happened."""
        return True

    def record(self, stream: Stream | None = None) -> None:
        """Nothing to record: work before it is done."""

    def synchronize(self) -> None:
        """Returns at once."""

    def wait(self, stream: Stream | None = None) -> None:
        """Returns at once."""


_current = [Stream()]  # the default stream until a ``stream(...)`` block picks another


def current_stream(device=None) -> Stream:
    """The stream selected by the innermost ``stream(...)`` block (the default one outside)."""
    return _current[0]


class StreamContext(AbstractContextManager):
    """Makes ``stream`` current inside the block (``None`` leaves the current one)."""

    def __init__(self, stream: Stream | None) -> None:
        self.stream = stream
        self._previous: list[Stream] = []

    def __enter__(self) -> None:
        self._previous.append(_current[0])
        if self.stream is not None:
            _current[0] = self.stream

    def __exit__(self, *exc_info) -> None:
        _current[0] = self._previous.pop()


def stream(stream: Stream | None) -> StreamContext:
    """``with tensorgrad.cpu.stream(s):`` makes ``s`` the current stream inside the block."""
    return StreamContext(stream)
