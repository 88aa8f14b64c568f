"""Compiled callables: the cache of recordings per signature, guards, replay and fallback.

A call's *signature* is the structure of its arguments, each tensor's shape, dtype, grad
flags and which arguments are the same tensor, each array's shape and dtype, the other
arguments' values, and the grad mode. The first call with a signature runs eagerly and is
recorded; later calls replay the recording if its guards hold (the modules it entered are in
the same training mode and hold the same parameters, the tensors it read from outside still
have the shapes and flags it saw). A recording that cannot be replayed leaves that signature
eager, with one warning naming the line that made it so.
"""

from __future__ import annotations

import copy
import functools
import os
import threading
import warnings
import weakref

from .. import _tracing
from .._backend import ndarray
from .._dtypes import default_float_numpy
from .._tracing import watch
from ..autograd import anomaly
from ..autograd.function import Function, connect
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor
from ._codegen import guard_function, lower, signature_function
from ._recorder import Recorder, Unsupported, _describe, user_stacklevel
from ._settings import state as stance_state
from ._steps import BackwardStep, Frame, Ref, rebuild

__all__ = [
    "CompiledFunction",
    "compiled_functions",
    "record_call",
    "DISABLE_VARIABLE",
]

LOWER = True  # replay records as generated straight-line code (False: step by step, for tests)
DISABLE_VARIABLE = "TENSORGRAD_COMPILE_DISABLE"
compiled_functions: weakref.WeakSet = weakref.WeakSet()  # for tensorgrad.compiler.reset()


