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

import contextlib
import functools
from functools import partial

from .._backend import default_module as numpy_module
from .._backend import ndarray
from .._dtypes import default_float_cell
from ..autograd.engine import accumulate_array, fit_array
from ..autograd.grad_mode import set_grad_enabled
from ..autograd.grad_mode import state as grad_state
from ..ops._op import _quiet_forward
from ..ops._warnings import silenced as numpy_warnings_silenced
from ..tensor import Tensor
from ._steps import BackwardStep, CallStep, CopyStep, Frame, OpStep, Ref, rebuild

__all__ = ["lower", "guard_function", "signature_function"]


class _Writer:
    """Source lines and the namespace the generated function reads its constants from."""

    def __init__(self):
        self.lines: list = []
        self.helpers: list = []  # lines of functions defined before the main one
        self.shift = 0  # added to every line's indent
        self.frame = True  # registers in a Frame (see register)
        # The thread's grad mode where the code is, known without reading it (the per-thread
        # read costs as much as a small guard); None once a call may have changed it.
        self.grad_mode = None
        self.names = {
            "ndarray": ndarray,
            "asarray": numpy_module.asarray,
            "errstate": numpy_module.errstate,
            "quiet": _quiet_forward,
            "silenced": numpy_warnings_silenced,
            # Warnings from generated code count as tensorgrad's own (see tensorgrad.ops).
            "__name__": "tensorgrad.compiler.generated",
            "fit": fit_array,
            "accumulate": accumulate_array,
            "grad_state": grad_state,
            "set_grad_enabled": set_grad_enabled,
            "Frame": Frame,
            "Tensor": Tensor,
            "rebuild": rebuild,
        }

    def register(self, slot: int) -> str:
        """The expression for register ``slot``: ``regs[slot]`` of the Frame, or the local
        ``r<slot>`` when the code hands no Frame to anything (a record writes every register
        before it reads it)."""
        return f"regs[{slot}]" if self.frame else f"r{slot}"

    def constant(self, prefix: str, value) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * (indent + self.shift) + text)

    @contextlib.contextmanager
    def helper(self):
        """Lines written inside the block go to a function defined before the main one, at
        module level (one indent less)."""
        main, self.lines, self.shift = self.lines, self.helpers, -1
        try:
            yield
        finally:
            self.lines, self.shift = main, 0

    def function(self, name: str):
        namespace = dict(self.names)
        exec(_code("\n".join(self.helpers + self.lines)), namespace)  # noqa: S102
        return namespace[name]


@functools.lru_cache(maxsize=256)
def _code(source: str):
    """``source`` compiled. Cached: a new batch size or mode of the same model writes the same
    source (shapes and objects are names bound in the namespace), and compiling a long
    record costs milliseconds."""
    return compile(source, "<tensorgrad.compile record>", "exec")


def guard_function(guards: list):
    """One function ``holds(flat)``: True while every guard holds (``flat`` is the call's
    flattened arguments)."""
    out = _Writer()
    out.line(0, "def holds(flat):")
    _return_whether_all(out, _guard_tests(out, guards))
    return out.function("holds")


def _return_whether_all(out: _Writer, groups: list) -> None:
    """Return False at the first group of tests that fails, else True (one ``if`` per group:
    Python runs that faster than one long ``and`` expression). A KeyError is a failed test:
    a module's table lost a member the record looked up (``table[name]`` costs half of
    ``table.get(name)``)."""
    if groups:
        out.line(1, "try:")
        for tests in groups:
            out.line(2, f"if not ({' and '.join(tests)}):")
            out.line(3, "return False")
        out.line(1, "except KeyError:")
        out.line(2, "return False")
    out.line(1, "return True")


