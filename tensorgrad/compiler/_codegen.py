"""Lowering a record to one straight-line Python function.

Interpreting a record step by step costs a few Python calls per step and per node of the
backward plan — as much as the small NumPy calls they wrap. :func:`lower` writes the record
out instead: the op forwards one after another with their ctx, the backward plan unrolled (each
pending gradient a local, each leaf's total a local), and the other steps called in place. The
generated code does exactly what the interpreter does, in the same order, so a lowered replay
gives the same bits; ``tests/test_compile.py`` runs both.

Only records without a forward plan are lowered (a compiled forward whose outputs need a
backward node keeps the interpreter, which that node reuses).
"""

from __future__ import annotations

import functools

from .._backend import default_module as numpy_module
from .._backend import ndarray
from ..autograd.engine import _is_exclusive, accumulate_array, fit_array
from ..autograd.grad_mode import state as grad_state
from ..ops._op import _quiet_forward
from ..ops._warnings import silenced as numpy_warnings_silenced
from ._steps import _CONSTANT, BackwardStep, Frame, OpStep, _as_array

__all__ = ["lower", "guard_function"]


def _keep(ctx) -> None:
    """What ``OpStep.run`` does for a kept ctx: its saved arrays as constants."""
    if ctx._to_save:
        ctx._saved = [
            (_CONSTANT, None if item is None else _as_array(item), None, 0) for item in ctx._to_save
        ]
        ctx._to_save = ()


class _Writer:
    """Source lines and the namespace the generated function reads its constants from."""

    def __init__(self):
        self.lines: list = []
        self.names = {
            "ndarray": ndarray,
            "asarray": numpy_module.asarray,
            "errstate": numpy_module.errstate,
            "quiet": _quiet_forward,
            "silenced": numpy_warnings_silenced,
            # Warnings from generated code count as tensorgrad's own (see tensorgrad.ops).
            "__name__": "tensorgrad.compiler.generated",
            "keep": _keep,
            "fit": fit_array,
            "exclusive": _is_exclusive,
            "accumulate": accumulate_array,
            "grad_state": grad_state,
            "Frame": Frame,
        }

    def constant(self, prefix: str, value) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def function(self, name: str):
        namespace = dict(self.names)
        exec(_code("\n".join(self.lines)), namespace)  # noqa: S102
        return namespace[name]


@functools.lru_cache(maxsize=256)
def _code(source: str):
    """``source`` compiled. Cached: a new batch size or mode of the same model writes the same
    source (shapes and objects are names bound in the namespace), and compiling a long
    record costs milliseconds."""
    return compile(source, "<tensorgrad.compile record>", "exec")


def guard_function(guards: list):
    """One function ``holds(flat)``: True while every guard holds (``flat`` is the call's
    flattened arguments). Each thing watched is checked once, however often it was entered."""
    unique: dict = {}
    for guard in guards:
        unique.setdefault((guard[0], id(guard[1])), guard)
    out = _Writer()
    out.line(0, "def holds(flat):")
    for kind, target, *rest in unique.values():
        if kind == "tensor":
            shape, dtype, requires_grad, leaf, hooked = rest[0]
            tensor = out.constant("G", target)
            tests = (
                f"type({tensor}._data) is ndarray",  # moved to a device: record again (eager)
                f"{tensor}._data.shape == {out.constant('Z', shape)}",
                f"{tensor}._data.dtype == {out.constant('T', dtype)}",
                f"{tensor}._requires_grad is {requires_grad}",
                f"({tensor}.grad_fn is None) is {leaf}",
                f"bool({tensor}._hooks) is {hooked}",  # a new hook must run: the record skips it
            )
        elif kind == "training":
            tests = (f"{out.constant('M', target)}.training is {out.constant('V', rest[0])}",)
        elif kind == "members":
            members = out.constant("D", target)
            tests = (f"len({members}) == {len(rest[0])}",) + tuple(
                f"{members}.get({name!r}) is {out.constant('V', value)}" for name, value in rest[0]
            )
        else:  # "arg leaf": the argument's hooks
            tests = (f"not flat[{target}]._hooks",)
        out.line(1, f"if not ({' and '.join(tests)}):")
        out.line(2, "return False")
    out.line(1, "return True")
    return out.function("holds")


