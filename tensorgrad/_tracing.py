"""The seam through which ``tensorgrad.compile`` watches a call: who observes the ops, and the
hooks the core calls while someone does.

It sits just above ``tensor.py`` so that every layer can report to it, and it knows nothing of
what listens: ``tensorgrad.compiler`` installs a *recorder* for one call on one thread, and the
core reports to it through the functions here:

- :func:`after_op` — a built-in op or a ``Function`` ran on tensors (``Op.apply``…);
- :func:`observed` — a public function whose whole call is one replayable step (factories,
  in-place methods, setting ``.grad``, optimizer and scheduler steps): what runs inside it is
  not recorded;
- :func:`whole_if_needed` — a public function recorded op by op when it can be, and else as
  one call (a comparison that builds its bool tensor directly, an indexing op whose index
  array is computed from a tensor);
- :func:`constant` — a tensor the core made from Python values (a scalar operand);
- :func:`inplace_in_graph`, :func:`snapshot`, :func:`overwritten` — an in-place method
  changed a tensor of the graph being recorded: its ops are recorded, with the copy it
  works on and the write back into the tensor's array;
- :func:`escape` — a tensor's value left for Python (``item()``, ``bool(t)``…), which a replay
  could not repeat.

While nothing observes, every hot path pays one read of :data:`watch` (``watch.threads`` is
0); anomaly mode counts itself in the same number, so the ops check one thing for both.
"""

from __future__ import annotations

import functools
import threading
import types

__all__ = [
    "watch",
    "state",
    "after_op",
    "observed",
    "whole_if_needed",
    "constant",
    "escape",
    "inplace_in_graph",
    "snapshot",
    "overwritten",
    "opaque",
    "is_recording",
]


class _Watch:
    """How many threads observe the ops (anomaly mode on, or a compile recording running).

    Process-wide: while none does, the ops' hot paths skip even the per-thread reads (which
    cost as much as a small op's bookkeeping).
    """

    __slots__ = ("threads",)

    def __init__(self):
        self.threads = 0


watch = _Watch()
watch_lock = threading.Lock()


class _TraceState(threading.local):
    """This thread's recorder (None when not recording) and how deep inside a step it is:
    work done inside an op, an observed call or a ``Function`` is that step's business."""

    def __init__(self):
        self.recorder = None
        self.depth = 0
        self.inplace_method = False  # inside an observed in-place method (at depth 1)
        self.inplace_as_ops = False  # ... whose ops were recorded: not one call step


state = _TraceState()


def is_recording() -> bool:
    """True while this thread records a call for ``tensorgrad.compile`` (outside its steps)."""
    return state.recorder is not None and state.depth == 0


def start(recorder) -> None:
    """Make ``recorder`` this thread's recorder (``tensorgrad.compiler`` only)."""
    state.recorder, state.depth = recorder, 0
    with watch_lock:
        watch.threads += 1


def stop() -> None:
    """End this thread's recording."""
    state.recorder = None
    with watch_lock:
        watch.threads -= 1


class opaque:  # noqa: N801 - a context manager used like a function
    """Context manager: what runs inside is part of the step being recorded, not steps of
    its own (an op's inner ops, a ``Function``'s forward)."""

    __slots__ = ()

    def __enter__(self):
        state.depth += 1

    def __exit__(self, *exc_info):
        state.depth -= 1
        return False


def after_op(node, inputs, params: dict, outputs) -> None:
    """A built-in op (``node`` its ctx) or a ``Function`` ran on ``inputs`` (tensors)."""
    recorder = state.recorder
    if recorder is not None and state.depth == 0:
        recorder.op(node, inputs, params, outputs)


def escape(tensor, what: str) -> None:
    """``tensor``'s value went to Python through ``what`` (``"item()"``, ``"bool()"``…), or a
    hook was put on it (``"register_hook()"``): either way a replay could not repeat it."""
    recorder = state.recorder
    if recorder is not None and state.depth == 0:
        recorder.escape(tensor, what)


def observed(function, inplace: bool = False):
    """Make each top-level call of ``function`` during a recording one replayable step.

    ``inplace``: ``function`` is an in-place method; when it changes a tensor of the graph
    being recorded, its ops are recorded instead (see :func:`inplace_in_graph`).
    """

    @functools.wraps(function)
    def call(*args, **kwargs):
        if not watch.threads or state.recorder is None or state.depth:
            return function(*args, **kwargs)
        # A generator (model.parameters()) is spent by the call: the replay needs its items.
        args = tuple(list(a) if isinstance(a, types.GeneratorType) else a for a in args)
        state.depth += 1
        state.inplace_method = inplace
        try:
            result = function(*args, **kwargs)
        finally:
            state.depth -= 1
            state.inplace_method = False
            as_ops, state.inplace_as_ops = state.inplace_as_ops, False
        if not as_ops:
            state.recorder.call(function, args, kwargs, result)
        return result

    call.__wrapped_observed__ = function
    return call


def inplace_in_graph() -> bool:
    """Called by an in-place method about to change a tensor of the graph being recorded
    (what a replay cannot repeat as one call): True if it is the recorded call itself, whose
    ops are then recorded (the depth its wrapper raised is lowered until it returns)."""
    if state.recorder is None or state.depth != 1 or not state.inplace_method:
        return False
    state.depth, state.inplace_method, state.inplace_as_ops = 0, False, True
    return True


def inplace_done() -> None:
    """The end of what :func:`inplace_in_graph` let record."""
    state.depth = 1


def snapshot(copy, tensor) -> None:
    """``copy`` is a new tensor over a copy of ``tensor``'s array, in its graph place."""
    state.recorder.snapshot(copy, tensor)


def overwritten(tensor, result) -> None:
    """``result``'s values were written into ``tensor``'s array, and ``tensor`` took its
    place in the graph."""
    state.recorder.overwritten(tensor, result)


def whole_if_needed(function):
    """Let each top-level call of ``function`` during a recording be recorded as its ops; if
    any of them cannot be replayed, the whole call becomes one replayable step instead."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        if not watch.threads or state.recorder is None or state.depth:
            return function(*args, **kwargs)
        recorder = state.recorder
        token = recorder.begin_whole()
        try:
            result = function(*args, **kwargs)
        finally:
            recorder.whole_calls.pop()
        recorder.end_whole(token, function, args, kwargs, result)
        return result

    return call


def constant(tensor):
    """Mark ``tensor`` (made from Python values, not from other tensors) as a constant of the
    recording; returns it."""
    recorder = state.recorder
    if recorder is not None:
        recorder.constants.add(id(tensor))
    return tensor