def _guard_tests(out: _Writer, guards: list) -> list:
    """For each thing the guards watch, the tests (expressions over ``flat``, the call's
    flattened arguments) that all hold while it is as recorded: one group per thing, however
    often the recording entered it."""
    unique: dict = {}
    for guard in guards:
        unique.setdefault((guard[0], id(guard[1])), guard)
    groups = []
    for kind, target, *rest in unique.values():
        if kind == "tensor":
            shape, dtype, requires_grad, leaf, hooked = rest[0]
            tensor = out.constant("G", target)
            # An array of another type (moved to a device) records again; so does a new hook,
            # which must run while the record skips it.
            tests = _tensor_tests(out, tensor, "data", (ndarray, shape, dtype, requires_grad, leaf))
            tests.append(f"{'' if hooked else 'not '}{tensor}._hooks")
        elif kind == "training":
            tests = [f"{out.constant('M', target)}.training is {out.constant('V', rest[0])}"]
        elif kind == "members":
            members = out.constant("D", target)
            count = f"len({members}) == {len(rest[0])}" if rest[0] else f"not {members}"
            tests = [count] + [
                f"{members}[{name!r}] is {out.constant('V', value)}" for name, value in rest[0]
            ]
        else:  # "arg leaf": the argument's hooks
            tests = [f"not flat[{target}]._hooks"]
        groups.append(tests)
    return groups


def _tensor_tests(out: _Writer, tensor: str, data: str, recorded: tuple) -> list:
    """Tests that the tensor named ``tensor`` still has the recorded ``(array type, shape,
    dtype, requires_grad, is a leaf)``; the first binds its array to the name ``data``."""
    array_type, shape, dtype, requires_grad, leaf = recorded
    return [
        f"type({data} := {tensor}._data) is {out.constant('A', array_type)}",
        f"{data}.shape == {out.constant('Z', shape)}",
        _same_dtype(f"{data}.dtype", out.constant("T", dtype)),
        f"{tensor}._requires_grad is {requires_grad}",
        f"{tensor}.grad_fn is {'' if leaf else 'not '}None",
    ]


def _same_dtype(actual: str, expected: str) -> str:
    """``actual == expected`` for two dtypes, deciding by identity first: NumPy's built-in
    dtypes are single objects, and ``is`` costs a third of what ``==`` does."""
    return f"({actual} is {expected} or {actual} == {expected})"


def signature_function(args: tuple, grad_enabled: bool, default_dtype, guards: list):
    """One function ``matches(flat)``: True when a call with positional tensors ``flat`` has
    the recorded call's signature (each tensor's array type, shape, dtype and grad flags, no
    two sharing an array, the grad mode and default dtype) and the record's ``guards`` hold.
    What building and hashing the cache key, then the guards, decide, without building
    anything; or None when the recorded call shares a tensor between arguments."""
    arrays = [tensor._data for tensor in args]
    if len({id(a) for a in args}) < len(args) or len({id(a) for a in arrays}) < len(args):
        return None
    out = _Writer()
    out.names["default_dtype"] = default_float_cell
    names = [f"a{i}" for i in range(len(args))]
    out.line(0, "def matches(flat):")
    out.line(1, f"if len(flat) != {len(args)}:")
    out.line(2, "return False")
    if names:
        out.line(1, f"{', '.join(names)}, = flat")
        tests = [f"type({name}) is Tensor" for name in names]
        tests += [f"{a} is not {b}" for i, a in enumerate(names) for b in names[i + 1 :]]
        out.line(1, f"if not ({' and '.join(tests)}):")
        out.line(2, "return False")
    tests = []
    for name, tensor, array in zip(names, args, arrays):
        described = (type(array), array.shape, array.dtype, tensor._requires_grad)
        tests += _tensor_tests(out, name, f"d{name}", (*described, tensor.grad_fn is None))
    tests += [f"d{a} is not d{b}" for i, a in enumerate(names) for b in names[i + 1 :]]
    tests += [
        f"grad_state.enabled is {grad_enabled}",
        f"default_dtype[0] is {out.constant('T', default_dtype)}",
    ]
    _return_whether_all(out, [tests, *_guard_tests(out, guards)])
    return out.function("matches")


