"""The steps a compiled call replays, each with its forward and (where it has one) backward.

A replay runs on a :class:`Frame`: one register per value the recording saw (``regs``, raw
arrays), the call's flattened arguments, and what each step keeps for backward (``kept``).

- :class:`OpStep` — a built-in op on arrays: ``forward`` on a fresh ctx, no Tensor, no node;
  its ``backward`` is the op's own formula on that ctx.
- :class:`CallStep` — a public function called again as it was (a factory, an in-place method,
  ``optimizer.step()``…), on the call's tensors; it builds no graph.
- :class:`GraphStep` — a call that built a graph (a ``Function``, an indexing op with a tensor
  index): called again on leaf tensors wrapping its inputs; its backward runs the engine over
  that small graph.
- :class:`CopyStep` — an in-place op on a graph tensor: the copy its ops work on, and their
  result written back into the tensor's array;
- :class:`BackwardStep` — ``loss.backward()``: a :class:`~tensorgrad.compiler._plan.Plan`
  whose totals go to the leaves' ``.grad``, the engine's way.
"""

from __future__ import annotations

from .._backend import default_module as numpy_module
from .._backend import ndarray
from ..autograd.engine import BackwardPass, _is_exclusive, accumulate_array
from ..autograd.grad_mode import set_grad_enabled
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor

__all__ = ["Frame", "OpStep", "CallStep", "GraphStep", "CopyStep", "BackwardStep", "Ref"]


class Frame:
    """One replay's state: registers, the call's arguments, what steps keep for backward."""

    __slots__ = ("regs", "args", "kept")

    def __init__(self, size: int, args: list):
        self.regs = [None] * size
        self.args = args
        self.kept = {}


class Ref:
    """A tensor (or array) argument of a call step: how to find it in a replay.

    ``kind`` is ``"arg"`` (the call's own argument object), ``"external"`` (a tensor that
    existed before the call, e.g. a parameter: the object itself), ``"alias"`` (a new tensor
    over an arg's or external's array, as ``p.data`` or ``p.detach()`` made one: ``target`` is
    that one's Ref and whether the alias shares its version counter), ``"slot"`` (a value
    made in the call: a new Tensor over the register's array) or ``"array"`` (the raw array).
    """

    __slots__ = ("kind", "slot", "target", "requires_grad")

    def __init__(self, kind: str, slot: int, target=None, requires_grad: bool = False):
        self.kind, self.slot, self.target, self.requires_grad = kind, slot, target, requires_grad

    def resolve(self, frame: Frame):
        kind = self.kind
        if kind == "external":
            return self.target
        if kind == "arg":
            return frame.args[self.target]
        if kind == "array":
            return frame.regs[self.slot]
        if kind == "alias":
            base_ref, shares_versions = self.target
            base = base_ref.resolve(frame)
            alias = Tensor(base._data, self.requires_grad)
            if shares_versions:
                alias._version_counter = base._version_counter
            return alias
        return Tensor(frame.regs[self.slot])

    def leaf(self, frame: Frame) -> Tensor:
        """A fresh leaf over this value's array (the input of a replayed graph)."""
        data = frame.regs[self.slot]
        return Tensor(data).requires_grad_(True) if self.requires_grad else Tensor(data)


def rebuild(template, values: list):
    """``template`` with each :class:`Ref` replaced by the next of ``values``."""
    position = iter(values)

    def build(item):
        if isinstance(item, Ref):
            return next(position)
        if type(item) in (tuple, list):
            return type(item)(build(x) for x in item)
        if isinstance(item, tuple):  # a named tuple (max(dim=…)'s values and indices)
            return type(item)(*(build(x) for x in item))
        if type(item) is dict:
            return {key: build(value) for key, value in item.items()}
        return item

    return build(template)


def _as_array(value):
    return value if type(value) is ndarray else numpy_module.asarray(value)


class OpStep:
    """A built-in op replayed on arrays."""

    __slots__ = ("index", "op", "inputs", "outputs", "params", "dynamic", "needs", "keep")

    def __init__(self, index, op, inputs, outputs, params, dynamic, needs):
        self.index, self.op, self.inputs, self.outputs = index, op, inputs, outputs
        self.params = params
        # (name, template, refs) for params holding arrays made in the call (an index array)
        self.dynamic = dynamic
        self.needs = needs  # the recorded ctx's needs_input_grad (None when nothing recorded)
        self.keep = False  # set when a backward plan runs through this step

    def run(self, frame: Frame) -> None:
        regs = frame.regs
        op = self.op
        ctx = op.__new__(op)
        if self.needs is not None:
            ctx.needs_input_grad = self.needs
        params = self.params
        if self.dynamic:
            params = dict(params)
            for name, template, slots in self.dynamic:
                params[name] = rebuild(template, [regs[s] for s in slots])
        inputs = self.inputs
        if len(inputs) == 1:
            raw = op.forward(ctx, regs[inputs[0]], **params)
        elif len(inputs) == 2:
            raw = op.forward(ctx, regs[inputs[0]], regs[inputs[1]], **params)
        else:
            raw = op.forward(ctx, *[regs[i] for i in inputs], **params)
        outputs = self.outputs
        if len(outputs) == 1 and type(raw) is not tuple:
            regs[outputs[0]] = raw if type(raw) is ndarray else numpy_module.asarray(raw)
        else:
            for slot, value in zip(outputs, raw):
                regs[slot] = _as_array(value)
        if self.keep:  # its backward reads what forward saved on the ctx
            frame.kept[self.index] = ctx

    def backward(self, frame: Frame, grad_outputs: list):
        """The inputs' gradients (a tuple, None entries allowed), or None if none came in."""
        ctx = frame.kept[self.index]
        if len(grad_outputs) == 1:
            if grad_outputs[0] is None:
                return None
            result = self.op.backward(ctx, grad_outputs[0])
        else:
            if all(g is None for g in grad_outputs):
                return None
            result = self.op.backward(ctx, *grad_outputs)
        return result if type(result) is tuple else (result,)

    def exclusive(self, frame: Frame, gradient, grad_outputs: list, input_grads) -> bool:
        """Whether a leaf may keep ``gradient`` uncopied (the engine's rule)."""
        return _is_exclusive(gradient, frame.kept[self.index], grad_outputs, input_grads)