class CompiledFunction:
    """``fn`` compiled: call it like ``fn``. See :func:`tensorgrad.compile`."""

    def __init__(self, fn, fullgraph: bool = False, disable: bool = False):
        self._fn = fn
        self._fullgraph = fullgraph
        self._disable = disable or _disabled_by_environment()
        self._asked_disable = disable
        self._cache: dict = {}  # key -> entries, newest first
        self._warned: set = set()
        self._unstable: set = set()  # keys whose last recording changed its own guards
        self._called = False  # for the "eager_then_compile" stance
        self._last = None  # the Program replayed last, if it can check a call's signature itself
        self._lock = threading.Lock()
        self.__wrapped__ = fn
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        compiled_functions.add(self)

    def __deepcopy__(self, memo: dict):
        """A fresh compiled copy of a deep copy of the function (a module's copy compiles
        its own calls); the recordings are not copied."""
        return CompiledFunction(copy.deepcopy(self._fn, memo), self._fullgraph, self._asked_disable)

    def __get__(self, instance, owner=None):
        """As a method decorator: bound to the instance, which becomes part of the key."""
        return self if instance is None else functools.partial(self, instance)

    def _options(self) -> dict:
        """The ``compile`` arguments this was made with."""
        return {"fullgraph": self._fullgraph, "disable": self._asked_disable}

    def reset(self) -> None:
        """Forget every recording (the next call records again) and read the environment
        variable again."""
        self._disable = self._asked_disable or _disabled_by_environment()
        self._cache.clear()
        self._warned.clear()
        self._unstable.clear()
        self._called = False
        self._last = None

    @property
    def recordings(self) -> int:
        """How many recordings are cached (signatures left eager are not counted)."""
        return sum(not entry.eager for entries in self._cache.values() for entry in entries)

    def __call__(self, *args, **kwargs):
        if (
            self._disable
            or stance_state.stance == "force_eager"
            # One process-wide count first: the per-thread reads cost more than a guard.
            or watch.threads
            and (
                _tracing.state.recorder is not None  # inside another recording: part of it
                or anomaly.state.enabled  # detect_anomaly() checks each op: run them
            )
        ):
            return self._fn(*args, **kwargs)
        last = self._last
        if last is not None and not kwargs and last.matches(args):  # a loop's usual call
            return last.replay(args)
        flat: list = []
        try:
            if not kwargs and all(type(arg) is Tensor for arg in args):  # the usual call
                structure = _tensors_structure(args, flat)
            else:
                structure = _structure((args, kwargs), flat, {})
            # Factories and Python scalars take the default dtype: it is part of the key.
            key = (structure, grad_state.enabled, default_float_numpy())
            hash(key)
        except TypeError:  # an unhashable argument: nothing to key a recording on
            return self._fn(*args, **kwargs)
        for entry in self._cache.get(key, ()):
            if entry.guards_hold(flat):
                if entry.eager:
                    return self._fn(*args, **kwargs)
                if entry.matches is not None:
                    self._last = entry
                return entry.replay(flat)
        return self._new_signature(key, flat, args, kwargs)

    def _new_signature(self, key, flat: list, args: tuple, kwargs: dict):
        """Record, unless the stance or the recompile limit says to run eagerly (or raise)."""
        stance = stance_state.stance
        recorded = sum(len(entries) for entries in self._cache.values())
        if recorded and stance == "eager_on_recompile":
            return self._fn(*args, **kwargs)
        if recorded and stance == "fail_on_recompile":
            raise RuntimeError(
                f"tensorgrad.compile: detected a recompile of {self.__name__} while the stance "
                f"is 'fail_on_recompile' (a call it has not recorded: new shapes, dtypes or "
                f"grad flags of its tensors, or new other arguments)"
            )
        if stance in ("eager_then_compile", "aot_eager_then_compile") and not self._called:
            self._called = True
            return self._fn(*args, **kwargs)
        self._called = True
        limit = int(stance_state.recompile_limit)
        if recorded >= limit:
            return self._over_limit(args, kwargs, limit)
        return self._record(key, flat, args, kwargs)

    def _over_limit(self, args: tuple, kwargs: dict, limit: int):
        """A new signature once ``limit`` are recorded: eager, as PyTorch's run-only mode (the
        records kept still replay); fullgraph=True raises instead."""
        message = (
            f"tensorgrad.compile: {self.__name__} hit the recompile limit ({limit} "
            f"recordings, tensorgrad._dynamo.config.recompile_limit); new signatures run "
            f"eagerly. A new shape, dtype or Python argument on every call records every "
            f"time: keep them fixed, or call tensorgrad.compiler.reset()"
        )
        if self._fullgraph:
            raise RuntimeError(f"{message} (fullgraph=True)")
        if "limit" not in self._warned:
            self._warned.add("limit")
            warnings.warn(message, UserWarning, stacklevel=user_stacklevel())
        return self._fn(*args, **kwargs)

    def _record(self, key, flat: list, args: tuple, kwargs: dict):
        result, recorder = record_call(self._fn, args, kwargs, flat)
        problem = recorder.problem
        if problem is None and (grad_state.enabled, default_float_numpy()) != key[1:]:
            # A replay starts and ends in the signature's grad mode and default dtype: one
            # that leaves either switched would leave the caller in the wrong state.
            problem = Unsupported(
                "the call leaves grad mode or the default dtype switched (set_grad_enabled "
                "as a plain call, set_default_dtype); switch them in a with block inside, or "
                "outside the compiled function",
                "",
            )
        if problem is None and not all(_holds_now(guard) for guard in recorder.guards):
            # The call itself switched what a guard watches (model.train() inside it): the
            # next call starts from the new state, so this recording could never replay. A
            # first call may do it once (lazy set-up): only the second time is it for good.
            if key not in self._unstable:
                self._unstable.add(key)
                return result
            problem = Unsupported(
                "the call changes a module's training mode or a tensor's requires_grad itself "
                "(switch them outside the compiled function)",
                "",
            )
        program = None
        if problem is None:
            try:
                program = Program(recorder, result, key[1])
            except Unsupported as error:
                problem = error
        if problem is not None:
            if self._fullgraph:
                raise RuntimeError(
                    f"tensorgrad.compile(fullgraph=True): {self.__name__} cannot be captured: "
                    f"{problem}"
                )
            if key not in self._warned:  # once per signature
                self._warned.add(key)
                warnings.warn(
                    f"tensorgrad.compile: {self.__name__} runs eagerly for these inputs: "
                    f"{problem.reason} (at {problem.where or 'an unknown line'})",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
            # Eager while what it saw holds (a hook removed again lets the recordings back).
            program = _Eager(recorder)
        elif not kwargs and all(type(arg) is Tensor for arg in args):
            program.matches = signature_function(args, key[1], key[2], program.guards)
        with self._lock:
            self._cache.setdefault(key, []).insert(0, program)
            self._last = None  # the cache's order decides again which record a call replays
        return result


def _disabled_by_environment() -> bool:
    """Whether ``TENSORGRAD_COMPILE_DISABLE`` is set (read when a function is compiled and at
    ``reset()``, as PyTorch reads ``TORCH_COMPILE_DISABLE`` once: not on every call)."""
    return os.environ.get(DISABLE_VARIABLE, "0") not in ("", "0")


def record_call(fn, args: tuple, kwargs: dict, flat: list | None = None):
    """Call ``fn`` eagerly under a :class:`Recorder`: ``(result, recorder)``.

    ``flat`` is the flattened arguments (computed if None). The recorder's ``steps`` are what
    ran, its ``problem`` why they could not be replayed (None if they can); the ONNX exporter
    reads the same steps.
    """
    if flat is None:
        flat = []
        _structure((args, kwargs), flat, {})
    recorder = Recorder(flat)
    _track_creation(True)
    _tracing.start(recorder)
    try:
        result = fn(*args, **kwargs)
    finally:
        _tracing.stop()
        _track_creation(False)
    return result, recorder


class _Eager:
    """A signature that runs eagerly while what its failed recording saw holds (as the call
    left it)."""

    eager = True

    def __init__(self, recorder: Recorder):
        self.guards_hold = guard_function([_now(guard) for guard in recorder.guards])


class Program:
    """A finished recording: what to bind, the steps, what to return and what to check
    (``grad_enabled``: the grad mode of the calls it replays, part of their signature)."""

    eager = False
    matches = None  # matches(args) -> bool, for positional tensor calls (see signature_function)

    def __init__(self, recorder: Recorder, result, grad_enabled: bool):
        self.steps = recorder.steps
        self.n_slots = recorder.n_slots
        self.tensor_inputs = recorder.tensor_inputs
        self.array_inputs = recorder.array_inputs
        self.externals = recorder.externals
        self.guards = recorder.guards
        self.guards_hold = guard_function(self.guards)  # guards_hold(flat) -> bool
        refs: list = []
        self.output_template = _output_template(recorder, result, refs)
        self.output_refs = refs
        self.forward_plan = None
        # Outputs get a backward node only when the call ran none itself: a training step's
        # loss has had its backward (a second one raises in eager mode; here it is no node).
        trains = any(isinstance(step, BackwardStep) for step in self.steps)
        self.graph_outputs = [
            i
            for i, ref in enumerate(refs)
            if not trains and ref.kind == "slot" and ref.slot in recorder.producer
        ]
        if self.graph_outputs:
            roots = [recorder.producer[refs[i].slot] for i in self.graph_outputs]
            plan = recorder.plan(roots, [None] * len(roots))
            if plan is None:
                raise recorder.problem
            for slot in plan.boundaries:
                if recorder.refs.get(slot) is None:
                    raise Unsupported(
                        "the output depends on a tensor that requires grad made in the call", ""
                    )
            self.forward_plan = plan
            self.boundary_refs = [recorder.refs[slot] for slot in plan.boundaries]

        # A record whose outputs need no backward node runs as one generated function.
        self.lowered = None
        if LOWER and self.forward_plan is None:
            bindings = (self.tensor_inputs, self.array_inputs, self.externals)
            outputs = (self.output_template, self.output_refs)
            self.lowered = lower(self.steps, self.n_slots, bindings, outputs, grad_enabled)
        if self.lowered is not None:
            self.replay = self.lowered  # the whole replay: one call less on every one

    def replay(self, flat: list):
        """The recorded call again on ``flat``, step by step (or the generated function that
        ``__init__`` puts in this method's place)."""
        frame = Frame(self.n_slots, flat)
        regs = frame.regs
        for slot, position in self.tensor_inputs:
            regs[slot] = flat[position]._data
        for slot, position in self.array_inputs:
            regs[slot] = flat[position]
        for slot, tensor in self.externals:
            regs[slot] = tensor._data
        for step in self.steps:  # NumPy's warnings are filtered as in eager mode (see ops)
            step.run(frame)
        values = []
        node = None
        if self.forward_plan is not None and grad_state.enabled:
            node = _ReplayNode.build(self, frame)
        number = 0
        for index, ref in enumerate(self.output_refs):
            if ref.kind != "slot":
                values.append(ref.resolve(frame))
            elif node is not None and index in self.graph_outputs:
                values.append(Tensor(regs[ref.slot], True, node, number))
                number += 1
            else:
                values.append(Tensor(regs[ref.slot]))
        if type(self.output_template) is Ref:  # a step returning its loss
            return values[0]
        return rebuild(self.output_template, values)


class _ReplayNode(Function):
    """The backward of a replayed forward: one node whose backward runs the recorded steps'
    formulas in the engine's order (PyTorch's compiled graphs show the same name)."""

    _arg_positions = ()  # never hand a gradient to a leaf uncopied (see engine._is_exclusive)

    @classmethod
    def name(cls) -> str:
        return "CompiledFunctionBackward"

    @classmethod
    def build(cls, program: Program, frame: Frame):
        node = cls.__new__(cls)
        node.program, node.frame = program, frame
        inputs = [ref.resolve(frame) for ref in program.boundary_refs]
        connect(node, inputs)
        node._n_outputs = len(program.graph_outputs)
        node._output_shapes = [
            frame.regs[program.output_refs[i].slot].shape for i in program.graph_outputs
        ]
        return node

    def _input_grads(self, grad_outputs, create_graph: bool):
        if create_graph:
            raise RuntimeError(
                "CompiledFunctionBackward: a compiled forward is differentiated once; "
                "create_graph=True (double backward) needs the eager function"
            )
        plan = self.program.forward_plan
        totals = plan.run(self.frame, list(grad_outputs))
        return [totals[slot][0] if slot in totals else None for slot in plan.boundaries]


# ---------------------------------------------------------------------- guards
def _now(guard: tuple) -> tuple:
    """``guard`` with the value it watches as it is now."""
    kind, target = guard[0], guard[1]
    if kind == "tensor":
        return (kind, target, _describe(target))
    if kind == "training":
        return (kind, target, target.training)
    if kind == "members":
        return (kind, target, tuple(target.items()))
    return guard


def _holds_now(guard: tuple) -> bool:
    """Whether what ``guard`` watches is still as it recorded (tensors compared by identity)."""
    value, now = guard[2:], _now(guard)[2:]
    if guard[0] == "members":
        return len(value[0]) == len(now[0]) and all(
            name == other and item is current
            for (name, item), (other, current) in zip(value[0], now[0])
        )
    return value == now


# ---------------------------------------------------------------------- arguments and results
_CONSTANT_TYPES = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis), slice)


