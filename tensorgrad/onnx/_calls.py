"""ONNX translations of the public functions the recorder keeps as whole calls: comparisons
and logical ops (they build their bool tensor directly), ``argmax``/``all``/``any``, gathers
with computed indices, and the factories whose size follows a dynamic axis (a ``zeros`` of
initial states). A factory whose arguments are all constants needs no translation: the
exporter stores the tensor it made.
"""

from __future__ import annotations

import numpy

from ._graph import Graph, Value, translates
from ._indexing import operand

__all__: list = []

_COMPARISON = "tensorgrad.ops.comparison."
_CREATION = "tensorgrad._creation."
_LIKE = "tensorgrad._creation_like."


def _pair(graph: Graph, input, other) -> tuple[str, str]:
    """Both operands in NumPy's result type (a Python number takes the tensor's kind)."""
    dtype = numpy.result_type(*(v.dtype if isinstance(v, Value) else v for v in (input, other)))
    return operand(graph, input, dtype), operand(graph, other, dtype)


def _comparison(op_type: str, negate: bool = False):
    def compare(graph, input, other):
        result = graph.add(op_type, list(_pair(graph, input, other)))
        return graph.add("Not", [result]) if negate else result

    return compare


for _name, _op_type, _negate in (
    ("eq", "Equal", False),
    ("ne", "Equal", True),
    ("lt", "Less", False),
    ("le", "LessOrEqual", False),
    ("gt", "Greater", False),
    ("ge", "GreaterOrEqual", False),
):
    translates(_COMPARISON + _name)(_comparison(_op_type, _negate))


def _logical(op_type: str, bitwise: str | None = None):
    def combine(graph, input, other):
        dtype = numpy.result_type(*(v.dtype if isinstance(v, Value) else v for v in (input, other)))
        if bitwise is not None and dtype.kind in "iu":
            return graph.add(bitwise, [operand(graph, input, dtype), operand(graph, other, dtype)])
        return graph.add(op_type, [operand(graph, v, numpy.bool_) for v in (input, other)])

    return combine


for _name, _op_type in (("and", "And"), ("or", "Or"), ("xor", "Xor")):
    translates(_COMPARISON + f"logical_{_name}")(_logical(_op_type))
    translates(_COMPARISON + f"bitwise_{_name}")(_logical(_op_type, f"Bitwise{_op_type}"))


@translates(_COMPARISON + "logical_not")
def _logical_not(graph, input):
    return graph.add("Not", [graph.like(input, numpy.bool_)])


@translates(_COMPARISON + "bitwise_not")
def _bitwise_not(graph, input):
    if input.dtype.kind in "iu":
        return graph.add("BitwiseNot", [input.name])
    return graph.add("Not", [input.name])


@translates(_COMPARISON + "isnan")
def _isnan(graph, input):
    if input.dtype.kind != "f":
        return graph.add("Expand", [graph.constant(numpy.zeros((), bool)), graph.shape(input.name)])
    return graph.add("IsNaN", [input.name])


@translates(_COMPARISON + "isinf")
def _isinf(graph, input):
    if input.dtype.kind != "f":
        return graph.add("Expand", [graph.constant(numpy.zeros((), bool)), graph.shape(input.name)])
    return graph.add("IsInf", [input.name])


@translates(_COMPARISON + "isfinite")
def _isfinite(graph, input):
    if input.dtype.kind != "f":
        return graph.add("Expand", [graph.constant(numpy.ones((), bool)), graph.shape(input.name)])
    bad = graph.add("Or", [graph.add("IsNaN", [input.name]), graph.add("IsInf", [input.name])])
    return graph.add("Not", [bad])


# ---------------------------------------------------------------------- reductions and picks
def _arg(op_type: str):
    def pick(graph, input, dim=None, keepdim=False):
        if input.ndim == 0:  # the only element is the extreme one
            return graph.constant(numpy.zeros(graph.results[0].shape, dtype=numpy.int64))
        name, axis = input.name, dim
        if dim is None:  # over the flattened tensor
            name, axis = graph.add("Reshape", [name, graph.ints([-1])]), 0
            keepdim = False
        out = graph.add(
            op_type, [name], axis=axis, keepdims=int(bool(keepdim)), select_last_index=0
        )
        if dim is None and input.ndim and graph.results and graph.results[0].ndim:
            out = graph.add("Reshape", [out, graph.ints([1] * input.ndim)])
        return out

    return pick


translates("tensorgrad.ops.reduction.argmax")(_arg("ArgMax"))
translates("tensorgrad.ops.reduction.argmin")(_arg("ArgMin"))


def _truth(op_type: str):
    def reduce(graph, input, dim=None, keepdim=False):
        flags = graph.cast(graph.like(input, numpy.bool_), numpy.bool_, numpy.int32)
        axes = None if dim is None else [dim] if isinstance(dim, int) else list(dim)
        out = graph.reduce(op_type, flags, axes, keepdim)
        return graph.cast(out, numpy.int32, numpy.bool_)

    return reduce


translates("tensorgrad.ops.reduction.all")(_truth("ReduceMin"))
translates("tensorgrad.ops.reduction.any")(_truth("ReduceMax"))


