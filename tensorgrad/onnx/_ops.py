"""ONNX translations of the elementwise, reduction and shape primitives (``tensorgrad.ops``).

Each has the signature of the op's ``forward`` (see ``_graph``) and computes what the forward
computes, dtype included: NumPy promotes mixed operands, ONNX refuses them, so operands are
cast to NumPy's result type first. Where ONNX's op differs at the edges (its ``Softplus``
overflows, its ``Sign`` of NaN is NaN), the translation writes out tensorgrad's formula.
"""

from __future__ import annotations

import math

import numpy

from ..ops import (
    arithmetic,
    conditional,
    conversion,
    fused,
    reduction,
    rounding,
    shape,
    special,
    statistics,
    trigonometry,
    unary,
)
from ..ops.activation import Softmax
from ..ops.einsum import Einsum  # (tensorgrad.ops.einsum and .matmul are also functions)
from ..ops.joining import Cat
from ..ops.matmul import MatMul
from ._graph import INT64_MIN, Graph, Value, onnx_type, translates

__all__: list = []


def binary(graph: Graph, op_type: str, a: Value, b: Value, dtype=None) -> str:
    """``op_type(a, b)`` with both operands in ``dtype`` (default: NumPy's result type)."""
    dtype = numpy.result_type(a.dtype, b.dtype) if dtype is None else dtype
    return graph.add(op_type, [graph.like(a, dtype), graph.like(b, dtype)])


def _float_result(a: Value, b: Value):
    dtype = numpy.result_type(a.dtype, b.dtype)
    return dtype if dtype.kind in "fc" else numpy.dtype(numpy.float64)


# ---------------------------------------------------------------------- arithmetic
for _op, _onnx in (
    (arithmetic.Add, "Add"),
    (arithmetic.Sub, "Sub"),
    (arithmetic.Mul, "Mul"),
    (arithmetic.Maximum, "Max"),
    (arithmetic.Minimum, "Min"),
):
    translates(_op)(lambda graph, a, b, _onnx=_onnx: binary(graph, _onnx, a, b))


@translates(arithmetic.Div)
def _div(graph, a, b):  # true division: integers give a float (NumPy's float64)
    return binary(graph, "Div", a, b, _float_result(a, b))


@translates(arithmetic.Pow)
def _pow(graph, a, b):
    return binary(graph, "Pow", a, b)


@translates(arithmetic.PowScalar)
def _pow_scalar(graph, x, exponent):
    if exponent == 1:
        return graph.add("Identity", [x.name])
    if exponent == 2:  # x·x, exactly what NumPy's x**2 computes
        return graph.add("Mul", [x.name, x.name])
    if exponent == 0.5 and x.dtype.kind == "f":
        return graph.add("Sqrt", [x.name])
    dtype = numpy.result_type(x.dtype, exponent)
    return graph.add("Pow", [graph.like(x, dtype), graph.scalar(exponent, dtype)])


# ---------------------------------------------------------------------- elementwise
_NATIVE = {
    arithmetic.Neg: "Neg",
    arithmetic.Abs: "Abs",
    unary.Exp: "Exp",
    unary.Log: "Log",
    unary.Sqrt: "Sqrt",
    unary.Sin: "Sin",
    unary.Cos: "Cos",
    unary.Tanh: "Tanh",
    unary.Sigmoid: "Sigmoid",
    unary.Relu: "Relu",
    fused.Erf: "Erf",
    rounding.Floor: "Floor",
    rounding.Ceil: "Ceil",
    rounding.Round: "Round",  # both round half to even
    trigonometry.Tan: "Tan",
    trigonometry.Asin: "Asin",
    trigonometry.Acos: "Acos",
    trigonometry.Atan: "Atan",
    trigonometry.Sinh: "Sinh",
    trigonometry.Cosh: "Cosh",
    trigonometry.Asinh: "Asinh",
    trigonometry.Acosh: "Acosh",
    trigonometry.Atanh: "Atanh",
}
for _op, _onnx in _NATIVE.items():
    translates(_op)(lambda graph, x, _onnx=_onnx: graph.add(_onnx, [x.name]))


def _one(graph, x: Value) -> str:
    return graph.scalar(1, x.dtype)


@translates(unary.Rsqrt)
def _rsqrt(graph, x):
    return graph.add("Reciprocal", [graph.add("Sqrt", [x.name])])


@translates(unary.Log1p)
def _log1p(graph, x):
    return graph.add("Log", [graph.add("Add", [x.name, _one(graph, x)])])


@translates(unary.Expm1)
def _expm1(graph, x):
    return graph.add("Sub", [graph.add("Exp", [x.name]), _one(graph, x)])


@translates(special.Exp2)
def _exp2(graph, x):
    return graph.add("Pow", [graph.scalar(2, x.dtype), x.name])


for _op, _base in ((special.Log2, 2.0), (special.Log10, 10.0)):
    translates(_op)(
        lambda graph, x, _base=_base: graph.add(
            "Div", [graph.add("Log", [x.name]), graph.scalar(math.log(_base), x.dtype)]
        )
    )


