"""Comparisons, logical ops, finiteness tests and ``nonzero``: boolean or index results,
no gradient."""

from __future__ import annotations

from .._backend import array_module
from .._registry import op
from .._tracing import escape, watch, whole_if_needed
from ..tensor import Tensor
from ._util import as_tensor_operand, check_broadcastable, promote


def _compare(name: str, ufunc_name: str, input, other) -> Tensor:
    a, b = promote(name, input, other)
    xp = array_module(a._data)
    try:
        return Tensor(getattr(xp, ufunc_name)(a._data, b._data))
    except ValueError:
        check_broadcastable(name, a.shape, b.shape)
        raise


@op("eq", numpy=("equal",), operator="eq", reflected=False)
@whole_if_needed
def eq(input, other) -> Tensor:
    """Elementwise ``input == other`` (bool tensor)."""
    return _compare("eq", "equal", input, other)


@op("ne", numpy=("not_equal",), operator="ne", reflected=False)
@whole_if_needed
def ne(input, other) -> Tensor:
    """Elementwise ``input != other`` (bool tensor)."""
    return _compare("ne", "not_equal", input, other)


@op("lt", numpy=("less",), operator="lt", reflected=False)
@whole_if_needed
def lt(input, other) -> Tensor:
    """Elementwise ``input < other`` (bool tensor)."""
    return _compare("lt", "less", input, other)


@op("le", numpy=("less_equal",), operator="le", reflected=False)
@whole_if_needed
def le(input, other) -> Tensor:
    """Elementwise ``input <= other`` (bool tensor)."""
    return _compare("le", "less_equal", input, other)


@op("gt", numpy=("greater",), operator="gt", reflected=False)
@whole_if_needed
def gt(input, other) -> Tensor:
    """Elementwise ``input > other`` (bool tensor)."""
    return _compare("gt", "greater", input, other)


@op("ge", numpy=("greater_equal",), operator="ge", reflected=False)
@whole_if_needed
def ge(input, other) -> Tensor:
    """Elementwise ``input >= other`` (bool tensor)."""
    return _compare("ge", "greater_equal", input, other)


@op("logical_and", numpy=("logical_and",))
@whole_if_needed
def logical_and(input, other) -> Tensor:
    """Elementwise logical and: True where both are non-zero."""
    return _compare("logical_and", "logical_and", input, other)


@op("logical_or", numpy=("logical_or",))
@whole_if_needed
def logical_or(input, other) -> Tensor:
    """Elementwise logical or: True where either is non-zero."""
    return _compare("logical_or", "logical_or", input, other)


@op("logical_xor")
@whole_if_needed
def logical_xor(input, other) -> Tensor:
    """Elementwise logical xor: True where exactly one is non-zero."""
    return _compare("logical_xor", "logical_xor", input, other)


@op("logical_not", numpy=("logical_not",))
@whole_if_needed
def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical not (also ``~a`` on bool tensors)."""
    return Tensor(array_module(input._data).logical_not(input._data))


def _bitwise(name: str, input, other) -> Tensor:
    for value in (input, other):
        if isinstance(value, float) or (isinstance(value, Tensor) and value.is_floating_point()):
            raise TypeError(f"{name}: not defined for floating-point operands")
    return _compare(name, name, input, other)


@op("bitwise_and", operator="and")
@whole_if_needed
def bitwise_and(input, other) -> Tensor:
    """``input & other``: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_and", input, other)


@op("bitwise_or", operator="or")
@whole_if_needed
def bitwise_or(input, other) -> Tensor:
    """``input | other``: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_or", input, other)


@op("bitwise_xor", operator="xor")
@whole_if_needed
def bitwise_xor(input, other) -> Tensor:
    """``input ^ other``: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_xor", input, other)


@op("bitwise_not", methods=("bitwise_not", "__invert__"))
@whole_if_needed
def bitwise_not(input: Tensor) -> Tensor:
    """``~input``: logical not for bool tensors, bitwise not for integers."""
    if input._data.dtype.kind == "f":
        raise TypeError(f"bitwise_not: not defined for floating-point tensors ({input.dtype})")
    return Tensor(array_module(input._data).invert(input._data))


@op("isnan", numpy=("isnan",))
@whole_if_needed
def isnan(input: Tensor) -> Tensor:
    """Elementwise test for NaN."""
    return Tensor(array_module(input._data).isnan(input._data))


@op("isinf", numpy=("isinf",))
@whole_if_needed
def isinf(input: Tensor) -> Tensor:
    """Elementwise test for ±inf."""
    return Tensor(array_module(input._data).isinf(input._data))


@op("isfinite", numpy=("isfinite",))
@whole_if_needed
def isfinite(input: Tensor) -> Tensor:
    """Elementwise test for finite values."""
    return Tensor(array_module(input._data).isfinite(input._data))


@op("isclose")
@whole_if_needed
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``."""
    a, b = promote("isclose", input, other)
    check_broadcastable("isclose", a.shape, b.shape)
    xp = array_module(a._data)
    return Tensor(xp.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@op("allclose")
@whole_if_needed
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True if every element is close (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@op("equal")
@whole_if_needed
def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input._data == other._data).all())


def as_condition(condition, op: str) -> Tensor:
    """A boolean mask argument as a Tensor; other dtypes are an error, as in PyTorch."""
    condition = as_tensor_operand(condition, op)
    if condition._data.dtype.kind != "b":
        raise TypeError(
            f"{op}: expected a boolean condition/mask, got a tensor of dtype {condition.dtype}"
        )
    return condition


@op("nonzero")
@whole_if_needed
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D index tensor per dim (ready for ``x[...]``). No gradient."""
    if watch.threads:
        escape(input, "a value-dependent shape")
    xp = array_module(input._data)
    if input.ndim == 0:  # PyTorch treats a scalar as a 1-element vector here
        count = int(input._data != 0)
        if as_tuple:
            return (Tensor(xp.zeros(count, dtype="int64")),)
        return Tensor(xp.zeros((count, 0), dtype="int64"))
    positions = xp.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor(p.astype("int64")) for p in positions)
    return Tensor(xp.stack(positions, axis=1).astype("int64"))
