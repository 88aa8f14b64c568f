"""From a :class:`~tensorgrad.onnx._capture.Capture` to an ``onnx.ModelProto``: each recorded
step through its translation (see ``_graph``), in the order the call ran them.

Each register of the recording becomes an ONNX value when something first reads it: an input,
a node's output, a parameter (an initializer named like ``state_dict``'s key) or a constant.
An in-place update (``relu_()``, ``x[0] = v``) rebinds its register to a new value, so the steps
after it read the updated one.
"""

from __future__ import annotations

import inspect

import numpy

from ..autograd.grad_mode import no_grad
from ..compiler._steps import OpStep, rebuild
from ..ops._op import Op
from ._capture import Dim, Triangle, Varying, is_symbolic
from ._graph import TRANSLATIONS, Graph, Value, onnx_type
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["build_model"]

_RANDOM = {
    "rand",
    "randn",
    "normal",
    "bernoulli",
    "randint",
    "randperm",
    "rand_like",
    "randn_like",
    "randint_like",
}


def target_of(function):
    """The key of a recorded whole call in the translation table."""
    owner = getattr(function, "__self__", None)
    if isinstance(owner, type):  # Function.apply, bound to the Function class
        return owner
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"


def op_name(target) -> str:
    """The name an error gives an op: its class name, or the function's name."""
    if isinstance(target, type):
        return target.__name__
    return target.rsplit(".", 1)[-1]


