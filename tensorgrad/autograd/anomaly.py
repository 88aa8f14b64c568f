"""Anomaly detection: name the first op whose forward or backward produced NaN or inf.

The mode is per thread: every thread starts with it off, and ``detect_anomaly`` or
``set_detect_anomaly`` in one thread does not check (or slow down) the ops of another.
(PyTorch keeps this one flag process-wide; tensorgrad makes it per thread like grad mode, so
that blocks ending out of order in two threads cannot leave it stuck on, and because a
backward here always runs on the thread that called it.)
"""

from __future__ import annotations

import threading
import traceback

from .._backend import array_module
from .._tracing import watch, watch_lock

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


class _AnomalyState(threading.local):
    """Per-thread flags; ``__init__`` gives each new thread the defaults (no ``__slots__``:
    slots would be shared by all threads)."""

    def __init__(self):
        self.enabled = False
        self.in_backward = False  # set by the engine while a node's backward runs


state = _AnomalyState()


def _switch(enabled: bool) -> None:
    """Set this thread's flag and keep :data:`watch` in step."""
    enabled = bool(enabled)
    if enabled != state.enabled:
        with watch_lock:
            watch.threads += 1 if enabled else -1
        state.enabled = enabled


def checking() -> bool:
    """True when this thread checks ops for NaN/inf (the cheap test the ops make)."""
    return bool(watch.threads) and state.enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` in this thread."""
    return state.enabled


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager: raise at the first op whose forward or backward makes NaN/inf.

    Each node also remembers where it was created, and the error quotes that line, so a NaN
    found deep in backward points at the forward line that built the op. This costs a stack
    walk per op: use it for debugging, not for training runs.

    Args:
        check_nan: set False to record creation sites without checking values.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = state.enabled
        _switch(self.check_nan)
        return self

    def __exit__(self, *exc_info):
        _switch(self._previous)
        return False


class set_detect_anomaly(detect_anomaly):  # noqa: N801 - PyTorch's name
    """Switch anomaly detection on or off (also usable as a context manager)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(check_nan=check_nan and mode)
        self._previous = state.enabled
        _switch(bool(mode) and check_nan)

    def __enter__(self):
        return self


def creation_trace() -> list[str]:
    """Where the current op is being created, user frames only, innermost last."""
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if "/tensorgrad/" not in f.filename.replace("\\", "/")]
    return traceback.format_list(user[-4:])


def _first_bad(arrays):
    for index, array in enumerate(arrays):
        if array is None or getattr(array, "dtype", None) is None or array.dtype.kind != "f":
            continue
        if not array_module(array).isfinite(array).all():
            return index
    return None


def check_forward(node, arrays) -> None:
    """Raise if anomaly mode is on and ``node``'s forward produced NaN/inf."""
    if not watch.threads or not state.enabled or state.in_backward:
        return
    index = _first_bad(arrays)
    if index is not None:
        raise RuntimeError(
            f"anomaly: forward of {node.name()} produced NaN or inf in output {index}"
            + _where(node)
        )


def check_backward(node, gradients) -> None:
    """Raise if anomaly mode is on and ``node``'s backward produced NaN/inf."""
    if not watch.threads or not state.enabled:
        return
    arrays = [getattr(g, "_data", g) for g in gradients]  # arrays, or Tensors (create_graph)
    index = _first_bad(arrays)
    if index is not None:
        raise RuntimeError(
            f"anomaly: backward of {node.name()} returned NaN or inf in its gradient for "
            f"input {index}" + _where(node)
        )


def _where(node) -> str:
    trace = getattr(node, "_creation_trace", None)
    if not trace:
        return ""
    return "\nThe op was created at:\n" + "".join(trace).rstrip()