def lower(steps: list, n_slots: int, bindings: tuple, outputs: tuple, grad_enabled: bool):
    """A function ``run(flat)`` returning the call's result: what binding the call's
    arguments (``flat``) and outside tensors to registers, ``for step in steps:
    step.run(frame)``, then building the result does; or None if ``steps`` hold nothing worth
    lowering. ``bindings`` are the recording's ``(tensor_inputs, array_inputs, externals)``,
    ``outputs`` its ``(template, refs)``: the result's structure and a Ref per tensor in it
    (each a new Tensor over its register's array, or what the Ref resolves to).
    ``grad_enabled`` is the grad mode every call of ``run`` starts in (its signature's)."""
    if not any(isinstance(step, OpStep) for step in steps):
        return None
    tensor_inputs, array_inputs, externals = bindings
    template, refs = outputs
    out = _Writer()
    out.grad_mode = grad_enabled
    out.frame = _needs_frame(steps, refs)
    out.line(0, "def run(flat):")
    if out.frame:
        out.line(1, f"frame = Frame({n_slots}, flat)")
        out.line(1, "regs = frame.regs")
        out.line(1, "kept = frame.kept")
    for slot, position in tensor_inputs:
        out.line(1, f"{out.register(slot)} = flat[{position}]._data")
    for slot, position in array_inputs:
        out.line(1, f"{out.register(slot)} = flat[{position}]")
    for slot, tensor in externals:
        out.line(1, f"{out.register(slot)} = {out.constant('E', tensor)}._data")
    for index, step in enumerate(steps):
        if not _written_out(step):
            out.line(1, f"{out.constant('S', step)}.run(frame)")
            _after_call(out, step)
            if isinstance(step, OpStep) and step.keep:
                out.line(1, f"c{index} = kept[{index}]")
        elif isinstance(step, OpStep):
            _forward(out, index, step)
        elif isinstance(step, BackwardStep):
            _backward(out, step, steps)
        else:  # zero_grad(), optimizer.step()…
            _call(out, step)
    values = [
        f"Tensor({out.register(ref.slot)})"
        if ref.kind == "slot"
        else f"{out.constant('R', ref)}.resolve(frame)"
        for ref in refs
    ]
    if type(template) is Ref:  # a step returning its loss
        out.line(1, f"return {values[0]}")
    else:
        out.line(1, f"return rebuild({out.constant('R', template)}, [{', '.join(values)}])")
    return out.function("run")


def _written_out(step) -> bool:
    """Whether :func:`lower` writes ``step`` out (else it runs the step, on the Frame): a
    static op's forward, a backward, or a call of Python values only."""
    if isinstance(step, OpStep):
        return not step.dynamic
    return isinstance(step, BackwardStep) or (type(step) is CallStep and not step.refs)


def _formula_node(plan, j: int, node) -> bool:
    """Whether the backward plan's node ``j`` runs as its op's formula, called in place
    (else as the step's own backward, on the Frame)."""
    return isinstance(node, OpStep) and plan.n_outputs[j] == 1


def _needs_frame(steps: list, refs: list) -> bool:
    """Whether the code for ``steps`` and result ``refs`` hands the Frame to anything: a step
    it runs as is, a graph step's backward, a leaf or result that a Ref resolves."""
    for step in steps:
        if not _written_out(step):
            return True
        if isinstance(step, BackwardStep):
            plan = step.plan
            if not all(_formula_node(plan, j, node) for j, node, _ in plan.schedule):
                return True
            if any(step.leaves[slot].kind != "external" for slot in plan.boundaries):
                return True
    return any(ref.kind != "slot" for ref in refs)


def _forward(out: _Writer, index: int, step: OpStep) -> None:
    op = out.constant("O", step.op)
    forward = out.constant("F", step.op.forward)
    ctx = f"c{index}"
    out.line(1, f"{ctx} = {op}.__new__({op})")
    if step.needs is not None:
        out.line(1, f"{ctx}.needs_input_grad = {out.constant('N', step.needs)}")
    inputs = ", ".join(out.register(slot) for slot in step.inputs)
    params = out.constant("P", step.params)
    # Spelled out, not **params: a call with keyword names binds without building a dict.
    keywords = "".join(f", {key}={out.constant('P', value)}" for key, value in step.params.items())
    out.line(1, "try:")
    out.line(2, f"value = {forward}({ctx}, {inputs}{keywords})")
    out.line(1, "except RuntimeWarning:  # -W error: again quietly, as Op.apply does")
    out.line(2, f"value = quiet({op}, {ctx}, ({inputs},), {params})")
    if len(step.outputs) == 1:
        target = out.register(step.outputs[0])
        out.line(1, f"{target} = value if type(value) is ndarray else asarray(value)")
    else:
        out.line(1, "values = value")
        for number, slot in enumerate(step.outputs):
            out.line(1, f"value = values[{number}]")
            target = out.register(slot)
            out.line(1, f"{target} = value if type(value) is ndarray else asarray(value)")
    if step.keep and out.frame:
        out.line(1, f"kept[{index}] = {ctx}")


