"""Scopes: labels that recorded nodes carry, so tools can group a graph by where it was built.

``nn.Module.__call__`` enters a scope for every module call, which is how ``tensorgrad.viz``
can draw one box per layer; user code may add its own::

    with tensorgrad.autograd.graph.scope("attention"):
        scores = q @ k.mT

A scope frame is a ``(owner, parent_frame)`` pair, where ``owner`` is a module or a string;
each node records the innermost frame that was open when it was created (or None).

Scopes are per thread: a scope open in one thread labels only the nodes that thread
records, and every thread starts with none open.
"""

from __future__ import annotations

import threading

from .._tracing import state as tracing_state
from .._tracing import watch

__all__ = ["scope", "current_scope", "scope_path"]


class _ScopeState(threading.local):
    """``frame``: this thread's innermost open scope; ``__init__`` gives each new thread
    None (no ``__slots__``: slots would be shared by all threads)."""

    def __init__(self):
        self.frame = None


state = _ScopeState()


class scope:  # noqa: N801 - a context manager used like a function
    """Context manager: nodes recorded inside carry ``owner`` (a name or a module)."""

    __slots__ = ("owner", "_previous")

    def __init__(self, owner):
        self.owner = owner

    def __enter__(self):
        if watch.threads and tracing_state.recorder is not None:
            tracing_state.recorder.scope(self.owner)
        self._previous = state.frame
        state.frame = (self.owner, self._previous)
        return self

    def __exit__(self, *exc_info):
        state.frame = self._previous
        return False


def current_scope():
    """The innermost scope frame open in this thread, or None."""
    return state.frame


def scope_path(frame) -> list:
    """The owners of ``frame`` from outermost to innermost."""
    owners = []
    while frame is not None:
        owner, frame = frame
        owners.append(owner)
    return owners[::-1]
