"""Elementwise arithmetic: + - * / ** with their operators, negation, abs, maximum, minimum.

Every formula ignores broadcasting: the engine sums each gradient down to its input's shape.
Ops with a singularity (division, pow) give an exact zero gradient where the upstream
gradient is exactly zero, so a ``where`` that discards their value also discards their NaN.
"""

from __future__ import annotations

import numbers

from .._backend import array_types, ndarray
from .._backend import default_module as array_api
from .._dtypes import default_float_numpy, result_numpy_dtype
from .._registry import op
from ..autograd import anomaly
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor
from ._op import Op
from ._util import (
    as_floating,
    check_broadcastable,
    is_scalar,
    promote,
    require_kind,
    zero_where_no_gradient,
)
from .conversion import cast
from .rounding import floor_divide, integer_power, truncated_divide
from .unary import Sign


class Add(Op):
    """out = a + b"""

    ufunc = array_api.add

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):  # d/da = 1, d/db = 1
        return grad, grad


class Sub(Op):
    """out = a - b"""

    ufunc = array_api.subtract

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):  # d/da = 1, d/db = -1
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """out = a * b"""

    ufunc = array_api.multiply

    @staticmethod
    def forward(ctx, a, b):
        _save_other_operand(ctx, a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):  # d/da = b, d/db = a
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


def _save_other_operand(ctx, a, b) -> None:
    """Save, for a product, only the operands the needed gradients use.

    Saving an input that no gradient needs would make an in-place change of it (``y.mul_(2)``
    on a non-leaf) fail the version check for nothing.
    """
    need_a, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    ctx.save_for_backward(a if need_b else None, b if need_a else None)


class Div(Op):
    """out = a / b"""

    ufunc = array_api.true_divide

    @staticmethod
    def forward(ctx, a, b):
        # Both are needed for d/db; only b for d/da (so a.div_(2) keeps working on a non-leaf).
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):  # d/da = 1/b, d/db = -a/b²
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        xp = ctx.xp
        grad_a = zero_where_no_gradient(xp, grad, grad / b) if need_a else None
        grad_b = zero_where_no_gradient(xp, grad, -grad * a / (b * b)) if need_b else None
        return grad_a, grad_b


class Pow(Op):
    """out = a ** b"""

    ufunc = array_api.power

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/da = b·a^(b-1), d/db = a^b·ln(a)
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        xp = ctx.xp
        grad_a = grad_b = None
        if need_a:  # 0 at a = b = 0, where b·a^(b-1) would be 0·inf (PyTorch gives 0 too)
            singular = (a == 0) & (b == 0)
            grad_a = zero_where_no_gradient(
                xp, grad, xp.where(singular, 0, grad * b * a ** (b - 1))
            )
        if need_b:
            # PyTorch's convention: the exponent gets 0 where the base is 0 and b >= 0.
            log_a = xp.where((a == 0) & (b >= 0), 0, xp.log(a))
            grad_b = zero_where_no_gradient(xp, grad, grad * out * log_a)
        return grad_a, grad_b


class PowScalar(Op):
    """out = x ** p for a Python number p (the common case: squares, roots, reciprocals)"""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.exponent = exponent
        ctx.save_for_backward(x)
        return x**exponent

    @staticmethod
    def backward(ctx, grad):  # d/dx = p·x^(p-1)
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:  # zero everywhere, but still a function of x for higher orders
            return ctx.xp.where(x != x, x, 0) * grad
        derivative = grad * (x ** (p - 1) * p if p != 2 else x * 2)
        # Below 1 the derivative is singular at 0: keep a discarded branch's zero a zero.
        return zero_where_no_gradient(ctx.xp, grad, derivative) if p < 1 else derivative


class Neg(Op):
    """out = -a"""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):  # d/da = -1
        return -grad


