"""The recorder: watches one eager call and writes down its steps, or why it cannot.

While it records, the core reports every op on tensors (``after_op``), every observed public
call (factories, in-place methods, ``.grad =``, optimizer and scheduler steps), every
``backward()``, every module entered and every value read into Python. Each value the call
makes gets a register; a tensor the call did not make is an argument (bound anew on every
replay) or an *external* (a parameter, a buffer, a constant: read through the object on every
replay, and guarded on its shape, dtype and grad flags).

Whatever could make a replay differ from the eager call is refused, with the user's line that
did it: a tensor's value read into Python, a tensor built in a way no step repeats, a hook, a
backward through a graph built before the call. The call then stays eager.
"""

from __future__ import annotations

import os
import sys
import types
from functools import partial

from .._backend import ndarray
from ..autograd.grad_mode import state as grad_state
from ..ops._op import Op
from ..ops.indexing import Index
from ..tensor import Tensor
from ._plan import Plan
from ._steps import BackwardStep, CallStep, CopyStep, GraphStep, OpStep, Ref

__all__ = ["Recorder", "Unsupported"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NN = os.path.join(os.path.dirname(_PACKAGE), "nn")  # tensorgrad.nn, from a source checkout
_FUNCTIONS = (types.FunctionType, types.LambdaType, partial)


class Unsupported(Exception):
    """Why a call cannot be replayed, and the user's line that made it so."""

    def __init__(self, reason: str, where: str):
        super().__init__(f"{reason} ({where})" if where else reason)
        self.reason, self.where = reason, where


def _in_tensorgrad(frame) -> bool:
    filename = os.path.abspath(frame.f_code.co_filename)
    return filename.startswith(_PACKAGE) or filename.startswith(_NN)


def user_line() -> str:
    """``file:line`` of the innermost frame outside tensorgrad (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _in_tensorgrad(frame):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a ``warnings.warn`` in the caller point at the user's
    code: the innermost frame outside tensorgrad."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and _in_tensorgrad(frame):
        level, frame = level + 1, frame.f_back
    return level


class Recorder:
    """Records one call. ``flat_args`` are its arguments, flattened (tensors and arrays)."""

    def __init__(self, flat_args: list):
        self.steps: list = []
        self.slot_of: dict = {}  # id(Tensor) -> register
        self.array_slot: dict = {}  # id(ndarray) -> register (views of a value share it)
        self.alive: list = []  # the tensors whose ids are keys above, kept alive while recording
        self.values: list = []  # register -> the array it held while recording
        self.n_slots = 0
        self.tensor_inputs: list = []  # (register, argument position)
        self.array_inputs: list = []
        self.externals: list = []  # (register, tensor)
        self.refs: dict = {}  # register -> Ref of an argument or external
        self.producer: dict = {}  # register -> (step index, output k), for values with a grad
        self.sources: dict = {}  # step index -> gradient source of each input (see Plan)
        self.meta: dict = {}  # step index -> (shape, dtype) of each input
        self.n_outputs: dict = {}
        self.guards: list = []
        self.scopes: set = set()
        self.created: set = set()  # ids of tensors constructed while recording
        self.constants: set = set()  # ids of tensors the core made from Python values
        self.whole_calls: list = []  # [first step, problem] per open whole_if_needed call
        self.problem: Unsupported | None = None
        self.flat_args = flat_args
        for position, value in enumerate(flat_args):
            if isinstance(value, Tensor):
                if id(value) in self.slot_of:  # the same tensor twice: the key says so
                    continue
                slot = self._new_slot(value._data, value)
                self.tensor_inputs.append((slot, position))
                self.refs[slot] = Ref("arg", slot, position, value._requires_grad)
            elif type(value) is ndarray:
                slot = self._new_slot(value)
                self.array_inputs.append((slot, position))
                self.refs[slot] = Ref("array", slot)

    # ------------------------------------------------------------------ values
    def _new_slot(self, array, tensor: Tensor | None = None) -> int:
        slot = self.n_slots
        self.n_slots += 1
        self.array_slot[id(array)] = slot
        self.values.append(array)
        if tensor is not None:
            self.slot_of[id(tensor)] = slot
            self.alive.append(tensor)
        return slot

    def slot(self, tensor: Tensor) -> int:
        """The register of ``tensor``'s value (an external's, the first time it is seen)."""
        slot = self.slot_of.get(id(tensor))
        if slot is not None:
            return slot
        slot = self.array_slot.get(id(tensor._data))
        if slot is not None:  # .detach(), .data, a .grad read back: the same array
            self.slot_of[id(tensor)] = slot
            self.alive.append(tensor)
            return slot
        if id(tensor) in self.created and id(tensor) not in self.constants:
            self.unsupported(
                "a tensor was made inside the compiled call by something that is not a "
                "tensorgrad op or factory (e.g. Tensor(array)), so a replay could not repeat it"
            )
        slot = self._new_slot(tensor._data, tensor)
        self.externals.append((slot, tensor))
        self.refs[slot] = Ref("external", slot, tensor, tensor._requires_grad)
        self.guards.append(("tensor", tensor, _describe(tensor)))
        return slot

    def ref(self, tensor: Tensor) -> Ref:
        slot = self.slot(tensor)
        known = self.refs.get(slot)
        if known is None:
            return Ref("slot", slot, None, tensor._requires_grad)
        if known.kind in ("external", "arg"):
            base = known.target if known.kind == "external" else self.flat_args[known.target]
            if base is not tensor:  # p.data, p.detach(): a new alias on every replay too
                shares_versions = tensor._version_counter is base._version_counter
                return Ref("alias", slot, (known, shares_versions), tensor._requires_grad)
        return known

    def _outputs(self, step_index: int, tensors) -> list:
        """Registers for a step's new output tensors: ``[(position, register)]``."""
        outputs = []
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                continue
            slot = self._new_slot(tensor._data, tensor)
            if tensor._requires_grad:
                if tensor.grad_fn is None:
                    self.unsupported(
                        "a tensor that requires grad was created inside the compiled call; "
                        "create it outside and pass it in"
                    )
                self.producer[slot] = (step_index, position)
            outputs.append((position, slot))
        self.n_outputs[step_index] = len(tensors)
        return outputs

    # ------------------------------------------------------------------ reports from the core
    def refuse(self, reason: str) -> None:
        """Like :meth:`unsupported`, but not even a whole call can be replayed: the Python
        after it may read what differs (a shape that depends on the values)."""
        if self.problem is None:
            self.problem = Unsupported(reason, user_line())

    def unsupported(self, reason: str) -> None:
        if self.whole_calls:  # inside a whole_if_needed call: that call becomes one step
            if self.whole_calls[-1][1] is None:
                self.whole_calls[-1][1] = reason
        elif self.problem is None:
            self.problem = Unsupported(reason, user_line())

    def begin_whole(self) -> list:
        frame = [len(self.steps), None]
        self.whole_calls.append(frame)
        return frame

    def end_whole(self, frame: list, function, args: tuple, kwargs: dict, result) -> None:
        """A whole_if_needed call returned: if one of its steps could not be replayed, or a
        result came from no step (a bool tensor built directly), drop its steps and record the
        call itself instead."""
        first, reason = frame
        flat = result if isinstance(result, (tuple, list)) else (result,)
        if reason is None and all(
            id(t) in self.slot_of for t in flat if isinstance(t, Tensor)
        ):  # every result came from a recorded step
            return
        dropped: set = set()
        for index in range(first, len(self.steps)):
            step = self.steps[index]
            outputs = getattr(step, "outputs", ())
            dropped.update(slot if type(slot) is int else slot[1] for slot in outputs)
            dropped.update(slot for _, slot in getattr(step, "grad_slots", ()))
            for table in (self.sources, self.meta, self.n_outputs):
                table.pop(index, None)
        del self.steps[first:]
        for slot in dropped:
            self.producer.pop(slot, None)
        self.slot_of = {key: slot for key, slot in self.slot_of.items() if slot not in dropped}
        self.array_slot = {
            key: slot for key, slot in self.array_slot.items() if slot not in dropped
        }
        self._tensor_call(function, args, kwargs, result)

    def escape(self, tensor: Tensor, what: str) -> None:
        if what == ".grad":  # fine once this call's backward made it: a value it knows
            grad = tensor._grad
            if grad is not None and (id(grad) in self.slot_of or id(grad._data) in self.array_slot):
                return
            self.unsupported(
                ".grad read before this call's backward() (a replay would read the old one)"
            )
            return
        if what.startswith(("register_hook", "retain_grad")):
            self.unsupported(f"{what} inside the call: a replay would not run the hook")
            return
        if what == "a value-dependent shape":
            self.refuse(
                "an op whose output shape depends on the values (boolean-mask indexing, "
                "nonzero): Python after it would keep this call's shape"
            )
            return
        if what == ".data assignment":
            self.unsupported(
                "assigning .data inside the call (a replay would not repeat it); update in "
                "place under no_grad (p -= lr * p.grad) or use an optimizer"
            )
            return
        self.unsupported(
            f"{what} reads a tensor's value into Python, and a replay cannot repeat what "
            f"Python did with it"
        )

    def scope(self, owner) -> None:
        """A module was entered: guard its training flag and its parameters' identity."""
        if id(owner) in self.scopes:
            return
        self.scopes.add(id(owner))
        if getattr(owner, "_forward_hooks", None) or getattr(owner, "_forward_pre_hooks", None):
            self.unsupported(
                f"{type(owner).__name__} has forward hooks: a replay would not run their Python"
            )
        if hasattr(owner, "training"):
            self.guards.append(("training", owner, owner.training))
        for name in ("_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks"):
            table = getattr(owner, name, None)
            if isinstance(table, dict):
                self.guards.append(("members", table, tuple(table.items())))

    def op(self, node, inputs, params: dict, outputs) -> None:
        if self.problem is not None:
            return
        for tensor in inputs:
            if isinstance(tensor, Tensor) and type(tensor._data) is not ndarray:
                # Replays call NumPy's buffers and helpers directly; a device's arrays would
                # meet them (and GPU kernels leave little Python overhead to remove).
                self.refuse(f"a tensor on {tensor.device}: compiled replays run on the CPU only")
                return
        if not isinstance(node, Op):  # a Function: replayed by calling apply again
            self._tensor_call(type(node).apply, inputs, params, outputs)
            return
        if isinstance(node, Index) and any(
            getattr(getattr(item, "dtype", None), "kind", "") == "b"
            for item in params.get("index", ())
        ):
            self.escape(inputs[0], "a value-dependent shape")
            return
        index = len(self.steps)
        dynamic = []
        static = {}
        for name, value in params.items():
            template, slots = self._array_template(value)
            if slots:
                dynamic.append((name, template, slots))
            static[name] = value
        if self.problem is not None:
            return
        slots = [self.slot(t) for t in inputs]
        recorded = "_next" in node.__dict__
        needs = tuple(node.needs_input_grad) if recorded else None
        step = OpStep(index, type(node), slots, [], static, dynamic, needs)
        self.steps.append(step)
        step.outputs = [slot for _, slot in self._outputs(index, outputs)]
        if recorded:
            self.sources[index] = [
                None if edge is None else self._source(slot)
                for edge, slot in zip(node._next, slots)
            ]
            self.meta[index] = list(node._input_meta)

    def snapshot(self, copy: Tensor, tensor: Tensor) -> None:
        """An in-place op on a graph tensor made ``copy`` of ``tensor`` to work on: same
        values, same place in the graph (see ``ops/inplace.py``)."""
        if self.problem is not None:
            return
        source = self.slot(tensor)
        target = self._new_slot(copy._data, copy)
        if source in self.producer:
            self.producer[target] = self.producer[source]
        self.steps.append(CopyStep(source, target, into=False))

    def overwritten(self, tensor: Tensor, result: Tensor) -> None:
        """``result`` was written into ``tensor``'s array, and ``tensor`` now stands for it."""
        if self.problem is not None:
            return
        source, target = self.slot(result), self.slot(tensor)
        self.steps.append(CopyStep(source, target, into=True))
        self.slot_of[id(tensor)] = source  # read from now on as the op's result

    def call(self, function, args: tuple, kwargs: dict, result) -> None:
        """An observed public function ran (see ``_tracing.observed``)."""
        if self.problem is None:
            self._tensor_call(function, args, kwargs, result)

    def _tensor_call(self, function, args, kwargs, result) -> None:
        flat = result if isinstance(result, (tuple, list)) else (result,)
        given = _tensor_ids((args, kwargs))  # an in-place method returns its own tensor
        known = [isinstance(t, Tensor) and (id(t) in self.slot_of or id(t) in given) for t in flat]
        builds_graph = any(
            isinstance(t, Tensor) and t.grad_fn is not None and not old
            for t, old in zip(flat, known)
        )
        if any(old and t.grad_fn is not None for t, old in zip(flat, known)):
            self.unsupported(
                f"{_name(function)} changed a tensor in place while recording its graph; "
                f"use the out-of-place op"
            )
            return
        refs: list = []
        template = self._template((args, kwargs), refs, builds_graph)
        if self.problem is not None:
            return
        index = len(self.steps)
        kind = GraphStep if builds_graph else CallStep
        step = kind(index, function, template, refs, grad_state.enabled, [])
        self.steps.append(step)
        new = [t if not old else None for t, old in zip(flat, known)]
        step.outputs = self._outputs(index, new)
        if builds_graph:
            self.sources[index] = [
                self._source(ref.slot) if ref.requires_grad else None for ref in refs
            ]
            self.meta[index] = [
                (self.values[ref.slot].shape, self.values[ref.slot].dtype) for ref in refs
            ]

    def _template(self, value, refs: list, as_leaves: bool):
        """``value`` with its tensors (and arrays the call made) replaced by :class:`Ref`\\ s."""
        if isinstance(value, Tensor):
            ref = self.ref(value)
            if as_leaves and ref.kind != "slot":  # a graph step reads its inputs as leaves
                ref = Ref("slot", ref.slot, None, value._requires_grad)
            refs.append(ref)
            return ref
        if type(value) is ndarray:
            slot = self.array_slot.get(id(value))
            if slot is None:
                return value
            ref = Ref("array", slot)
            refs.append(ref)
            return ref
        if type(value) in (tuple, list):
            return type(value)(self._template(item, refs, as_leaves) for item in value)
        if type(value) is dict:
            return {key: self._template(item, refs, as_leaves) for key, item in value.items()}
        if isinstance(value, _FUNCTIONS) or (
            isinstance(value, types.MethodType) and not hasattr(value.__self__, "forward")
        ):
            self.unsupported(
                "a function was passed to a recorded call (e.g. optimizer.step(closure)); a "
                "replay cannot know what it does"
            )
        return value

    def _array_template(self, value) -> tuple:
        """An op parameter with the arrays the call made replaced: ``(template, registers)``."""
        if type(value) is ndarray:
            slot = self.array_slot.get(id(value))
            if slot is None:
                self.unsupported(
                    "an op was given an array computed outside tensorgrad's ops; a replay "
                    "would reuse this call's values"
                )
                return value, []
            return Ref("array", slot), [slot]
        if type(value) in (tuple, list):
            slots: list = []
            items = []
            for item in value:
                template, inner = self._array_template(item)
                items.append(template)
                slots += inner
            return (type(value)(items), slots) if slots else (value, [])
        return value, []

    def _source(self, slot: int):
        producer = self.producer.get(slot)
        if producer is not None:
            return ("step",) + producer
        return ("boundary", slot)

    # ------------------------------------------------------------------ backward
    def backward(self, outputs: tuple, gradients: list, create_graph: bool, inputs: tuple):
        """``backward()`` was called: plan it over the recorded steps (None if it can't be)."""
        if create_graph or inputs:
            self.unsupported("backward() with create_graph=True or inputs= is not compiled")
        if self.problem is not None:
            return None
        roots, seeds = [], []
        for output, gradient in zip(outputs, gradients):
            producer = self.producer.get(self.slot_of.get(id(output)))
            if producer is None:
                self.unsupported("backward() from a tensor the compiled call did not compute")
                return None
            roots.append(producer)
            slot = self.slot_of.get(id(gradient))
            seeds.append(slot if slot is not None else gradient._data.copy())
        plan = self.plan(roots, seeds)
        if plan is None:
            return None
        for slot in plan.boundaries:
            ref = self.refs.get(slot)
            if ref is None or ref.kind not in ("arg", "external"):
                self.unsupported("backward() reaches a tensor that requires grad made in the call")
                return None
            tensor = ref.target
            if ref.kind == "external" and (tensor.grad_fn is not None or tensor._hooks):
                self.unsupported(
                    "backward() reaches a graph built before the call, or a tensor with hooks "
                    "(detach state carried over from an earlier call, e.g. an RNN's hidden state)"
                )
                return None
            if ref.kind == "arg":  # an external's guard checks its hooks already
                self.guards.append(("arg leaf", ref.target))
        step = BackwardStep(plan, {slot: self.refs[slot] for slot in plan.boundaries})
        self.steps.append(step)
        return step

    def after_backward(self, step) -> None:
        """The eager backward ran: its leaves' ``.grad`` arrays are values the call may read."""
        if step is None or self.problem is not None:
            return
        for boundary, ref in step.leaves.items():
            leaf = ref.target if ref.kind == "external" else self.flat_args[ref.target]
            grad = leaf._grad
            if grad is not None:
                step.grad_slots.append((boundary, self._new_slot(grad._data, grad)))

    def plan(self, roots: list, seeds: list):
        """A :class:`Plan` from ``roots`` (None, and the call refused, if there is none)."""
        for j, _ in roots:
            if j not in self.sources:
                self.unsupported("backward() from a value computed without recording a graph")
                return None
        return Plan(self.steps, self.sources, self.meta, roots, seeds, self.n_outputs)


def _tensor_ids(value) -> set:
    """The ids of the tensors in ``value`` (nested tuples, lists and dicts)."""
    if isinstance(value, Tensor):
        return {id(value)}
    if isinstance(value, (tuple, list)):
        return set().union(*(_tensor_ids(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return _tensor_ids(list(value.values()))
    return set()


def _describe(tensor: Tensor) -> tuple:
    """What a guard checks of an external tensor."""
    data = tensor._data
    return (
        data.shape,
        data.dtype,
        tensor._requires_grad,
        tensor.grad_fn is None,
        bool(tensor._hooks),
    )


def _name(function) -> str:
    return getattr(function, "__qualname__", getattr(function, "__name__", repr(function)))