class _TensorCall:
    """What call and graph steps share: the function, its arguments and the grad mode."""

    __slots__ = ("index", "function", "template", "refs", "grad_mode", "outputs", "keep")

    def __init__(self, index, function, template, refs, grad_mode, outputs):
        self.index, self.function = index, function
        self.template, self.refs = template, refs
        self.grad_mode = grad_mode
        self.outputs = outputs  # [(position in the flattened result, slot)]
        self.keep = False

    def _call(self, arguments: list):
        args, kwargs = rebuild(self.template, arguments) if self.refs else self.template
        if grad_state.enabled is self.grad_mode:
            return self.function(*args, **kwargs)
        with set_grad_enabled(self.grad_mode):
            return self.function(*args, **kwargs)

    def _store(self, frame: Frame, result) -> list:
        flat = result if isinstance(result, (tuple, list)) else (result,)
        regs = frame.regs
        for position, slot in self.outputs:
            regs[slot] = flat[position]._data
        return flat


class CallStep(_TensorCall):
    """A public function called again on this call's tensors (no graph)."""

    __slots__ = ()

    def run(self, frame: Frame) -> None:
        self._store(frame, self._call([ref.resolve(frame) for ref in self.refs]))


class GraphStep(_TensorCall):
    """A call that builds a graph, replayed on leaf tensors; backward runs that graph."""

    __slots__ = ()

    def run(self, frame: Frame) -> None:
        leaves = [ref.leaf(frame) for ref in self.refs]
        flat = self._store(frame, self._call(leaves))
        if self.keep:
            frame.kept[self.index] = (leaves, [flat[position] for position, _ in self.outputs])

    def backward(self, frame: Frame, grad_outputs: list):
        leaves, outputs = frame.kept[self.index]
        pairs = [
            (output, Tensor(gradient))
            for output, gradient in zip(outputs, grad_outputs)
            if gradient is not None and output.grad_fn is not None
        ]
        wanted = tuple(leaf for leaf in leaves if leaf._requires_grad)
        if not pairs or not wanted:
            return None
        outs, grads = zip(*pairs)
        captured = iter(BackwardPass(wanted, False, False, False).run(outs, list(grads)))
        return tuple(next(captured) if leaf._requires_grad else None for leaf in leaves)

    @staticmethod
    def exclusive(frame, gradient, grad_outputs, input_grads) -> bool:
        return False  # the engine's capture may share it


class CopyStep:
    """An in-place op on a tensor of the graph, around its recorded ops: the copy of the
    tensor's array they work on (``regs[target] = copy of regs[source]``), or, with ``into``,
    their result written back into that array (as eager mode writes it)."""

    __slots__ = ("source", "target", "into")

    def __init__(self, source: int, target: int, into: bool):
        self.source, self.target, self.into = source, target, into

    def run(self, frame: Frame) -> None:
        regs = frame.regs
        if self.into:
            regs[self.target][...] = regs[self.source]
        else:
            regs[self.target] = regs[self.source].copy()


class BackwardStep:
    """``backward()`` inside the call: the plan, then the totals into the leaves' ``.grad``."""

    __slots__ = ("plan", "leaves", "grad_slots")

    def __init__(self, plan, leaves: dict):
        self.plan = plan
        self.leaves = leaves  # boundary register -> Ref of the leaf
        self.grad_slots: list = []  # (boundary index, slot of that leaf's .grad array)

    def run(self, frame: Frame) -> None:
        with set_grad_enabled(False), numpy_module.errstate(all="ignore"):  # as the engine
            totals = self.plan.run(frame, None)
        leaves = self.leaves
        for boundary, (total, owned) in totals.items():
            accumulate_array(leaves[boundary].resolve(frame), total, owned)
        regs = frame.regs
        for boundary, slot in self.grad_slots:
            regs[slot] = leaves[boundary].resolve(frame)._grad._data
