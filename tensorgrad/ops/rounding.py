"""Rounding: ``floor``, ``ceil``, ``round``, ``trunc`` (``fix``) and ``frac``; division that
rounds — ``floor_divide`` (``//``), ``remainder`` (``%``), ``fmod``, ``div``'s rounding modes —
and integer powers with negative exponents.

The rounding functions are piecewise constant: their gradient is zero everywhere, as in
PyTorch (``frac = x - trunc x`` passes the gradient unchanged). Integer inputs round to
themselves. The divisions are exact integer arithmetic where the inputs are integers and have
no gradient; an integer divided by zero raises, as in PyTorch (floats give inf or NaN).
"""

from __future__ import annotations

from .._backend import array_module
from .._registry import op
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._op import Op
from ._util import check_broadcastable, promote, require_kind


class _RoundingOp(Op):
    """Piecewise-constant functions: the gradient is zero everywhere (as in PyTorch)."""

    function_name = ""

    @classmethod
    def forward(cls, ctx, x):
        return getattr(ctx.xp, cls.function_name)(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Floor(_RoundingOp):
    function_name = "floor"


class Ceil(_RoundingOp):
    function_name = "ceil"


class Round(_RoundingOp):
    """Round half to even (``rint``: what PyTorch's ``nearbyint`` does)."""

    function_name = "rint"


class Trunc(_RoundingOp):
    function_name = "trunc"


def _rounded(op_class, input: Tensor, name: str) -> Tensor:
    """``op_class`` on a float tensor; an integer tensor is its own rounding (a copy, as in
    PyTorch); bool is refused with PyTorch's NotImplementedError."""
    require_kind(input, name, "fiu", NotImplementedError)
    if input._data.dtype.kind != "f":
        return Tensor(input._data.copy())
    return op_class.apply(input)


@op("floor", numpy=("floor",))
@whole_if_needed
def floor(input: Tensor) -> Tensor:
    """Round down (zero gradient); integers are returned unchanged."""
    return _rounded(Floor, input, "floor")


@op("ceil", numpy=("ceil",))
@whole_if_needed
def ceil(input: Tensor) -> Tensor:
    """Round up (zero gradient); integers are returned unchanged."""
    return _rounded(Ceil, input, "ceil")


@op("round")
@whole_if_needed
def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even (zero gradient), to ``decimals`` decimal places (negative: to tens,
    hundreds…), computed as PyTorch does: ``rint(x · 10^d) / 10^d`` in the input's dtype.

    Integers are returned unchanged; with ``decimals`` they are refused (NotImplementedError),
    as in PyTorch.
    """
    if decimals == 0:
        return _rounded(Round, input, "round")
    require_kind(input, "round", "f", NotImplementedError)
    scale = 10.0 ** abs(decimals)
    if decimals < 0:
        return Round.apply(input / scale) * scale
    return Round.apply(input * scale) / scale


@op("trunc", "fix")
@whole_if_needed
def trunc(input: Tensor) -> Tensor:
    """Round toward zero (zero gradient); integers are returned unchanged. ``fix`` is its
    alias."""
    return _rounded(Trunc, input, "trunc")


@op("frac")
@whole_if_needed
def frac(input: Tensor) -> Tensor:
    """The fractional part ``input - trunc(input)``, with the sign of ``input`` (gradient 1).

    Floating-point tensors only (NotImplementedError otherwise, as in PyTorch).
    """
    require_kind(input, "frac", "f", NotImplementedError)
    return input - Trunc.apply(input)


# ------------------------------------------------------------------------ division that rounds


def _refuse_integer_zero(a: Tensor, b: Tensor, op_name: str) -> None:
    """Integer division by zero has no value: PyTorch raises (floats give inf or NaN).

    Bool operands are refused first, with PyTorch's NotImplementedError. Nothing is divided
    when the broadcast result is empty, so ``empty // 0`` is an empty tensor, as in PyTorch.
    """
    kind = a._data.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"{op_name}: not implemented for bool tensors")
    if kind in "iu" and (b._data == 0).any() and a._data.size and b._data.size:
        zeros = int((b._data == 0).sum())
        raise RuntimeError(
            f"{op_name}: ZeroDivisionError (an integer tensor divided by zero: the divisor "
            f"of shape {tuple(b.shape)} has {zeros} zero element{'s' if zeros != 1 else ''})"
        )


@op("floor_divide", numpy=("floor_divide",), operator="floordiv")
@whole_if_needed
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
@whole_if_needed
def remainder(input, other) -> Tensor:
    """Python-style modulus: ``input - floor(input / other) * other`` (sign of the divisor)."""
    a, b = promote("remainder", input, other)
    _refuse_integer_zero(a, b, "remainder")
    quotient = floor_divide(a, b)
    return a - quotient * b


@op("fmod")
@whole_if_needed
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
