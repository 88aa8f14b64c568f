"""Division that rounds, and integer powers: ``floor_divide`` (``//``), ``remainder``
(``%``), ``fmod``, ``div``'s rounding modes and negative integer exponents. Exact integer
arithmetic where the inputs are integers; no gradient (the results are piecewise constant).
"""

from __future__ import annotations

from .._backend import array_module
from .._registry import op
from ..tensor import Tensor
from ._util import check_broadcastable, promote


def _refuse_integer_zero(a: Tensor, b: Tensor, op_name: str) -> None:
    """Integer division by zero has no value: PyTorch raises (floats give inf or NaN)."""
    if a._data.dtype.kind in "iub" and (b._data == 0).any():
        raise RuntimeError(f"{op_name}: ZeroDivisionError (an integer tensor divided by zero)")


@op("floor_divide", numpy=("floor_divide",), operator="floordiv")
def floor_divide(input, other) -> Tensor:
    """``input // other`` rounded toward minus infinity (no gradient)."""
    a, b = promote("floor_divide", input, other)
    _refuse_integer_zero(a, b, "floor_divide")
    xp = array_module(a._data)
    with xp.errstate(divide="ignore", invalid="ignore"):
        return Tensor(xp.floor_divide(a._data, b._data))


def truncated_divide(a: Tensor, b: Tensor) -> Tensor:
    """``a / b`` rounded toward zero (``div(rounding_mode="trunc")``), operands promoted."""
    xp = array_module(a._data)
    if a._data.dtype.kind != "f":  # exact integer arithmetic, no float detour
        _refuse_integer_zero(a, b, "div")
        quotient = xp.floor_divide(a._data, b._data)
        quotient += (xp.remainder(a._data, b._data) != 0) & ((a._data < 0) ^ (b._data < 0))
        return Tensor(quotient)
    check_broadcastable("div", a.shape, b.shape)
    return Tensor(xp.trunc(a._data / b._data))


@op("remainder", numpy=("remainder",), operator="mod")
def remainder(input, other) -> Tensor:
    """Python-style modulus: ``input - floor(input / other) * other`` (sign of the divisor)."""
    a, b = promote("remainder", input, other)
    _refuse_integer_zero(a, b, "remainder")
    quotient = floor_divide(a, b)
    return a - quotient * b


@op("fmod")
def fmod(input, other) -> Tensor:
    """C-style modulus: ``input - trunc(input / other) * other`` (sign of the dividend)."""
    a, b = promote("fmod", input, other)
    _refuse_integer_zero(a, b, "fmod")
    if a._data.dtype.kind != "f":
        return Tensor(array_module(a._data).fmod(a._data, b._data))
    return a - truncated_divide(a, b) * b


def integer_power(base: Tensor, power: Tensor) -> Tensor:
    """Integer ** integer tensor with negative exponents, as C (and PyTorch) computes it:
    1 and -1 keep their magnitude, every other base gives 0 (no gradient: integers)."""
    check_broadcastable("pow", base.shape, power.shape)
    xp = array_module(base._data)
    b, p = xp.broadcast_arrays(base._data, power._data)
    positive = b ** xp.maximum(p, 0)
    negative = xp.where(b == 1, 1, xp.where(b == -1, xp.where(p % 2 == 0, 1, -1), 0))
    return Tensor(xp.where(p < 0, negative, positive).astype(b.dtype))