@translates("tensorgrad.ops.selection.argsort")
def _argsort(graph, input, dim=-1, descending=False, stable=False):
    count = graph.dim(input.name, dim if dim >= 0 else input.ndim + dim)
    _, indices = graph.add(
        "TopK", [input.name, count], 2, axis=dim, largest=int(descending), sorted=1
    )
    return indices


def _triangle(upper: int):
    def triangle(graph, input, diagonal=0):
        return graph.add("Trilu", [input.name, graph.scalar(diagonal, numpy.int64)], upper=upper)

    return triangle


translates("tensorgrad.ops.selection.tril")(_triangle(0))
translates("tensorgrad.ops.selection.triu")(_triangle(1))


@translates("tensorgrad.ops.indexing.gather")
def _gather(graph, input, dim, index, *, sparse_grad=False):
    return graph.add("GatherElements", [input.name, graph.like(index, numpy.int64)], axis=dim)


def _one_at(graph: Graph, name: str, ndim: int, axis: int) -> str:
    """``name``'s shape with a 1 at ``axis``, at run time (to broadcast along the other dims)."""
    parts = []
    if axis > 0:
        parts.append(graph.add("Shape", [name], start=0, end=axis))
    parts.append(1)
    if axis < ndim - 1:
        parts.append(graph.add("Shape", [name], start=axis + 1))
    return graph.concat_ints(parts)


@translates("tensorgrad.ops.indexing.take_along_dim")
def _take_along_dim(graph, input, indices, dim=None):
    index = graph.like(indices, numpy.int64)
    if dim is None:
        flat = graph.add("Reshape", [input.name, graph.ints([-1])])
        index = graph.add("Reshape", [index, graph.ints([-1])])
        return graph.add("GatherElements", [flat, index], axis=0)
    axis = dim % input.ndim  # NumPy's take_along_axis broadcasts the other dims
    source = graph.add("Expand", [input.name, _one_at(graph, index, input.ndim, axis)])
    index = graph.add("Expand", [index, _one_at(graph, input.name, input.ndim, axis)])
    return graph.add("GatherElements", [source, index], axis=axis)


@translates("tensorgrad.ops.indexing.index_select")
def _index_select(graph, input, dim, index):
    if isinstance(index, Value):
        positions = graph.like(index, numpy.int64)
    else:
        positions = graph.constant(numpy.asarray(index, dtype=numpy.int64), "index")
    return graph.add("Gather", [input.name, positions], axis=dim)


@translates("tensorgrad.ops.indexing.take")
def _take(graph, input, index):
    flat = graph.add("Reshape", [input.name, graph.ints([-1])])
    return graph.add("Gather", [flat, graph.like(index, numpy.int64)], axis=0)


@translates("tensorgrad.ops.indexing.masked_fill")
def _masked_fill(graph, input, mask, value):
    test = graph.like(mask, numpy.bool_)
    return graph.add("Where", [test, operand(graph, value, input.dtype), input.name])


@translates("tensorgrad.ops.rounding.floor_divide")
def _floor_divide(graph, input, other):
    dtype = numpy.result_type(*(v.dtype if isinstance(v, Value) else v for v in (input, other)))
    work = dtype if dtype.kind == "f" else numpy.dtype(numpy.float64)  # exact below 2**53
    quotient = graph.add("Div", [operand(graph, input, work), operand(graph, other, work)])
    return graph.cast(graph.add("Floor", [quotient]), work, dtype)


# ---------------------------------------------------------------------- factories
def _filled(graph: Graph, shape: str, value) -> str:
    """A tensor of ``shape`` (an int64 name) filled with ``value``, in the recorded dtype."""
    dtype = graph.results[0].dtype
    fill = graph.numpy_helper.from_array(numpy.asarray([value], dtype=dtype))
    return graph.add("ConstantOfShape", [shape], value=fill)


def _sizes(size: tuple):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


for _name, _fill in (("zeros", 0), ("ones", 1), ("empty", 0)):
    translates(_CREATION + _name, dynamic=("size",))(
        lambda graph, *size, dtype=None, device=None, requires_grad=False, _fill=_fill: _filled(
            graph, graph.ints(_sizes(size)), _fill
        )
    )
    translates(_LIKE + f"{_name}_like")(
        lambda graph, input, dtype=None, device=None, requires_grad=False, _fill=_fill: _filled(
            graph, graph.shape(input.name), _fill
        )
    )
    translates(_LIKE + f"new_{_name}", dynamic=("size",))(
        lambda graph, input, *size, dtype=None, device=None, requires_grad=False, _fill=_fill: (
            _filled(graph, graph.ints(_sizes(size)), _fill)
        )
    )


@translates(_CREATION + "full", dynamic=("size",))
def _full(graph, size, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled(graph, graph.ints(size), fill_value)


@translates(_LIKE + "full_like")
def _full_like(graph, input, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled(graph, graph.shape(input.name), fill_value)


@translates(_LIKE + "new_full", dynamic=("size",))
def _new_full(graph, input, size, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled(graph, graph.ints(size), fill_value)


@translates(_CREATION + "arange", dynamic=("start", "end", "step"))
def _arange(graph, start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    dtype = graph.results[0].dtype
    bounds = []
    for bound in (start, end, step):
        scalar = graph.add("Reshape", [graph.ints([bound]), graph.ints([])])
        bounds.append(graph.cast(scalar, numpy.int64, dtype))
    return graph.add("Range", bounds)