def _structure(value, flat: list, seen: dict):
    """A hashable description of ``value``; its tensors and arrays are appended to ``flat``
    (``seen`` maps ``id`` to position: the same tensor twice is part of the description)."""
    if isinstance(value, Tensor):
        data = value._data
        first = seen.setdefault(id(value), len(flat))
        shared = seen.setdefault(("array", id(data)), len(flat))  # x and x.detach() share it
        flat.append(value)
        return (
            type(data),  # the array's type is its device: a CPU record must not replay a GPU's
            data.shape,
            data.dtype.str,
            value._requires_grad,
            value.grad_fn is None,
            first,
            shared,
        )
    if type(value) is ndarray:
        flat.append(value)
        return ("A", value.shape, value.dtype.str)
    if isinstance(value, (tuple, list)):  # named tuples (a PackedSequence) too
        return (type(value).__qualname__, tuple(_structure(item, flat, seen) for item in value))
    if type(value) is dict:
        return ("dict", tuple((key, _structure(item, flat, seen)) for key, item in value.items()))
    if isinstance(value, _CONSTANT_TYPES):
        return ("C", type(value).__name__, value)
    return ("O", id(value))  # any other object (a module, a dtype): by identity


def _tensors_structure(args: tuple, flat: list):
    """``_structure((args, {}), flat, {})`` for positional tensors only, without the walk."""
    seen: dict = {}
    described = []
    for value in args:
        data = value._data
        first = seen.setdefault(id(value), len(flat))
        shared = seen.setdefault(("array", id(data)), len(flat))
        flat.append(value)
        described.append(
            (
                type(data),
                data.shape,
                data.dtype.str,
                value._requires_grad,
                value.grad_fn is None,
                first,
                shared,
            )
        )
    return ("tuple", (("tuple", tuple(described)), ("dict", ())))


def _output_template(recorder: Recorder, value, refs: list):
    if isinstance(value, Tensor):
        ref = recorder.ref(value)
        refs.append(ref)
        return ref
    if type(value) in (tuple, list):
        return type(value)(_output_template(recorder, item, refs) for item in value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_output_template(recorder, item, refs) for item in value))
    if type(value) is dict:
        return {key: _output_template(recorder, item, refs) for key, item in value.items()}
    if isinstance(value, _CONSTANT_TYPES):
        return value
    raise Unsupported(
        f"the compiled function returns a {type(value).__name__}; return tensors, numbers and "
        f"tuples, lists or dicts of them",
        "",
    )


# ---------------------------------------------------------------------- creation tracking
_original_init = Tensor.__init__
_tracking = [0]
_tracking_lock = threading.Lock()


def _tracking_init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    recorder = _tracing.state.recorder
    if recorder is not None:
        recorder.created.add(id(self))
        recorder.alive.append(self)


def _track_creation(on: bool) -> None:
    """Note every Tensor constructed while some thread records (so that a tensor no step
    made is refused rather than replayed as a constant)."""
    with _tracking_lock:
        _tracking[0] += 1 if on else -1
        Tensor.__init__ = _tracking_init if _tracking[0] else _original_init
