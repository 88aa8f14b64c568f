"""The ONNX graph under construction, and the table of translations that fill it.

A translation is a function with the op's own signature: where the op's ``forward`` takes
arrays, the translation takes :class:`Value`\\ s (an ONNX name plus the array the recording
saw, for shapes and dtypes) and the same keyword parameters, adds nodes to the
:class:`Graph`, and returns the ONNX name of each output. Sizes that depend on a dynamic
axis arrive as :class:`~tensorgrad.onnx._capture.Dim`; ``Graph.ints`` turns a list of them
into a shape tensor computed when the model runs.
"""

from __future__ import annotations

import numpy

from ._capture import Dim, Varying
from .errors import OnnxExporterError

__all__ = ["Graph", "Value", "TRANSLATIONS", "translates", "INT64_MAX", "INT64_MIN"]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
TRANSLATIONS: dict = {}  # op class, Function class or "module.qualname" -> Translation


class Translation:
    """A translation and what it accepts: the parameters that may hold run-time sizes, and
    whether it updates its first argument in place."""

    __slots__ = ("function", "dynamic", "inplace")

    def __init__(self, function, dynamic: tuple, inplace: bool):
        self.function, self.dynamic, self.inplace = function, dynamic, inplace


def translates(*targets, dynamic: tuple = (), inplace: bool = False):
    """Register the decorated function as the ONNX translation of ``targets`` (op classes,
    ``Function`` classes, or ``"module.qualname"`` of public functions recorded whole).
    ``dynamic`` names the parameters that may hold run-time sizes."""

    def register(function):
        for target in targets:
            TRANSLATIONS[target] = Translation(function, tuple(dynamic), inplace)
        return function

    return register


class Value:
    """A tensor of the graph as a translation sees it: its ONNX ``name``, the ``array`` it held
    during the recording (shape and dtype), its register, and ``constant``: the array when it
    is a constant of the graph (a parameter or a constant tensor), else None.

    A parameter's initializer is only written when a translation reads ``name``: an LSTM's
    weights, which ONNX wants reordered, are stored once, reordered.
    """

    __slots__ = ("_name", "array", "register", "constant", "_source", "label")

    def __init__(self, name, array, register=None, constant=None, source=None, label=None):
        self._name, self.array, self.register, self.constant = name, array, register, constant
        self._source = source
        self.label = label or name or "value"  # a name for derived values (a parameter's)

    @property
    def name(self) -> str:
        if self._name is None:
            self._name = self._source(self.register)
        return self._name

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim


