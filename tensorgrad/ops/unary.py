"""Elementwise functions of one tensor: exp and log, roots, sin/cos/tanh, sigmoid, relu,
clamp and sign (the rest of trigonometry is in ``trigonometry.py``, rounding in
``rounding.py``, other bases, erfc/erfinv and nan_to_num in ``special.py``).

Functions with a singularity (log, sqrt, rsqrt, log1p) silence NumPy's warnings, as PyTorch
does, and give an exact zero gradient where the upstream gradient is exactly zero.
"""

from __future__ import annotations

import math

from .._backend import array_module
from .._dtypes import result_numpy_dtype, to_numpy_dtype
from .._registry import op
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._op import Op
from ._util import (
    apply_elementwise,
    as_floating,
    as_tensor_operand,
    is_scalar,
    promote,
    require_kind,
    zero_where_no_gradient,
)
from .conversion import cast


class Exp(Op):
    """y = e^x"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = y
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Op):
    """y = ln x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/x
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / x)


class Log1p(Op):
    """y = ln(1 + x), accurate for small x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/(1 + x)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / (x + 1))


class Expm1(Op):
    """y = e^x - 1, accurate for small x"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = y + 1
        (y,) = ctx.saved_tensors
        return grad * (y + 1)


class Sqrt(Op):
    """y = √x"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/(2y)
        (y,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / (y * 2))


class Rsqrt(Op):
    """y = 1/√x"""

    @staticmethod
    def forward(ctx, x):
        y = 1 / ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = -y³/2
        (y,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad * y * y * y * -0.5)


class Sin(Op):
    """y = sin x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = cos x
        (x,) = ctx.saved_tensors
        return grad * ctx.xp.cos(x)