def lower(steps: list, n_slots: int, bindings: tuple):
    """A function ``run(flat) -> Frame`` doing what binding the call's arguments (``flat``)
    and outside tensors to registers, then ``for step in steps: step.run(frame)``, does; or
    None if ``steps`` hold nothing worth lowering. ``bindings`` are the recording's
    ``(tensor_inputs, array_inputs, externals)``."""
    if not any(isinstance(step, OpStep) for step in steps):
        return None
    tensor_inputs, array_inputs, externals = bindings
    out = _Writer()
    out.line(0, "def run(flat):")
    out.line(1, f"frame = Frame({n_slots}, flat)")
    out.line(1, "regs = frame.regs")
    out.line(1, "kept = frame.kept")
    for slot, position in tensor_inputs:
        out.line(1, f"regs[{slot}] = flat[{position}]._data")
    for slot, position in array_inputs:
        out.line(1, f"regs[{slot}] = flat[{position}]")
    for slot, tensor in externals:
        out.line(1, f"regs[{slot}] = {out.constant('E', tensor)}._data")
    for index, step in enumerate(steps):
        if isinstance(step, OpStep) and not step.dynamic:
            _forward(out, index, step)
        elif isinstance(step, BackwardStep):
            _backward(out, step, steps)
        else:
            out.line(1, f"{out.constant('S', step)}.run(frame)")
            if isinstance(step, OpStep) and step.keep:
                out.line(1, f"c{index} = kept[{index}]")
    out.line(1, "return frame")
    return out.function("run")


def _forward(out: _Writer, index: int, step: OpStep) -> None:
    op = out.constant("O", step.op)
    forward = out.constant("F", step.op.forward)
    ctx = f"c{index}"
    out.line(1, f"{ctx} = {op}.__new__({op})")
    if step.needs is not None:
        out.line(1, f"{ctx}.needs_input_grad = {out.constant('N', step.needs)}")
    inputs = ", ".join(f"regs[{slot}]" for slot in step.inputs)
    params = out.constant("P", step.params)
    keywords = f", **{params}" if step.params else ""
    out.line(1, "try:")
    out.line(2, f"value = {forward}({ctx}, {inputs}{keywords})")
    out.line(1, "except RuntimeWarning:  # -W error: again quietly, as Op.apply does")
    out.line(2, f"value = quiet({op}, {ctx}, ({inputs},), {params})")
    if len(step.outputs) == 1:
        target = f"regs[{step.outputs[0]}]"
        out.line(1, f"{target} = value if type(value) is ndarray else asarray(value)")
    else:
        out.line(1, "values = value")
        for number, slot in enumerate(step.outputs):
            out.line(1, f"value = values[{number}]")
            out.line(1, f"regs[{slot}] = value if type(value) is ndarray else asarray(value)")
    if step.keep:
        out.line(1, f"keep({ctx})")
        out.line(1, f"kept[{index}] = {ctx}")


