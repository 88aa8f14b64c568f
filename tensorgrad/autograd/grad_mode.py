"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The flag is per thread, as in PyTorch: every thread starts with recording on, whatever the
thread that started it is doing, and ``no_grad``, ``set_grad_enabled`` and ``inference_mode``
(as blocks, decorators or plain calls) change only the thread that runs them. So two threads
can train independent models at once, and one thread's ``no_grad`` evaluation neither stops
the other's recording nor leaves recording off when the two blocks end out of order.

As in PyTorch, a context-manager object remembers the mode it replaced, so one object must
not be open in two threads at once: ``with no_grad():`` makes a new one each time, and a
decorator makes a new one per call.
"""

from __future__ import annotations

import functools
import threading

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]


class _GradState(threading.local):
    """``enabled``: whether this thread records; ``inference``: whether it is inside
    ``inference_mode()``. ``__init__`` runs again, giving the defaults, the first time each
    new thread touches the object. (No ``__slots__``: slots would live on the one shared
    object, not per thread.)"""

    def __init__(self):
        self.enabled = True
        self.inference = False


state = _GradState()


def is_grad_enabled() -> bool:
    """True when ops record the graph for ``backward``."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and not inside a nested ``inference_mode(False)``);
    ``no_grad`` alone does not count, as in PyTorch."""
    return state.inference


class _GradModeContext:
    """Base of the context managers; each also works as a function decorator."""

    _target: bool

    def __enter__(self):
        self._previous = state.enabled
        state.enabled = self._target
        return None

    def __exit__(self, *exc_info):
        state.enabled = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return function(*args, **kwargs)

        return wrapper

    def _fresh(self):
        return self.__class__()


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: ops inside record no graph (inference, optimizer steps)."""

    _target = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: turn recording back on inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Set recording on or off; takes effect at once, and as a context manager restores it.

    ``set_grad_enabled(False)`` used as a plain call switches recording off until switched
    back, exactly like PyTorch.
    """

    def __init__(self, mode: bool):
        self._target = bool(mode)
        self._previous = state.enabled
        state.enabled = self._target

    def __enter__(self):
        return None

    def __call__(self, function):
        state.enabled = self._previous  # used as a decorator: switch only while it runs
        return super().__call__(function)

    def _fresh(self):
        return set_grad_enabled(self._target)


class inference_mode(_GradModeContext):  # noqa: N801 - PyTorch's name
    """``no_grad`` under PyTorch's newer name (tensorgrad has no separate inference tensors);
    ``inference_mode(False)`` records again. Usable as ``@inference_mode`` too."""

    def __new__(cls, mode=True):
        if callable(mode):  # used as a bare decorator: @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._target = not mode

    def __enter__(self):
        self._previous_inference = state.inference
        state.inference = not self._target
        return super().__enter__()

    def __exit__(self, *exc_info):
        state.inference = self._previous_inference
        return super().__exit__(*exc_info)

    def _fresh(self):
        return inference_mode(not self._target)
