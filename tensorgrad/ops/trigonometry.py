"""Trigonometry beyond sin, cos and tanh (those are in ``unary.py``): tan, the inverse
functions, atan2 and hypot, and the hyperbolic functions with their inverses.

Each is defined on real numbers: integer and bool tensors compute in the default float dtype,
as in PyTorch. Outside its domain a function gives NaN without a warning; the inverse
functions are singular at the edge of their domain (asin, acos and atanh at ±1, acosh at 1),
where the gradient is inf as in PyTorch, and an exactly-zero upstream gradient stays an exact
zero there (see NaN hygiene in docs/design.md).
"""

from __future__ import annotations

from .._backend import ndarray
from .._dtypes import default_float_numpy
from .._registry import op
from ..tensor import Tensor
from ._op import Op
from ._util import apply_elementwise, as_floating, promote, zero_where_no_gradient
from .conversion import cast


class Tan(Op):
    """y = tan x"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1 + y²
        (y,) = ctx.saved_tensors
        return grad * (1 + y * y)


class Asin(Op):
    """y = arcsin x, x in [-1, 1]"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arcsin(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/√(1 - x²)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / ctx.xp.sqrt((1 - x) * (1 + x)))


class Acos(Op):
    """y = arccos x, x in [-1, 1]"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arccos(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = -1/√(1 - x²)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, -grad / ctx.xp.sqrt((1 - x) * (1 + x)))


class Atan(Op):
    """y = arctan x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arctan(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/(1 + x²)
        (x,) = ctx.saved_tensors
        return grad / (1 + x * x)


class Atan2(Op):
    """out = atan2(y, x): the angle of the point (x, y), in [-π, π]"""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return ctx.xp.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):  # d/dy = x/(x² + y²), d/dx = -y/(x² + y²); 0 at the origin
        y, x = ctx.saved_tensors
        need_y, need_x = ctx.needs_input_grad
        squared = y * y + x * x
        # PyTorch's convention at the origin (and where x² + y² underflows): gradient 0.
        reciprocal = ctx.xp.where(squared == 0, 0, 1 / squared)
        return (grad * x * reciprocal if need_y else None), (
            grad * -y * reciprocal if need_x else None
        )


class Hypot(Op):
    """out = √(a² + b²), without overflow or underflow in between"""

    @staticmethod
    def forward(ctx, a, b):
        out = ctx.xp.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/da = a/out, d/db = b/out (NaN at the origin, as in PyTorch)
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        xp = ctx.xp
        grad_a = zero_where_no_gradient(xp, grad, grad * a / out) if need_a else None
        grad_b = zero_where_no_gradient(xp, grad, grad * b / out) if need_b else None
        return grad_a, grad_b


class Sinh(Op):
    """y = sinh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sinh(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = cosh x
        (x,) = ctx.saved_tensors
        return grad * Cosh.apply(x)


class Cosh(Op):
    """y = cosh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cosh(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = sinh x
        (x,) = ctx.saved_tensors
        return grad * Sinh.apply(x)


class Asinh(Op):
    """y = arsinh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arcsinh(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/√(x² + 1)
        (x,) = ctx.saved_tensors
        return grad / ctx.xp.sqrt(x * x + 1)


class Acosh(Op):
    """y = arcosh x, x >= 1"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arccosh(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/√(x² - 1)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / ctx.xp.sqrt((x - 1) * (x + 1)))


class Atanh(Op):
    """y = artanh x, x in [-1, 1]"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arctanh(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/(1 - x²)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / ((1 - x) * (1 + x)))


@op("tan", numpy=("tan",))
def tan(input: Tensor) -> Tensor:
    """Tangent, elementwise (radians)."""
    return Tan.apply(as_floating(input))


@op("asin", "arcsin", numpy=("arcsin",))
def asin(input: Tensor) -> Tensor:
    """Inverse sine, in [-π/2, π/2]; NaN outside [-1, 1]. ``arcsin`` is its alias."""
    return Asin.apply(as_floating(input))


@op("acos", "arccos", numpy=("arccos",))
def acos(input: Tensor) -> Tensor:
    """Inverse cosine, in [0, π]; NaN outside [-1, 1]. ``arccos`` is its alias."""
    return Acos.apply(as_floating(input))


@op("atan", "arctan", numpy=("arctan",))
def atan(input: Tensor) -> Tensor:
    """Inverse tangent, in (-π/2, π/2). ``arctan`` is its alias."""
    return Atan.apply(as_floating(input))


def _two_tensors(op_name: str, input, other) -> list[Tensor]:
    """Both operands as tensors of one dtype (PyTorch takes no numbers here: TypeError; an
    ndarray is taken, for ``numpy.arctan2(array, tensor)``)."""
    for name, value in (("input", input), ("other", other)):
        if not isinstance(value, (Tensor, ndarray)):
            raise TypeError(
                f"{op_name}: argument '{name}' must be a Tensor, not {type(value).__name__}"
            )
    return promote(op_name, input, other)


@op("atan2", "arctan2", numpy=("arctan2",))
def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (``other``, ``input``), i.e. arctan(input / other) in the right
    quadrant, in [-π, π]; broadcasting. Integers compute in the default float dtype.

    The gradient is 0 at the origin, as in PyTorch. ``arctan2`` is its alias.
    """
    y, x = _two_tensors("atan2", input, other)
    if y._data.dtype.kind != "f":
        dtype = default_float_numpy()
        y, x = cast(y, dtype), cast(x, dtype)
    return apply_elementwise(Atan2, "atan2", y, x)


@op("hypot", numpy=("hypot",))
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(input² + other²)`` elementwise without overflow, broadcasting.

    Floating-point tensors only (NotImplementedError otherwise, as in PyTorch); the gradient
    at the origin is NaN, as in PyTorch.
    """
    a, b = _two_tensors("hypot", input, other)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"hypot: expected floating-point tensors, got dtype {a.dtype}")
    return apply_elementwise(Hypot, "hypot", a, b)


@op("sinh", numpy=("sinh",))
def sinh(input: Tensor) -> Tensor:
    """Hyperbolic sine."""
    return Sinh.apply(as_floating(input))


@op("cosh", numpy=("cosh",))
def cosh(input: Tensor) -> Tensor:
    """Hyperbolic cosine."""
    return Cosh.apply(as_floating(input))


@op("asinh", "arcsinh", numpy=("arcsinh",))
def asinh(input: Tensor) -> Tensor:
    """Inverse hyperbolic sine. ``arcsinh`` is its alias."""
    return Asinh.apply(as_floating(input))


@op("acosh", "arccosh", numpy=("arccosh",))
def acosh(input: Tensor) -> Tensor:
    """Inverse hyperbolic cosine; NaN below 1. ``arccosh`` is its alias."""
    return Acosh.apply(as_floating(input))


@op("atanh", "arctanh", numpy=("arctanh",))
def atanh(input: Tensor) -> Tensor:
    """Inverse hyperbolic tangent; ±inf at ±1, NaN outside [-1, 1]. ``arctanh`` is its
    alias."""
    return Atanh.apply(as_floating(input))