@translates(special.Erfc)
def _erfc(graph, x):
    return graph.add("Sub", [_one(graph, x), graph.add("Erf", [x.name])])


@translates(fused.Softplus)
def _softplus(graph, x):  # relu(x) + log(1 + e^-|x|): ONNX's Softplus overflows for large x
    tail = graph.add("Exp", [graph.add("Neg", [graph.add("Abs", [x.name])])])
    tail = graph.add("Log", [graph.add("Add", [tail, _one(graph, x)])])
    return graph.add("Add", [graph.add("Relu", [x.name]), tail])


@translates(unary.Sign)
def _sign(graph, x):
    sign = graph.add("Sign", [x.name])
    if x.dtype.kind != "f":
        return sign
    return graph.add("Where", [graph.add("IsNaN", [x.name]), graph.scalar(0, x.dtype), sign])


@translates(rounding.Trunc)
def _trunc(graph, x):
    negative = graph.add("Less", [x.name, graph.scalar(0, x.dtype)])
    ceil, floor = graph.add("Ceil", [x.name]), graph.add("Floor", [x.name])
    return graph.add("Where", [negative, ceil, floor])


@translates(trigonometry.Atan2)
def _atan2(graph, y, x):  # atan(y/x) moved by ±π for x < 0; signed zeros as in NumPy
    dtype = numpy.result_type(y.dtype, x.dtype)
    y_name, x_name = graph.like(y, dtype), graph.like(x, dtype)
    zero, one = graph.scalar(0, dtype), graph.scalar(1, dtype)

    def negative(name):  # true for -0 too: 1/-0 is -inf
        return graph.add("Less", [graph.add("Div", [one, name]), zero])

    x_negative, y_negative = negative(x_name), negative(y_name)
    half_turn = graph.add(
        "Where", [y_negative, graph.scalar(-math.pi, dtype), graph.scalar(math.pi, dtype)]
    )
    angle = graph.add("Atan", [graph.add("Div", [y_name, x_name])])  # ±π/2 at x = ±0
    angle = graph.add("Add", [angle, graph.add("Where", [x_negative, half_turn, zero])])
    signed_zero = graph.add("Where", [y_negative, graph.scalar(-0.0, dtype), zero])
    at_origin = graph.add("Where", [x_negative, half_turn, signed_zero])
    origin = graph.add(
        "And", [graph.add("Equal", [x_name, zero]), graph.add("Equal", [y_name, zero])]
    )
    return graph.add("Where", [origin, at_origin, angle])


@translates(trigonometry.Hypot)
def _hypot(graph, a, b):
    dtype = numpy.result_type(a.dtype, b.dtype)
    a_name, b_name = graph.like(a, dtype), graph.like(b, dtype)
    squares = graph.add(
        "Add", [graph.add("Mul", [a_name, a_name]), graph.add("Mul", [b_name, b_name])]
    )
    return graph.add("Sqrt", [squares])


@translates(special.NanToNum)
def _nan_to_num(graph, x, nan, posinf, neginf):
    info = numpy.finfo(x.dtype)
    out = x.name
    for test, value in (
        (graph.add("IsNaN", [x.name]), 0.0 if nan is None else nan),
        (graph.add("IsInf", [x.name], detect_negative=0), info.max if posinf is None else posinf),
        (graph.add("IsInf", [x.name], detect_positive=0), info.min if neginf is None else neginf),
    ):
        out = graph.add("Where", [test, graph.scalar(value, x.dtype), out])
    return out


@translates(unary.Clamp)
def _clamp(graph, x, low, high):
    bounds = ["" if v is None else graph.scalar(v, x.dtype) for v in (low, high)]
    return graph.add("Clip", [x.name, *bounds])


@translates(unary.ClampBounds)
def _clamp_bounds(graph, x, *bounds, has_low, has_high):
    dtype = numpy.result_type(x.dtype, *(b.dtype for b in bounds))
    out = graph.like(x, dtype)
    if has_low:
        out = graph.add("Max", [out, graph.like(bounds[0], dtype)])
    if has_high:
        out = graph.add("Min", [out, graph.like(bounds[-1], dtype)])
    return out


@translates(conditional.Where)
def _where(graph, condition, a, b):
    dtype = numpy.result_type(a.dtype, b.dtype)
    test = graph.like(condition, numpy.bool_)
    return graph.add("Where", [test, graph.like(a, dtype), graph.like(b, dtype)])


@translates(conversion.Cast)
def _cast(graph, x, dtype):
    if x.dtype == dtype:
        return graph.add("Identity", [x.name])
    return graph.add("Cast", [x.name], to=onnx_type(dtype))


# ---------------------------------------------------------------------- over dims
@translates(Softmax)
def _softmax(graph, x, dim):
    return graph.add("Softmax", [x.name], axis=dim)


