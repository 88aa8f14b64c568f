"""Comparisons, logical ops and finiteness tests: boolean results, no gradient."""

from __future__ import annotations

from .._backend import array_module
from ..tensor import Tensor
from ._util import as_tensor_operand, broadcast_error, broadcast_shape, promote

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "isnan",
    "isinf",
    "isfinite",
    "as_condition",
    "equal",
    "allclose",
    "isclose",
]


def _compare(name: str, ufunc_name: str, input, other) -> Tensor:
    a, b = promote(name, input, other)
    xp = array_module(a._data)
    try:
        return Tensor(getattr(xp, ufunc_name)(a._data, b._data))
    except ValueError:
        if broadcast_shape(a.shape, b.shape) is None:
            raise broadcast_error(name, a.shape, b.shape) from None
        raise


def eq(input, other) -> Tensor:
    """Elementwise ``input == other`` (bool tensor)."""
    return _compare("eq", "equal", input, other)


def ne(input, other) -> Tensor:
    """Elementwise ``input != other`` (bool tensor)."""
    return _compare("ne", "not_equal", input, other)


def lt(input, other) -> Tensor:
    """Elementwise ``input < other`` (bool tensor)."""
    return _compare("lt", "less", input, other)


def le(input, other) -> Tensor:
    """Elementwise ``input <= other`` (bool tensor)."""
    return _compare("le", "less_equal", input, other)


def gt(input, other) -> Tensor:
    """Elementwise ``input > other`` (bool tensor)."""
    return _compare("gt", "greater", input, other)


def ge(input, other) -> Tensor:
    """Elementwise ``input >= other`` (bool tensor)."""
    return _compare("ge", "greater_equal", input, other)


def logical_and(input, other) -> Tensor:
    """Elementwise logical and: True where both are non-zero."""
    return _compare("logical_and", "logical_and", input, other)


def logical_or(input, other) -> Tensor:
    """Elementwise logical or: True where either is non-zero."""
    return _compare("logical_or", "logical_or", input, other)


def logical_xor(input, other) -> Tensor:
    """Elementwise logical xor: True where exactly one is non-zero."""
    return _compare("logical_xor", "logical_xor", input, other)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical not (also ``~a`` on bool tensors)."""
    return Tensor(array_module(input._data).logical_not(input._data))


def _bitwise(name: str, input, other) -> Tensor:
    for value in (input, other):
        if isinstance(value, float) or (isinstance(value, Tensor) and value.is_floating_point()):
            raise TypeError(f"{name}: not defined for floating-point operands")
    return _compare(name, name, input, other)


def bitwise_and(input, other) -> Tensor:
    """``input & other``: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_and", input, other)


def bitwise_or(input, other) -> Tensor:
    """``input | other``: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_or", input, other)


def bitwise_xor(input, other) -> Tensor:
    """``input ^ other``: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:
    """``~input``: logical not for bool tensors, bitwise not for integers."""
    if input._data.dtype.kind == "f":
        raise TypeError(f"bitwise_not: not defined for floating-point tensors ({input.dtype})")
    return Tensor(array_module(input._data).invert(input._data))


def isnan(input: Tensor) -> Tensor:
    """Elementwise test for NaN."""
    return Tensor(array_module(input._data).isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    """Elementwise test for ±inf."""
    return Tensor(array_module(input._data).isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    """Elementwise test for finite values."""
    return Tensor(array_module(input._data).isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``."""
    a, b = promote("isclose", input, other)
    if broadcast_shape(a.shape, b.shape) is None:
        raise broadcast_error("isclose", a.shape, b.shape)
    xp = array_module(a._data)
    return Tensor(xp.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True if every element is close (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


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
