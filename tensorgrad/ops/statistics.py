"""Statistics and norms over dims: ``var``, ``std`` (and with their ``mean``),
``logsumexp`` (the smooth maximum, computed with the maximum subtracted) and vector ``norm``.
They are composites of the reductions except two fused, stable primitives: the log-sum-exp
and the 2-norm (whose gradient at the zero vector is 0, not NaN).
"""

from __future__ import annotations

import math

from .._dtypes import to_numpy_dtype
from .._registry import op
from .._shapes import normalize_dims
from ..tensor import Tensor
from ._op import Op
from ._util import as_floating, require_floating, scalar_tensor
from .conditional import where
from .conversion import cast
from .reduction import amax, amin, expand_reduced, mean, reduced_shape, sum


class LogSumExp(Op):
    """out = log Σ exp(x) over dims, computed with the maximum subtracted.

    A slice of all -inf gives -inf (not NaN); elements at -inf get an exact zero gradient.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.xp
        ctx.dims, ctx.keepdim = dims, keepdim
        if x.size == 0:
            out = xp.full(reduced_shape(x.shape, dims, keepdim), -xp.inf, dtype=x.dtype)
            ctx.save_for_backward(x, out)
            return out
        shift = x.max(axis=dims, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)
        out = xp.log(xp.exp(x - shift).sum(axis=dims, keepdims=True)) + shift
        if not keepdim:
            out = out.reshape(reduced_shape(x.shape, dims, keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dx = softmax(x) over dims
        x, out = ctx.saved_tensors
        xp, dims, keepdim, shape = ctx.xp, ctx.dims, ctx.keepdim, x.shape
        softmax = xp.exp(x - expand_reduced(xp, out, shape, dims, keepdim))
        softmax = xp.where(x == -math.inf, 0, softmax)
        return expand_reduced(xp, grad, shape, dims, keepdim) * softmax


class VectorNorm2(Op):
    """out = √(Σ x²) over dims; the gradient at the zero vector is 0, not NaN."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        out = ctx.xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dx = x / ‖x‖
        x, out = ctx.saved_tensors
        xp, dims, keepdim, shape = ctx.xp, ctx.dims, ctx.keepdim, x.shape
        norm = expand_reduced(xp, out, shape, dims, keepdim)
        unit = xp.where(norm == 0, 0, x / norm)
        return expand_reduced(xp, grad, shape, dims, keepdim) * unit


@op("var")
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim`` with ``correction`` (1 = Bessel, the default; 0 = population).

    ``unbiased=False`` is the older spelling of ``correction=0``.
    """
    if isinstance(dim, bool):  # PyTorch's older overload var(input, unbiased)
        dim, unbiased = None, dim
    if not (isinstance(unbiased, bool) or unbiased is None):
        raise TypeError(f"var: unbiased must be a bool, got {type(unbiased).__name__}")
    if correction is None:
        correction = 0 if unbiased is False else 1
    require_floating(input, "var")
    dims = normalize_dims(dim, input.ndim, "var")
    count = math.prod(input.shape[d] for d in dims)
    centered = input - mean(input, dims, keepdim=True)
    return sum(centered * centered, dims, keepdim) / _max_zero(count - correction)


def _max_zero(value):
    return value if value > 0 else 0


@op("std")
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation: the square root of :func:`var` (same arguments).

    Where the variance is 0 the gradient is 0, as in PyTorch (√ has an infinite slope there).
    """
    variance = var(input, dim, unbiased, keepdim, correction=correction)
    zero = scalar_tensor(0, variance._data.dtype, variance)
    return where(variance == 0, zero, variance.sqrt())  # NaN variance stays NaN


@op("var_mean", methods=())
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``."""
    return (
        var(input, dim, unbiased, keepdim, correction=correction),
        mean(input, dim, keepdim),
    )


@op("std_mean", methods=())
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``."""
    return (
        std(input, dim, unbiased, keepdim, correction=correction),
        mean(input, dim, keepdim),
    )


@op("logsumexp")
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` without overflow; all -inf gives -inf."""
    input = as_floating(input)
    dims = normalize_dims(dim, input.ndim, "logsumexp")
    return LogSumExp.apply(input, dims=dims, keepdim=keepdim)


@op("norm")
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector norm over ``dim`` (all elements if None): p = 2/'fro' (default), 1, inf, -inf,
    0 (count of non-zeros) or any other real p. The 2-norm's gradient at 0 is 0."""
    if dtype is not None:
        input = cast(input, to_numpy_dtype(dtype))
    require_floating(input, "norm")
    dims = normalize_dims(dim, input.ndim, "norm")
    if p in ("fro", 2, 2.0):
        return VectorNorm2.apply(input, dims=dims, keepdim=keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (use a number or 'fro')")
    magnitude = input.abs()
    if p == math.inf:
        return amax(magnitude, dims, keepdim)
    if p == -math.inf:
        return amin(magnitude, dims, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dims, keepdim)
    if p == 1:
        return sum(magnitude, dims, keepdim)
    return sum(magnitude**p, dims, keepdim) ** (1.0 / p)