def _call(out: _Writer, step: CallStep) -> None:
    """What ``CallStep.run`` does for a call of Python values only (no tensor of the call)."""
    args, kwargs = step.template
    arguments = [f"*{out.constant('A', args)}"] if args else []
    arguments += [f"**{out.constant('K', kwargs)}"] if kwargs else []
    call = f"{out.constant('C', step.function)}({', '.join(arguments)})"
    if out.grad_mode is None:
        out.line(1, f"if grad_state.enabled is {step.grad_mode}:")
        out.line(2, f"result = {call}")
        out.line(1, "else:")
        out.line(2, f"with set_grad_enabled({step.grad_mode}):")
        out.line(3, f"result = {call}")
    elif out.grad_mode is step.grad_mode:
        out.line(1, f"result = {call}")
    else:
        out.line(1, f"with set_grad_enabled({step.grad_mode}):")
        out.line(2, f"result = {call}")
    _after_call(out, step)
    if step.outputs:
        out.line(1, "results = result if isinstance(result, (tuple, list)) else (result,)")
        for position, slot in step.outputs:
            out.line(1, f"{out.register(slot)} = results[{position}]._data")


def _after_call(out: _Writer, step) -> None:
    """Forget the grad mode after a step that may leave it changed: anything but an op's
    formula and a copy. Even tensorgrad's own calls run user code (a scheduler's
    ``lr_lambda``, an optimizer subclass's update), which may switch it for good."""
    if not isinstance(step, (OpStep, CopyStep)):
        out.grad_mode = None


def _backward(out: _Writer, step: BackwardStep, steps: list) -> None:
    """The plan unrolled into a function ``backward<n>(…)`` defined before ``run``:
    ``p<j>_<k>`` pending gradients, ``t<b>``/``o<b>`` leaf totals (returned); it takes the
    ctx, registers and Frame it reads as arguments (a closure over them would make cells on
    every call). It runs as the engine runs formulas, without NumPy warnings.
    ``numpy.errstate`` around it costs as much as a small layer's backward, so a plan of op
    formulas alone runs bare while tensorgrad's warnings filter silences them, and again
    quietly only if one raised (``numpy.seterr(all="raise")``): op formulas write nothing but
    their own new arrays, and the totals reach the leaves after it."""
    plan = step.plan
    totals = ", ".join(f"t{slot}, o{slot}" for slot in plan.boundaries) or "_"
    reads = [f"c{j}" for j, node, _ in plan.schedule if _formula_node(plan, j, node)]
    if not all(_formula_node(plan, j, node) for j, node, _ in plan.schedule):
        reads.append("frame")
    reads += [out.register(seed) for seed in plan.seeds if type(seed) is int]
    if out.frame:  # registers are items of regs
        reads = [name for name in reads if not name.startswith("regs[")] + ["regs"]
    arguments = ", ".join(dict.fromkeys(reads))
    call = f"backward{len(out.helpers)}({arguments})"
    with out.helper():
        _backward_function(out, plan, call, totals)
    enabled = "enabled" if out.grad_mode is None else str(out.grad_mode)
    if out.grad_mode is None:
        out.line(1, "enabled = grad_state.enabled")
    out.line(1, "grad_state.enabled = False")
    out.line(1, "try:")
    # Bare only if every node is an op formula (a graph step runs the engine, which frees
    # what it saved, and a user's Function may count its calls: neither may run twice).
    if all(isinstance(node, OpStep) for _, node, _ in plan.schedule):
        out.line(2, "if silenced():")
        out.line(3, "try:")
        out.line(4, f"{totals} = {call}")
        out.line(3, "except (RuntimeWarning, FloatingPointError):  # seterr(all='raise')")
        out.line(4, "with errstate(all='ignore'):")
        out.line(5, f"{totals} = {call}")
        out.line(2, "else:")
        out.line(3, "with errstate(all='ignore'):")
        out.line(4, f"{totals} = {call}")
    else:
        out.line(2, "with errstate(all='ignore'):")
        out.line(3, f"{totals} = {call}")
    for slot in plan.boundaries:
        # A leaf without a gradient takes an exclusive total as it is: accumulate's first
        # case, written out (a training step after zero_grad() takes no other: one call less
        # per parameter).
        out.line(2, f"if t{slot} is not None:")
        out.line(3, f"leaf = {_leaf(out, step.leaves[slot])}")
        out.line(3, f"if o{slot} and leaf._grad is None:")
        out.line(4, f"leaf._grad = Tensor(t{slot})")
        out.line(3, "else:")
        out.line(4, f"accumulate(leaf, t{slot}, o{slot})")
    for boundary, slot in step.grad_slots:
        out.line(2, f"{out.register(slot)} = {_leaf(out, step.leaves[boundary])}._grad._data")
    out.line(1, "finally:")
    out.line(2, f"grad_state.enabled = {enabled}")