class Graph:
    """Nodes, initializers and the run-time sizes of one export (``opset``: the default
    domain's version). ``symbols`` maps each dynamic axis name to ``(input name, axis)``."""

    def __init__(self, opset: int, symbols: dict):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.opset = opset
        self.symbols = symbols
        self.nodes: list = []
        self.initializers: dict = {}  # name -> TensorProto
        self._constants: dict = {}  # (dtype, shape, bytes) -> name, for small constants
        self._sizes: dict = {}
        self._used: set = set()
        # The arrays the step being translated produced in the recording (its outputs'
        # shapes and dtypes), for translations that make a tensor from sizes alone.
        self.results: list = []

    # ------------------------------------------------------------------ names
    def fresh(self, hint: str) -> str:
        """A name no value of the graph has yet, built from ``hint``."""
        hint = hint.replace(" ", "_") or "value"
        name, number = hint, 0
        while name in self._used:
            number += 1
            name = f"{hint}_{number}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        """Claim ``name`` (a graph input's or a parameter's)."""
        self._used.add(name)

    # ------------------------------------------------------------------ nodes and constants
    def add(self, op_type: str, inputs, outputs: int = 1, **attributes):
        """Append an ``op_type`` node; its output name (a list of ``outputs`` names if > 1)."""
        names = [self.fresh(f"{op_type}_out") for _ in range(outputs)]
        attributes = {key: value for key, value in attributes.items() if value is not None}
        node = self.helper.make_node(
            op_type, list(inputs), names, name=self.fresh(op_type), **attributes
        )
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def initializer(self, array, name: str) -> str:
        """Store ``array`` as an initializer called ``name`` (made unique); its name."""
        name = name if name not in self._used else self.fresh(name)
        self._used.add(name)
        array = numpy.asarray(array)
        if not array.flags.c_contiguous:  # (ascontiguousarray would make a 0-d array 1-d)
            array = array.copy(order="C")
        self.initializers[name] = self.numpy_helper.from_array(array, name)
        return name

    def constant(self, array, hint: str = "const") -> str:
        """A constant tensor of the graph (small ones are shared)."""
        array = numpy.asarray(array)
        key = None
        if array.size <= 16:
            key = (array.dtype.str, array.shape, array.tobytes())
            if key in self._constants:
                return self._constants[key]
        name = self.initializer(array, hint)
        if key is not None:
            self._constants[key] = name
        return name

    def scalar(self, value, dtype) -> str:
        """A 0-d constant of ``dtype``."""
        return self.constant(numpy.asarray(value, dtype=dtype))

    def ints(self, values) -> str:
        """A 1-D int64 tensor of ``values``; :class:`Dim` entries are computed at run time."""
        values = list(values)
        if not any(isinstance(v, (Dim, Varying)) for v in values):
            return self.constant(numpy.asarray(values, dtype=numpy.int64), "shape")
        key = tuple(values)
        if key in self._sizes:
            return self._sizes[key]
        parts, run = [], []
        for value in values:
            if isinstance(value, (Dim, Varying)):
                if run:
                    parts.append(self.constant(numpy.asarray(run, dtype=numpy.int64), "shape"))
                    run = []
                parts.append(self.size(value))
            else:
                run.append(int(value))
        if run:
            parts.append(self.constant(numpy.asarray(run, dtype=numpy.int64), "shape"))
        result = parts[0] if len(parts) == 1 else self.add("Concat", parts, axis=0)
        self._sizes[key] = result
        return result

    def concat_ints(self, parts) -> str:
        """A 1-D int64 tensor from ``parts``: ints, :class:`Dim`\\ s, or names of 1-element
        int64 tensors computed in the graph."""
        pieces, run = [], []
        for part in parts:
            if isinstance(part, str):
                if run:
                    pieces.append(self.ints(run))
                    run = []
                pieces.append(part)
            else:
                run.append(part)
        if run:
            pieces.append(self.ints(run))
        return pieces[0] if len(pieces) == 1 else self.add("Concat", pieces, axis=0)

    def dim(self, name: str, axis: int) -> str:
        """The size of ``name``'s ``axis`` at run time, a 1-element int64 tensor."""
        return self.add("Shape", [name], start=axis, end=axis + 1 if axis != -1 else None)

    def size(self, dim) -> str:
        """``dim`` as a 1-element int64 tensor computed from the inputs' shapes."""
        if isinstance(dim, Varying):
            raise _varying(dim)
        if dim in self._sizes:
            return self._sizes[dim]
        result = None
        for symbol in dim.symbols:
            input_name, axis = self.symbols[symbol]
            size = self.add("Shape", [input_name], start=axis, end=axis + 1)
            result = size if result is None else self.add("Mul", [result, size])
        if dim.scale != 1:
            result = self.add(
                "Mul", [result, self.constant(numpy.asarray([dim.scale], dtype=numpy.int64))]
            )
        if dim.offset:
            result = self.add(
                "Add", [result, self.constant(numpy.asarray([dim.offset], dtype=numpy.int64))]
            )
        self._sizes[dim] = result
        return result

    # ------------------------------------------------------------------ common patterns
    def cast(self, name: str, source, target) -> str:
        """``name`` converted from dtype ``source`` to ``target`` (itself if they agree)."""
        if numpy.dtype(source) == numpy.dtype(target):
            return name
        return self.add("Cast", [name], to=onnx_type(target))

    def like(self, value: Value, dtype) -> str:
        """``value`` in ``dtype``."""
        return self.cast(value.name, value.dtype, dtype)

    def shape(self, name: str) -> str:
        return self.add("Shape", [name])

    def unsqueeze(self, name: str, axes) -> str:
        return self.add("Unsqueeze", [name, self.ints(axes)])

    def squeeze(self, name: str, axes) -> str:
        return self.add("Squeeze", [name, self.ints(axes)])

    def reduce(self, op_type: str, name: str, axes, keepdims: bool) -> str:
        """A ``Reduce*`` node over ``axes`` (None: all), whichever way this opset takes axes."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.add(op_type, [name], keepdims=keep)
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.add(op_type, [name, self.ints(axes)], keepdims=keep)
        return self.add(op_type, [name], axes=axes, keepdims=keep)


def onnx_type(dtype) -> int:
    """The ONNX element type of a NumPy dtype."""
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(numpy.dtype(dtype))


def _varying(value: Varying) -> OnnxExporterError:
    axes = ", ".join(f"'{s}'" for s in value.symbols)
    return OnnxExporterError(
        f"onnx.export: a size ({value.value!r} in this call) changes with dynamic axis {axes} in "
        f"a way the exporter cannot write as a function of it"
    )