def _backward(out: _Writer, step: BackwardStep, steps: list) -> None:
    """The plan unrolled into a local function ``backward()``: ``p<j>_<k>`` pending gradients,
    ``t<b>``/``o<b>`` leaf totals (returned). It runs as the engine runs formulas, without
    NumPy warnings. ``numpy.errstate`` around it costs as much as a small layer's backward,
    so a plan of op formulas alone runs bare while tensorgrad's warnings filter silences
    them, and again quietly only if one raised (``numpy.seterr(all="raise")``): op formulas
    write nothing but their own new arrays, and the totals reach the leaves after it."""
    plan = step.plan
    totals = ", ".join(f"t{slot}, o{slot}" for slot in plan.boundaries) or "_"
    out.line(1, "def backward():")
    pending = {(j, k) for j, _, edges in plan.schedule for k in range(plan.n_outputs[j])}
    for j, k in sorted(pending):
        out.line(2, f"p{j}_{k} = None")
    for slot in plan.boundaries:
        out.line(2, f"t{slot} = None")
        out.line(2, f"o{slot} = False")
    for (j, k), seed in zip(plan.roots, plan.seeds):
        value = f"regs[{seed}]" if type(seed) is int else out.constant("K", seed)
        out.line(2, f"p{j}_{k} = {value} if p{j}_{k} is None else p{j}_{k} + {value}")
    for j, node, edges in plan.schedule:
        grads = [f"p{j}_{k}" for k in range(plan.n_outputs[j])]
        out.line(2, f"if {' or '.join(f'{g} is not None' for g in grads)}:")
        if isinstance(node, OpStep) and len(grads) == 1:
            backward = out.constant("B", node.op.backward)
            out.line(3, f"grads = {backward}(c{j}, {grads[0]})")
            out.line(3, "if type(grads) is not tuple:")
            out.line(4, "grads = (grads,)")
            source = f"c{j}"
        else:  # several outputs, or a graph step: the step's own backward
            out.line(3, f"grads = {out.constant('S', node)}.backward(frame, [{', '.join(grads)}])")
            out.line(3, "if grads is None:")
            out.line(4, "grads = ()")
            source = None
        out.line(3, f"upstream = [{', '.join(grads)}]")
        for position, origin, (shape, dtype) in edges:
            _edge(out, position, origin, shape, dtype, source)
    out.line(2, f"return {totals if plan.boundaries else 'None'}")
    out.line(1, "enabled = grad_state.enabled")
    out.line(1, "grad_state.enabled = False")
    out.line(1, "try:")
    # Bare only if every node is an op formula (a graph step runs the engine, which frees
    # what it saved, and a user's Function may count its calls: neither may run twice).
    if all(isinstance(node, OpStep) for _, node, _ in plan.schedule):
        out.line(2, "if silenced():")
        out.line(3, "try:")
        out.line(4, f"{totals} = backward()")
        out.line(3, "except (RuntimeWarning, FloatingPointError):  # seterr(all='raise')")
        out.line(4, "with errstate(all='ignore'):")
        out.line(5, f"{totals} = backward()")
        out.line(2, "else:")
        out.line(3, "with errstate(all='ignore'):")
        out.line(4, f"{totals} = backward()")
    else:
        out.line(2, "with errstate(all='ignore'):")
        out.line(3, f"{totals} = backward()")
    for slot in plan.boundaries:
        leaf = out.constant("L", step.leaves[slot])
        out.line(2, f"if t{slot} is not None:")
        out.line(3, f"accumulate({leaf}.resolve(frame), t{slot}, o{slot})")
    for boundary, slot in step.grad_slots:
        out.line(
            2,
            f"regs[{slot}] = {out.constant('L', step.leaves[boundary])}.resolve(frame)._grad._data",
        )
    out.line(1, "finally:")
    out.line(2, "grad_state.enabled = enabled")


def _edge(out: _Writer, position, origin, shape, dtype, source) -> None:
    shape_name, dtype_name = out.constant("Z", shape), out.constant("T", dtype)
    out.line(3, f"if len(grads) > {position} and grads[{position}] is not None:")
    out.line(4, f"g = grads[{position}]")
    out.line(4, f"if type(g) is ndarray and g.shape == {shape_name} and g.dtype == {dtype_name}:")
    out.line(5, "fitted = False")
    out.line(4, "else:")
    out.line(5, f"g = fit(g, {shape_name}, {dtype_name})")
    out.line(5, "fitted = True")
    if origin[0] == "step":
        _, producer, k = origin
        name = f"p{producer}_{k}"
        out.line(4, f"{name} = g if {name} is None else {name} + g")
        return
    slot = origin[1]
    out.line(4, f"if t{slot} is None:")
    out.line(5, f"t{slot} = g")
    if source is None:
        out.line(5, f"o{slot} = fitted and g.base is None")
    else:
        out.line(
            5, f"o{slot} = g.base is None if fitted else exclusive(g, {source}, upstream, grads)"
        )
    out.line(4, f"elif o{slot}:")
    out.line(5, f"t{slot} += g")
    out.line(4, "else:")
    out.line(5, f"t{slot} = t{slot} + g")
    out.line(5, f"o{slot} = True")