class _Builder:
    def __init__(self, capture, graph: Graph, parameter_names: dict, export_params: bool):
        self.capture, self.graph = capture, graph
        self.names: dict = {}  # register -> ONNX name
        self.external = {register: tensor for register, tensor in capture.externals}
        self.parameter_names = parameter_names
        self.export_params = export_params
        self.parameter_inputs: list = []  # (name, array) of parameters fed as inputs
        self.views: dict = {}  # register -> registers that are views of it

    def value(self, register: int) -> Value:
        name = self.names.get(register)
        array = self.capture.values[register]
        constant = self.capture.constants.get(register)
        if type(constant) is not numpy.ndarray or (
            not self.export_params and id(self.external[register]) in self.parameter_names
        ):
            constant = None  # parameters fed as inputs are not constants of the graph
        label = self.parameter_names.get(id(self.external.get(register)))
        return Value(name, array, register, constant, self._external, label)

    def _external(self, register: int) -> str:
        if register in self.names:
            return self.names[register]
        tensor = self.external.get(register)
        if tensor is None:
            raise OnnxExporterError(f"onnx.export: internal error: value {register} has no source")
        graph = self.graph
        known = self.parameter_names.get(id(tensor))
        content = self.capture.constants[register]
        if known is not None:
            if self.export_params:
                name = graph.initializer(tensor._data, known)
            else:
                name = graph.fresh(known)
                self.parameter_inputs.append((name, tensor._data))
        elif isinstance(content, Dim):  # a count that follows a dynamic axis (a mean's divisor)
            size = graph.add("Reshape", [graph.size(content), graph.ints([])])
            name = graph.cast(size, numpy.int64, tensor._data.dtype)
        elif isinstance(content, Triangle):  # a causal mask whose size follows an axis
            ones = graph.add(
                "ConstantOfShape",
                [graph.ints(content.shape)],
                value=graph.numpy_helper.from_array(numpy.ones(1, dtype=numpy.float32)),
            )
            triangle = graph.add(
                "Trilu",
                [ones, graph.scalar(content.diagonal, numpy.int64)],
                upper=int(content.upper),
            )
            name = graph.cast(triangle, numpy.float32, numpy.bool_)
        elif isinstance(content, Varying):
            raise OnnxExporterError(
                f"onnx.export: a constant of shape {tuple(tensor.shape)} changes with dynamic "
                f"axis {', '.join(repr(s) for s in content.symbols)}; the exporter cannot compute "
                f"it in the graph"
            )
        else:
            name = graph.constant(content, "const")
        self.names[register] = name
        return name

    def run(self) -> None:
        for step, arguments in zip(self.capture.steps, self.capture.arguments):
            if isinstance(step, OpStep):
                self._op_step(step, arguments)
            elif hasattr(step, "function"):
                self._call_step(step, arguments)
            else:
                raise OnnxExporterError("onnx.export: the model calls backward(); export a forward")

    def _op_step(self, step, params: dict) -> None:
        target = step.op
        inputs = [self.value(register) for register in step.inputs]
        params = dict(params)
        for name, template, registers in step.dynamic:
            params[name] = rebuild(template, [self.value(r) for r in registers])
        translation = self._translation(target, params)
        self.graph.results = [self.capture.values[r] for r in step.outputs]
        result = translation.function(self.graph, *inputs, **params)
        self._bind(step.outputs, result, op_name(target))
        if getattr(target, "is_view", False) and step.inputs:
            for output in step.outputs:
                self.views.setdefault(step.inputs[0], []).append(output)

    def _call_step(self, step, template) -> None:
        target = target_of(step.function)
        name = op_name(target)
        args, kwargs = rebuild(template, [self.value(ref.slot) for ref in step.refs])
        translation = TRANSLATIONS.get(target)
        if translation is None and not step.refs and not is_symbolic(template):
            if name in _RANDOM:
                raise UnsupportedOperatorError(name, "it draws random numbers")
            # A tensor made from Python values: made again, as an in-place update later in
            # the call may have changed the recorded one.
            with no_grad():
                made = step.function(*args, **kwargs)
            made = made if isinstance(made, (tuple, list)) else (made,)
            for position, register in step.outputs:
                self.names[register] = self.graph.constant(made[position]._data, name)
            return
        if translation is None and is_symbolic(template):
            raise UnsupportedOperatorError(name, "its arguments depend on a dynamic axis")
        translation = self._translation(target, _arguments(step.function, args, kwargs))
        results = [None] * (max((p for p, _ in step.outputs), default=-1) + 1)
        for position, register in step.outputs:
            results[position] = self.capture.values[register]
        self.graph.results = results
        result = translation.function(self.graph, *args, **kwargs)
        if translation.inplace:
            self._rebind(args[0], result, name)
            return
        if isinstance(result, str):
            result = (result,)
        self._bind(
            [register for _, register in step.outputs], [result[p] for p, _ in step.outputs], name
        )

    def _translation(self, target, params: dict):
        translation = TRANSLATIONS.get(target)
        if translation is None and isinstance(target, type) and not issubclass(target, Op):
            raise UnsupportedOperatorError(
                op_name(target), "a custom autograd Function (its forward is not recorded op by op)"
            )
        if translation is None:
            raise UnsupportedOperatorError(op_name(target))
        for key, value in params.items():
            if (
                key not in translation.dynamic
                and "*" not in translation.dynamic
                and is_symbolic(value)
            ):
                raise UnsupportedOperatorError(
                    op_name(target),
                    f"its argument '{key}' depends on a dynamic axis ({_symbolic_text(value)})",
                )
        return translation

    def _bind(self, registers: list, result, name: str) -> None:
        names = [result] if isinstance(result, str) else list(result)
        if len(names) != len(registers):
            raise OnnxExporterError(
                f"onnx.export: internal error: the translation of '{name}' gave {len(names)} "
                f"outputs for {len(registers)}"
            )
        for register, output in zip(registers, names):
            self.names[register] = output

    def _rebind(self, target: Value, result: str, name: str) -> None:
        register = target.register
        if register in self.external:
            raise UnsupportedOperatorError(name, "it changes a parameter or constant in place")
        if self.views.get(register) or any(register in v for v in self.views.values()):
            raise UnsupportedOperatorError(
                name, "it changes in place a tensor that shares memory with a view of it"
            )
        self.names[register] = result