class Cos(Op):
    """y = cos x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = -sin x
        (x,) = ctx.saved_tensors
        return -grad * ctx.xp.sin(x)


class Tanh(Op):
    """y = tanh x"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1 - y²
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class Sigmoid(Op):
    """y = 1 / (1 + e^-x), as PyTorch's CPU kernel computes it: four array passes. Where x
    falls below log of the dtype's smallest normal number (about -87.3 in float32), e^-x
    would overflow and y be subnormal: if any element does (one min-reduction finds out), the
    whole array takes the overflow-free form e^min(x, 0) / (1 + e^-|x|), which also keeps
    the relative precision of tiny outputs (the tutorials take log(sigmoid(x))). Half
    precision is computed in float32, as PyTorch does.
    """

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        if x.dtype.itemsize < 4:  # half precision: computed in float32
            y = _sigmoid(xp, x.astype(xp.float32)).astype(x.dtype)
        else:
            y = _sigmoid(xp, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = y(1 - y), multiplied in PyTorch's order (its bits)
        (y,) = ctx.saved_tensors
        return grad * (1 - y) * y


def _sigmoid(xp, x):
    """sigmoid of a float32/float64 array, as a new array (see :class:`Sigmoid`)."""
    smallest = x.min() if x.size else 0.0
    if smallest >= _normal_exponent_floor(xp, x.dtype):  # False for NaN too
        # -x is a fresh array; a 0-d one would be a NumPy scalar, which ``out=`` cannot take
        y = -x if x.ndim else xp.negative(x, out=xp.empty_like(x))
        xp.exp(y, out=y)
        y += 1
        return xp.reciprocal(y, out=y)
    # e = e^-|x| in (0, 1]; the numerator, 1 for x >= 0 and e below, is max(e, x >= 0).
    decay = xp.exp(-xp.abs(x))
    y = xp.maximum(decay, x >= 0)
    decay += 1  # fresh buffers nobody else sees: updated in place
    y /= decay
    return y


_NORMAL_EXPONENT_FLOORS: dict = {}


def _normal_exponent_floor(xp, dtype) -> float:
    """log of the smallest normal number of ``dtype``: e^x is subnormal below it."""
    floor = _NORMAL_EXPONENT_FLOORS.get(dtype)
    if floor is None:
        floor = _NORMAL_EXPONENT_FLOORS[dtype] = math.log(float(xp.finfo(dtype).tiny))
    return floor


class Relu(Op):
    """y = max(x, 0); the gradient is 0 at 0 and passes at NaN, as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        if ctx.needs_input_grad[0]:
            # PyTorch's threshold_backward zeroes where y <= 0, so a NaN passes the gradient.
            # Saved in x's dtype: multiplying by a bool mask would promote at every step.
            ctx.save_for_backward((~(y <= 0)).astype(x.dtype))
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1 where y > 0 (or NaN)
        (positive,) = ctx.saved_tensors
        return grad * positive


class Clamp(Op):
    """y = min(max(x, low), high) for scalar bounds; the gradient passes where low ≤ x ≤ high."""

    @staticmethod
    def forward(ctx, x, low, high):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            inside = xp.ones(x.shape, dtype=bool)
            if low is not None:
                inside &= x >= low
            if high is not None:
                inside &= x <= high
            ctx.save_for_backward(inside.astype(x.dtype))
        return xp.clip(x, low, high).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside


class ClampBounds(Op):
    """y = min(max(x, low), high) for tensor bounds (either may be absent), broadcasting; a NaN
    in x or a bound gives NaN. PyTorch's gradient: to x where low <= x <= high, to low where
    x < low < high, to high where x > high or high < low (then y is high everywhere); a NaN
    output passes it nowhere."""

    @staticmethod
    def forward(ctx, x, *bounds, has_low, has_high):
        xp = ctx.xp
        low = bounds[0] if has_low else None
        high = bounds[-1] if has_high else None
        y = x
        if has_low:
            y = xp.maximum(y, low)
        if has_high:
            y = xp.minimum(y, high)
        needs = ctx.needs_input_grad
        if any(needs):
            if has_low and has_high:
                masks = [(x >= low) & (x <= high), (x < low) & (low < high)]
                masks.append((x > high) | (high < low))
            elif has_low:
                masks = [x >= low, x < low]
            else:
                masks = [x <= high, x > high]
            # Saved in y's dtype: multiplying by a bool mask would promote.
            ctx.save_for_backward(
                *(m.astype(y.dtype) if need else None for m, need in zip(masks, needs))
            )
        return y

    @staticmethod
    def backward(ctx, grad):
        return tuple(None if mask is None else grad * mask for mask in ctx.saved_tensors)


class Sign(Op):
    """y = sign(x): -1, 0 or 1, and 0 at NaN (PyTorch's (0 < x) - (x < 0)); its gradient is
    zero everywhere."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sign(x)
        if x.dtype.kind == "f":
            y = ctx.xp.where(y != y, 0, y)  # NumPy's sign(NaN) is NaN
        return y

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


@op("exp", numpy=("exp",))
def exp(input: Tensor) -> Tensor:
    """e to the power of each element."""
    return Exp.apply(as_floating(input))


@op("log", numpy=("log",))
def log(input: Tensor) -> Tensor:
    """Natural logarithm; -inf at 0 and NaN below, without warnings."""
    return Log.apply(as_floating(input))


@op("log1p", numpy=("log1p",))
def log1p(input: Tensor) -> Tensor:
    """``log(1 + input)``, accurate near 0."""
    return Log1p.apply(as_floating(input))


@op("expm1", numpy=("expm1",))
def expm1(input: Tensor) -> Tensor:
    """``exp(input) - 1``, accurate near 0."""
    return Expm1.apply(as_floating(input))


@op("sqrt", numpy=("sqrt",))
def sqrt(input: Tensor) -> Tensor:
    """Square root; NaN for negative inputs, without warnings."""
    return Sqrt.apply(as_floating(input))


@op("rsqrt")
def rsqrt(input: Tensor) -> Tensor:
    """``1 / sqrt(input)``."""
    return Rsqrt.apply(as_floating(input))


@op("reciprocal")
def reciprocal(input: Tensor) -> Tensor:
    """``1 / input``."""
    return 1 / as_floating(input)


@op("sin", numpy=("sin",))
def sin(input: Tensor) -> Tensor:
    """Sine, elementwise (radians)."""
    return Sin.apply(as_floating(input))


@op("cos", numpy=("cos",))
def cos(input: Tensor) -> Tensor:
    """Cosine, elementwise (radians)."""
    return Cos.apply(as_floating(input))


@op("tanh", numpy=("tanh",))
def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(as_floating(input))


@op("sigmoid")
def sigmoid(input: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + exp(-input))``, stable for any input (±1000 too)."""
    return Sigmoid.apply(as_floating(input))


@op("relu")
def relu(input: Tensor) -> Tensor:
    """``max(input, 0)``; gradient 0 at 0."""
    require_kind(input, "relu", "fiu")
    return Relu.apply(input)


@op("square", numpy=("square",))
def square(input: Tensor) -> Tensor:
    """``input * input`` (a bool input squares as int64, as in PyTorch)."""
    if input._data.dtype.kind == "b":
        input = cast(input, to_numpy_dtype("int64"))
    return input * input


@op("clamp", "clip", numpy=("clip",))
def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Limit every element to ``[min, max]``: both numbers or both tensors (either may be None);
    ``clip`` is its alias.

    Number bounds keep the input's dtype unless they are of a higher category (an integer
    tensor clamped to 0.5 becomes float; a bool tensor clamped to 0 becomes int64) and must
    fit an integer dtype (-1 wraps for unsigned ones). Tensor bounds broadcast with the input
    and promote with it. As in PyTorch, a bool result is refused with bool number bounds and
    with two tensor bounds (NotImplementedError). If ``min > max`` the result is ``max``; a
    NaN anywhere gives NaN. The gradient passes to ``input`` where ``min <= input <= max``,
    boundaries included, and to a tensor bound where it is the one selected.
    """
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    if input._data.dtype.kind == "f" and all(type(b) in (float, int) for b in bounds):
        return Clamp.apply(input, low=min, high=max)  # the common case, at once
    scalars = [is_scalar(b) for b in bounds]
    if all(scalars):
        return _clamp_to_numbers(input, min, max)
    if any(scalars):
        kinds = ", ".join(type(b).__name__ for b in bounds)
        raise TypeError(
            f"clamp: min and max must both be numbers or both be tensors, got ({kinds})"
        )
    operands = promote("clamp", input, *(as_tensor_operand(b, "clamp") for b in bounds))
    if len(bounds) == 2 and operands[0]._data.dtype.kind == "b":  # one bound is accepted
        raise NotImplementedError("clamp: not implemented for bool tensors with both bounds")
    return apply_elementwise(
        ClampBounds, "clamp", *operands, has_low=min is not None, has_high=max is not None
    )


def _clamp_to_numbers(input: Tensor, low, high) -> Tensor:
    """``clamp`` with number bounds: one node, the bounds in the result's dtype."""
    target = result_numpy_dtype([input, *(b for b in (low, high) if b is not None)])
    if target.kind == "b":
        raise NotImplementedError(
            f"clamp: not implemented for a bool tensor with bool bounds (min={low!r}, "
            f"max={high!r}); convert the tensor with .int() or .float()"
        )
    if target != input._data.dtype:
        input = cast(input, target)
    if target.kind in "iu":
        low, high = (_integer_bound(b, target, input) for b in (low, high))
    return Clamp.apply(input, low=low, high=high)


def _integer_bound(value, target, like: Tensor):
    """An integer bound in ``target``, checked as PyTorch checks it: in range, or for an
    unsigned dtype negative down to -max, which wraps (-1 is 255 for uint8)."""
    if value is None:
        return None
    xp = array_module(like._data)
    info = xp.iinfo(target)
    lowest = -int(info.max) if target.kind == "u" else int(info.min)
    if not lowest <= int(value) <= int(info.max):
        raise RuntimeError(
            f"clamp: value {value!r} cannot be converted to type {like.dtype} without overflow"
        )
    return xp.asarray(int(value)).astype(target)[()]


@op("sign", numpy=("sign",))
def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 per element, 0 at NaN, as in PyTorch (zero gradient); a bool tensor is its
    own sign."""
    if input._data.dtype.kind == "b":
        return input.clone()
    return Sign.apply(input)


@op("sgn")
def sgn(input: Tensor) -> Tensor:
    """PyTorch's sign that extends to complex numbers; for real tensors it is :func:`sign`."""
    return sign(input)


@op("signbit", numpy=("signbit",))
@whole_if_needed
def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (negative numbers, -0.0 and -NaN); a bool tensor."""
    data = input._data
    if data.dtype.kind == "f":
        return Tensor(array_module(data).signbit(data))
    return Tensor(data < 0)  # NumPy's signbit has no integer loop; bool is never negative
