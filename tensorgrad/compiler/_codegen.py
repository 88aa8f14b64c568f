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

from .._backend import default_module as numpy_module
from .._backend import ndarray
from ..autograd.engine import _is_exclusive, accumulate_array, fit_array
from ..autograd.grad_mode import state as grad_state
from ._steps import _CONSTANT, BackwardStep, OpStep, _as_array

__all__ = ["lower"]


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
            "seterr": numpy_module.seterr,
            "keep": _keep,
            "fit": fit_array,
            "exclusive": _is_exclusive,
            "accumulate": accumulate_array,
            "grad_state": grad_state,
        }

    def constant(self, prefix: str, value) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def lower(steps: list):
    """A function ``run(frame)`` doing what ``for step in steps: step.run(frame)`` does, or
    None if ``steps`` hold nothing worth lowering."""
    if not any(isinstance(step, OpStep) for step in steps):
        return None
    out = _Writer()
    out.line(0, "def run(frame):")
    out.line(1, "regs = frame.regs")
    out.line(1, "kept = frame.kept")
    for index, step in enumerate(steps):
        if isinstance(step, OpStep) and not step.dynamic:
            _forward(out, index, step)
        elif isinstance(step, BackwardStep):
            _backward(out, step, steps)
        else:
            out.line(1, f"{out.constant('S', step)}.run(frame)")
            if isinstance(step, OpStep) and step.keep:
                out.line(1, f"c{index} = kept[{index}]")
    out.line(1, "return None")
    namespace = dict(out.names)
    exec(compile("\n".join(out.lines), "<tensorgrad.compile record>", "exec"), namespace)  # noqa: S102
    return namespace["run"]


def _forward(out: _Writer, index: int, step: OpStep) -> None:
    op = out.constant("O", step.op)
    forward = out.constant("F", step.op.forward)
    ctx = f"c{index}"
    out.line(1, f"{ctx} = {op}.__new__({op})")
    if step.needs is not None:
        out.line(1, f"{ctx}.needs_input_grad = {out.constant('N', step.needs)}")
    arguments = ", ".join([ctx] + [f"regs[{slot}]" for slot in step.inputs])
    if step.params:
        arguments += f", **{out.constant('P', step.params)}"
    if len(step.outputs) == 1:
        target = f"regs[{step.outputs[0]}]"
        out.line(1, f"value = {forward}({arguments})")
        out.line(1, f"{target} = value if type(value) is ndarray else asarray(value)")
    else:
        out.line(1, f"values = {forward}({arguments})")
        for number, slot in enumerate(step.outputs):
            out.line(1, f"value = values[{number}]")
            out.line(1, f"regs[{slot}] = value if type(value) is ndarray else asarray(value)")
    if step.keep:
        out.line(1, f"keep({ctx})")
        out.line(1, f"kept[{index}] = {ctx}")


def _backward(out: _Writer, step: BackwardStep, steps: list) -> None:
    """The plan unrolled: ``p<j>_<k>`` pending gradients, ``t<b>``/``o<b>`` leaf totals."""
    plan = step.plan
    out.line(1, "enabled = grad_state.enabled")
    out.line(1, "grad_state.enabled = False")
    out.line(1, "errors = seterr(all='ignore')")
    out.line(1, "try:")
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
    out.line(2, "seterr(**errors)")


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