def _arguments(function, args: tuple, kwargs: dict) -> dict:
    """A call's arguments by parameter name (``args`` holds the positional ones when the
    signature cannot be read)."""
    try:
        return dict(inspect.signature(function).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return {"args": args, **kwargs}


def _symbolic_text(value) -> str:
    found = []

    def walk(item):
        if isinstance(item, (Dim, Varying)):
            found.append(str(item) if isinstance(item, Dim) else f"{item.value!r}")
        elif isinstance(item, (tuple, list)):
            for x in item:
                walk(x)
        elif isinstance(item, dict):
            for x in item.values():
                walk(x)
        elif isinstance(item, slice):
            walk((item.start, item.stop, item.step))

    walk(value)
    return ", ".join(found[:3]) or "a size"


def build_model(
    capture,
    *,
    input_names: list,
    output_names: list,
    dynamic_names: dict,
    opset: int,
    parameter_names: dict,
    export_params: bool,
    keep_initializers_as_inputs: bool,
    producer_version: str,
):
    """The ``onnx.ModelProto`` of ``capture``. ``dynamic_names`` maps an input or output name to
    ``{axis: symbol}``."""
    from onnx import helper

    symbols = {}
    for name in input_names:
        for axis, symbol in dynamic_names.get(name, {}).items():
            symbols.setdefault(symbol, (name, axis))
    graph = Graph(opset, symbols)
    builder = _Builder(capture, graph, parameter_names, export_params)
    inputs = []
    for (register, _), name in zip(capture.inputs, input_names):
        graph.reserve(name)
        builder.names[register] = name
        array = capture.values[register]
        dims = [
            dynamic_names.get(name, {}).get(axis, size) for axis, size in enumerate(array.shape)
        ]
        inputs.append(helper.make_tensor_value_info(name, onnx_type(array.dtype), dims))
    for name in output_names:
        graph.reserve(name)
    builder.run()

    outputs, produced = [], {}
    for node in graph.nodes:
        for output in node.output:
            produced[output] = node
    taken = set()
    for k, (register, name) in enumerate(zip(capture.output_registers, output_names)):
        if register is None:
            raise OnnxExporterError(
                f"onnx.export: output {k} was not computed by the model's ops (a tensor built "
                f"from Python values?), so the graph cannot produce it"
            )
        source = builder.value(register).name
        if source in produced and source not in taken:
            _rename(graph.nodes, source, name)
            produced[name] = produced.pop(source)
            builder.names = {r: (name if n == source else n) for r, n in builder.names.items()}
        else:
            graph.nodes.append(
                helper.make_node("Identity", [source], [name], name=graph.fresh("Identity"))
            )
        taken.add(name)
        array = capture.values[register]
        shape = capture.output_shapes.get(register, array.shape)
        declared = {axis % max(array.ndim, 1): s for axis, s in dynamic_names.get(name, {}).items()}
        dims = [
            declared.get(
                axis,
                str(size) if isinstance(size, Dim) else None if isinstance(size, Varying) else size,
            )
            for axis, size in enumerate(shape)
        ]
        outputs.append(helper.make_tensor_value_info(name, onnx_type(array.dtype), dims))

    for name, array in builder.parameter_inputs:
        inputs.append(helper.make_tensor_value_info(name, onnx_type(array.dtype), array.shape))
    initializers = list(graph.initializers.values())
    if keep_initializers_as_inputs:
        inputs += [
            helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in initializers
        ]
    body = helper.make_graph(graph.nodes, "tensorgrad", inputs, outputs, initializers)
    model = helper.make_model(
        body,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="tensorgrad",
        producer_version=producer_version,
    )
    model.ir_version = _ir_version(opset, helper)
    return model


def _rename(nodes: list, old: str, new: str) -> None:
    for node in nodes:
        for k, name in enumerate(node.output):
            if name == old:
                node.output[k] = new
        for k, name in enumerate(node.input):
            if name == old:
                node.input[k] = new


def _ir_version(opset: int, helper) -> int:
    """The oldest IR version that knows ``opset``: runtimes a little older than onnx load it."""
    versions = [ir for _, ir, ai_onnx, *_ in helper.VERSION_TABLE if ai_onnx >= opset]
    return min(versions) if versions else helper.VERSION_TABLE[-1][1]
