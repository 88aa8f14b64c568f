"""Elementwise functions of one tensor: exp, log, trigonometry, activations, clamp, casts.

Functions with a singularity (log, sqrt, rsqrt, log1p) silence NumPy's warnings, as PyTorch
does, and give an exact zero gradient where the upstream gradient is exactly zero.
"""

from __future__ import annotations

from .._dtypes import to_numpy_dtype
from .._registry import op
from ..tensor import Tensor
from ._op import Op
from ._util import as_floating, is_scalar, promote, require_kind, zero_where_no_gradient
from .conditional import where
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
    """y = 1 / (1 + e^-x), as e^min(x, 0) / (1 + e^-|x|) from one exponential e = e^-|x|:
    nothing can overflow, and tiny outputs keep their relative precision (the tutorials take
    log(sigmoid(x))). The numerator, 1 for x >= 0 and e below, is max(e, x >= 0) since e <= 1.

    Branch-free on purpose: the textbook ``where(x >= 0, …, …)`` form costs twice as much on
    random signs (a data-dependent mask), and ``1 / (1 + e^-x)`` overflows for x < -88.
    """

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        decay = xp.exp(-xp.abs(x))  # e^-|x| in (0, 1]
        y = xp.maximum(decay, x >= 0)
        decay += 1  # fresh buffers nobody else sees: updated in place
        y /= decay
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = y(1 - y)
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


class Relu(Op):
    """y = max(x, 0); the gradient at 0 is 0, as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        if ctx.needs_input_grad[0]:
            # Saved in x's dtype: multiplying by a bool mask would promote at every step.
            ctx.save_for_backward((y > 0).astype(x.dtype))
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1 where y > 0
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


class Sign(Op):
    """y = sign(x): -1, 0 or 1; its gradient is zero everywhere."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


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
    function_name = "round"


class Trunc(_RoundingOp):
    function_name = "trunc"


@op("exp", numpy=("exp",))
def exp(input: Tensor) -> Tensor:
    """e to the power of each element."""
    return Exp.apply(as_floating(input))


@op("log", numpy=("log",))
def log(input: Tensor) -> Tensor:
    """Natural logarithm; -inf at 0 and NaN below, without warnings."""
    return Log.apply(as_floating(input))


@op("log2", numpy=("log2",))
def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm."""
    return log(input) * (1 / 0.6931471805599453)


@op("log10", numpy=("log10",))
def log10(input: Tensor) -> Tensor:
    """Base-10 logarithm."""
    return log(input) * (1 / 2.302585092994046)


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
    """Limit every element to ``[min, max]`` (either may be None; scalars or tensors).

    The gradient passes to ``input`` where ``min <= input <= max``, boundaries included, and
    to a tensor bound where it is the one selected.
    """
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if (min is None or is_scalar(min)) and (max is None or is_scalar(max)):
        if input._data.dtype.kind != "f" and any(
            isinstance(b, float) for b in (min, max) if b is not None
        ):
            input = as_floating(input)
        return Clamp.apply(input, low=min, high=max)
    result = input
    if min is not None:
        result, low = promote("clamp", result, min)
        result = where(result < low, low, result)
    if max is not None:
        result, high = promote("clamp", result, max)
        result = where(result > high, high, result)
    return result


@op("sign", numpy=("sign",))
def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 per element (zero gradient); a bool tensor is its own sign."""
    if input._data.dtype.kind == "b":
        return input.clone()
    return Sign.apply(input)


@op("floor", numpy=("floor",))
def floor(input: Tensor) -> Tensor:
    """Round down (zero gradient)."""
    require_kind(input, "floor", "fiu", NotImplementedError)
    return Floor.apply(input)


@op("ceil", numpy=("ceil",))
def ceil(input: Tensor) -> Tensor:
    """Round up (zero gradient)."""
    require_kind(input, "ceil", "fiu", NotImplementedError)
    return Ceil.apply(input)


@op("round")
def round(input: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even, like PyTorch (zero gradient)."""
    require_kind(input, "round", "fiu", NotImplementedError)
    if decimals:
        scale = 10.0**decimals
        return Round.apply(input * scale) / scale
    return Round.apply(input)


@op("trunc")
def trunc(input: Tensor) -> Tensor:
    """Round toward zero (zero gradient)."""
    require_kind(input, "trunc", "fiu", NotImplementedError)
    return Trunc.apply(input)