def _backward_function(out: _Writer, plan, call: str, totals: str) -> None:
    """The lines of ``def <call>:`` running ``plan`` (see :func:`_backward`)."""
    out.line(1, f"def {call}:")
    pending = {(j, k) for j, _, edges in plan.schedule for k in range(plan.n_outputs[j])}
    for j, k in sorted(pending):
        out.line(2, f"p{j}_{k} = None")
    for slot in plan.boundaries:
        out.line(2, f"t{slot} = None")
        out.line(2, f"o{slot} = False")
    for (j, k), seed in zip(plan.roots, plan.seeds):
        value = out.register(seed) if type(seed) is int else out.constant("K", seed)
        out.line(2, f"p{j}_{k} = {value} if p{j}_{k} is None else p{j}_{k} + {value}")
    for j, node, edges in plan.schedule:
        grads = [f"p{j}_{k}" for k in range(plan.n_outputs[j])]
        out.line(2, f"if {' or '.join(f'{g} is not None' for g in grads)}:")
        if _formula_node(plan, j, node):
            backward = out.constant("B", node.op.backward)
            out.line(3, f"grads = {backward}(c{j}, {grads[0]})")
            out.line(3, "if type(grads) is not tuple:")
            out.line(4, "grads = (grads,)")
            out.line(3, "count = len(grads)")
            exclusive = partial(_unshared, grads[0], len(node.inputs))
        else:  # several outputs, or a graph step: the step's own backward
            out.line(3, f"grads = {out.constant('S', node)}.backward(frame, [{', '.join(grads)}])")
            out.line(3, "if grads is None:")
            out.line(4, "grads = ()")
            out.line(3, "count = len(grads)")
            exclusive = None
        for position, origin, (shape, dtype) in edges:
            _edge(out, position, origin, shape, dtype, exclusive)
    out.line(2, f"return {totals if plan.boundaries else 'None'}")


def _leaf(out: _Writer, ref) -> str:
    """The expression for a backward's leaf: the tensor itself when it is an external."""
    if ref.kind == "external":
        return out.constant("L", ref.target)
    return f"{out.constant('L', ref)}.resolve(frame)"


def _unshared(upstream: str, n_inputs: int, position: int) -> str:
    """The engine's ``_is_exclusive`` for an op formula's gradient ``g`` at ``position``,
    written out (a built-in op has no argument positions): not a view, not the upstream
    gradient, not another input's gradient."""
    others = "".join(
        f" and (count <= {i} or grads[{i}] is not g)" for i in range(n_inputs) if i != position
    )
    return f"g.base is None and g is not {upstream}{others}"


def _edge(out: _Writer, position, origin, shape, dtype, exclusive) -> None:
    """Route ``grads[position]`` to its producer or leaf total. ``exclusive(position)`` is
    the expression telling whether a leaf may keep it uncopied (None: only a copy fit made)."""
    shape_name, dtype_name = out.constant("Z", shape), out.constant("T", dtype)
    out.line(3, f"if count > {position} and grads[{position}] is not None:")
    out.line(4, f"g = grads[{position}]")
    same_dtype = _same_dtype("g.dtype", dtype_name)
    # From the ndarrays the guards admit, a formula makes ndarrays, or NumPy scalars of shape
    # (): only a 0-d gradient needs its type checked.
    array = "" if shape else "type(g) is ndarray and "
    out.line(4, f"if {array}g.shape == {shape_name} and {same_dtype}:")
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
    if exclusive is None:
        out.line(5, f"o{slot} = fitted and g.base is None")
    else:
        out.line(5, f"o{slot} = g.base is None if fitted else ({exclusive(position)})")
    out.line(4, f"elif o{slot}:")
    out.line(5, f"t{slot} += g")
    out.line(4, "else:")
    out.line(5, f"t{slot} = t{slot} + g")
    out.line(5, f"o{slot} = True")