def _axes(dims, ndim: int):
    if dims is None:
        return list(range(ndim))
    return [dims] if isinstance(dims, int) else list(dims)


@translates(statistics.LogSumExp)
def _logsumexp(graph, x, dims, keepdim):  # max subtracted; a row of all -inf gives -inf
    axes = _axes(dims, x.ndim)
    shift = graph.reduce("ReduceMax", x.name, axes, True)
    finite = graph.add("Not", [graph.add("IsInf", [shift])])
    shift = graph.add("Where", [finite, shift, graph.scalar(0, x.dtype)])
    total = graph.reduce(
        "ReduceSum", graph.add("Exp", [graph.add("Sub", [x.name, shift])]), axes, True
    )
    out = graph.add("Add", [graph.add("Log", [total]), shift])
    return out if keepdim else graph.squeeze(out, axes)


@translates(statistics.VectorNorm2)
def _norm2(graph, x, dims, keepdim):
    return graph.reduce("ReduceL2", x.name, _axes(dims, x.ndim), keepdim)


@translates(reduction.Sum)
def _sum(graph, x, dims, keepdim, dtype):
    name = graph.like(x, graph.results[0].dtype)  # NumPy sums bools and small ints as int64
    axes = _axes(dims, x.ndim)
    if not axes:  # a sum over no dims is the tensor itself
        return graph.add("Identity", [name])
    return graph.reduce("ReduceSum", name, axes, keepdim)


@translates(reduction.SumTo)
def _sum_to(graph, x, dims, shape):
    summed = graph.reduce("ReduceSum", x.name, _axes(dims, x.ndim), True) if dims else x.name
    return graph.add("Reshape", [summed, graph.ints(shape)])


@translates(reduction.Prod)
def _prod(graph, x, dims, keepdim):
    return graph.reduce("ReduceProd", x.name, _axes(dims, x.ndim), keepdim)


@translates(reduction.Amax)
def _amax(graph, x, dims, keepdim, largest):
    return graph.reduce(
        "ReduceMax" if largest else "ReduceMin", x.name, _axes(dims, x.ndim), keepdim
    )


@translates(reduction.Cumsum)
def _cumsum(graph, x, dim, dtype):
    name = graph.like(x, graph.results[0].dtype)
    return graph.add("CumSum", [name, graph.ints([dim])])


@translates(MatMul)
def _matmul(graph, a, b):
    return binary(graph, "MatMul", a, b)


@translates(fused.Linear)
def _linear(graph, x, weight, *bias):
    if x.ndim == 2:
        return graph.add("Gemm", [x.name, weight.name, *(b.name for b in bias)], transB=1)
    out = graph.add("MatMul", [x.name, graph.add("Transpose", [weight.name], perm=[1, 0])])
    return graph.add("Add", [out, bias[0].name]) if bias else out


@translates(Einsum)
def _einsum(graph, *operands, subscripts, output):
    dtype = numpy.result_type(*(o.dtype for o in operands))
    equation = ",".join(subscripts) + "->" + output
    return graph.add("Einsum", [graph.like(o, dtype) for o in operands], equation=equation)


# ---------------------------------------------------------------------- shapes
@translates(shape.Reshape, dynamic=("shape",))
def _reshape(graph, x, shape):
    zero = any(type(size) is int and size == 0 for size in shape)
    return graph.add("Reshape", [x.name, graph.ints(shape)], allowzero=1 if zero else None)


@translates(shape.Permute)
def _permute(graph, x, dims):
    if not dims:  # a 0-d tensor
        return graph.add("Identity", [x.name])
    return graph.add("Transpose", [x.name], perm=list(dims))


@translates(shape.BroadcastTo, dynamic=("shape",))
def _broadcast_to(graph, x, shape):
    return graph.add("Expand", [x.name, graph.ints(shape)])


@translates(shape.Repeat, dynamic=("repeats",))
def _repeat(graph, x, repeats):
    name, lead = x.name, len(repeats) - x.ndim
    if lead > 0:  # NumPy's tile puts new dims in front, or repeats missing ones once
        name = graph.unsqueeze(name, list(range(lead)))
    return graph.add("Tile", [name, graph.ints((1,) * -lead + tuple(repeats))])


@translates(shape.Flip)
def _flip(graph, x, dims):
    dims = _axes(dims, x.ndim)
    count = len(dims)
    return graph.add(
        "Slice",
        [
            x.name,
            graph.ints([-1] * count),
            graph.ints([INT64_MIN] * count),
            graph.ints(dims),
            graph.ints([-1] * count),
        ],
    )


@translates(shape.Clone)
def _clone(graph, x, memory_format=None):  # ONNX has no memory layouts: values are what count
    return graph.add("Identity", [x.name])


@translates(Cat)
def _cat(graph, *arrays, dim):
    dtype = numpy.result_type(*(a.dtype for a in arrays))
    return graph.add("Concat", [graph.like(a, dtype) for a in arrays], axis=dim)