class Abs(Op):
    """out = |a|"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.xp.abs(a)

    @staticmethod
    def backward(ctx, grad):  # d/da = sign(a), 0 at 0 and at NaN (PyTorch's sgn)
        (a,) = ctx.saved_tensors
        return grad * Sign.apply(a)


class Maximum(Op):
    """out = max(a, b) elementwise; ties split the gradient evenly, as in PyTorch."""

    ufunc = array_api.maximum

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_winner(ctx.xp, grad, a, b)


class Minimum(Op):
    """out = min(a, b) elementwise; ties split the gradient evenly, as in PyTorch."""

    ufunc = array_api.minimum

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_winner(ctx.xp, grad, b, a)


def _split_by_winner(xp, grad, winner, loser):
    """``(grad where winner >= loser, grad where winner <= loser)``: half each on a tie and
    all to both at a NaN, PyTorch's rule. ``maximum(a, b)`` passes ``(a, b)``, ``minimum(a, b)``
    passes ``(b, a)``, and both get ``(grad_a, grad_b)`` back."""
    share = xp.where(winner == loser, grad * 0.5, grad)
    return xp.where(winner < loser, 0, share), xp.where(winner > loser, 0, share)


_OPERANDS = (Tensor, numbers.Number, ndarray)


def _is_operand(value) -> bool:
    """Whether an arithmetic op takes ``value``: a tensor, a number, or an array (NumPy's or
    a device's)."""
    return isinstance(value, _OPERANDS) or type(value) in array_types


def _elementwise(op_class, name: str, *, true_division: bool = False, refuse_bool: str = ""):
    """``apply(a, b)`` for a binary elementwise op: promotion, broadcasting errors, and the
    lean path, in one function that also serves as the operator method itself.

    Two plain tensors of one dtype that record nothing skip the node machinery: the op's
    ``ufunc`` straight on their arrays and one Tensor wrapper (every inference and optimizer
    step runs here). ``true_division`` computes integers in the default float dtype;
    ``refuse_bool`` is the error for bool operands. An operand of a type no op takes gives
    NotImplemented, so that Python tries the other side (the public functions raise then).
    """
    ufunc = op_class.ufunc
    lean_kinds = "f" if true_division else "fiu" if refuse_bool else "fiub"

    def apply(a, b):
        if type(a) is Tensor and type(b) is Tensor:
            a_data, b_data = a._data, b._data
            same_dtype = a_data.dtype is b_data.dtype or a_data.dtype == b_data.dtype
            if (
                same_dtype
                and not ((a._requires_grad or b._requires_grad) and grad_state.enabled)
                and type(a_data) is ndarray
                and a_data.dtype.kind in lean_kinds
                and not anomaly.watch.threads
            ):
                try:
                    return Tensor(ufunc(a_data, b_data))
                except (ValueError, RuntimeWarning, TypeError):
                    pass  # the full path below says why (devices too), or runs quietly
            if not same_dtype:
                if refuse_bool and "b" in (a_data.dtype.kind, b_data.dtype.kind):
                    raise RuntimeError(f"{name}: {refuse_bool}")
                if true_division:
                    # Promote first, then to float: int64 / a float64 0-d tensor is float64,
                    # and int8 / an int64 0-d 300 must not wrap 300 to int8 on the way.
                    a, b = _as_float_pair(a, b)
                else:
                    a, b = promote(name, a, b)
        elif _is_operand(a) and _is_operand(b):
            if true_division:  # integers divide as floats: a scalar must not wrap to their type
                a = as_floating(a) if isinstance(a, Tensor) else a
                b = as_floating(b) if isinstance(b, Tensor) else b
            a_bool, b_bool = (isinstance(t, Tensor) and t._data.dtype.kind == "b" for t in (a, b))
            if refuse_bool and (a_bool or b_bool):
                raise RuntimeError(f"{name}: {refuse_bool}")
            a, b = promote(name, a, b)
        else:
            return NotImplemented
        if refuse_bool and a._data.dtype.kind == "b":
            raise RuntimeError(f"{name}: {refuse_bool}")
        if true_division and a._data.dtype.kind != "f":
            a, b = as_floating(a), as_floating(b)
        try:
            return op_class.apply(a, b)
        except ValueError:
            check_broadcastable(name, a.shape, b.shape)
            raise

    apply.__name__ = f"__{name}__"
    apply.__doc__ = f"``{name}`` of two operands (see :func:`{name}`)."
    return apply


def _as_float_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Two tensors in their promoted dtype, or the default float dtype if that is not float."""
    target = result_numpy_dtype((a, b))
    if target.kind != "f":
        target = default_float_numpy()
    return (
        a if a._data.dtype == target else cast(a, target),
        b if b._data.dtype == target else cast(b, target),
    )


def _applied(result, name: str, other):
    """A lean ``apply``'s result, with the TypeError of the public function for NotImplemented."""
    if result is NotImplemented:
        raise TypeError(f"{name}: expected a Tensor or a number, got {type(other).__name__}")
    return result


_add = _elementwise(Add, "add")
_sub = _elementwise(
    Sub, "sub", refuse_bool="subtracting bool tensors is not supported; use ^ or logical_xor()"
)
_mul = _elementwise(Mul, "mul")
_div = _elementwise(Div, "div", true_division=True)
_pow = _elementwise(Pow, "pow")
_maximum = _elementwise(Maximum, "maximum")
_minimum = _elementwise(Minimum, "minimum")


@op("add", numpy=("add",), operator="add", operator_method=_add)
def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``, broadcasting; any shapes that broadcast."""
    if alpha != 1:
        other = mul(other, alpha)
    return _applied(_add(input, other), "add", other)


@op("sub", "subtract", numpy=("subtract",), operator="sub", operator_method=_sub)
def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``, broadcasting (bool tensors are refused, as in PyTorch)."""
    if alpha != 1:
        other = mul(other, alpha)
    return _applied(_sub(input, other), "sub", other)


@op("mul", "multiply", numpy=("multiply",), operator="mul", operator_method=_mul)
def mul(input, other) -> Tensor:
    """``input * other``, broadcasting."""
    return _applied(_mul(input, other), "mul", other)


@op("div", "divide", "true_divide", numpy=("divide",), operator="truediv", operator_method=_div)
def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other`` (true division: integers give the default float type), broadcasting.

    ``rounding_mode="floor"`` or ``"trunc"`` gives the rounded quotient (no gradient).
    """
    if rounding_mode is not None:
        a, b = promote("div", input, other)
        if rounding_mode == "floor":
            return floor_divide(a, b)
        if rounding_mode == "trunc":
            return truncated_divide(a, b)
        raise ValueError(
            f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}"
        )
    return _applied(_div(input, other), "div", other)


@op("pow", numpy=("power",), operator="pow")
def pow(input, exponent) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent`` with a tensor or scalar exponent, broadcasting.

    The gradient for the exponent is 0 where the base is 0 (PyTorch's convention).
    """
    if (
        is_scalar(exponent)
        and isinstance(input, Tensor)
        and input._data.dtype.kind == "f"
        and not isinstance(exponent, bool)
    ):
        return PowScalar.apply(input, exponent=float(exponent) if exponent % 1 else int(exponent))
    if (
        is_scalar(exponent)
        and exponent < 0
        and isinstance(input, Tensor)
        and (input._data.dtype.kind in "biu" and isinstance(exponent, int))
    ):
        raise RuntimeError(
            f"pow: integers to negative integer powers are not allowed ({input.dtype} tensor "
            f"** {exponent}); convert the base with .float()"
        )
    base, power = promote("pow", input, exponent)
    if base._data.dtype.kind in "iu" and (power._data < 0).any():
        return integer_power(base, power)
    return _pow(base, power)


@op("neg", "negative", methods=("neg", "negative", "__neg__"), numpy=("negative",))
def neg(input: Tensor) -> Tensor:
    """``-input``."""
    require_kind(input, "neg", "fiu")
    return Neg.apply(input)


@op("abs", "absolute", methods=("abs", "absolute", "__abs__"), numpy=("absolute",))
def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """``|input|``; the gradient at 0 is 0."""
    require_kind(input, "abs", "fiu", NotImplementedError)
    return Abs.apply(input)


@op("maximum", numpy=("maximum",))
def maximum(input, other) -> Tensor:
    """Elementwise maximum, broadcasting; on ties each side gets half the gradient."""
    return _applied(_maximum(input, other), "maximum", other)


@op("minimum", numpy=("minimum",))
def minimum(input, other) -> Tensor:
    """Elementwise minimum, broadcasting; on ties each side gets half the gradient."""
    return _applied(_minimum(input, other), "minimum", other)


@op("positive", methods=("positive", "__pos__"))
def positive(input: Tensor) -> Tensor:
    """``+input``: the tensor itself (PyTorch returns it unchanged too)."""
    require_kind(input, "positive", "fiu")
    return input
