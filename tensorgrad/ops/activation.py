"""Activations over a dim: softmax and log_softmax (the elementwise ones are in unary.py).

``softmax`` is a fused primitive: computed as e^(x - max) / Σ e^(x - max), which keeps full
relative precision for large logits (the composite exp(x - logsumexp(x)) loses about 1e-5 at
logits of 100 in float32, so rows stop summing to 1), and it is one graph node instead of
five. ``log_softmax`` stays the composite x - logsumexp(x), which is already exact.
"""

from __future__ import annotations

from .._dtypes import to_numpy_dtype
from .._registry import op
from .._shapes import normalize_dim
from ..tensor import Tensor
from ._op import Op
from ._util import require_floating
from .conversion import cast
from .statistics import logsumexp


class Softmax(Op):
    """y = e^x / Σ e^x along ``dim``; a slice of all -inf gives NaN, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        if x.shape[dim] == 0:
            ctx.save_for_backward(x)
            return x.copy()
        shift = x.max(axis=dim, keepdims=True)
        y = xp.exp(x - xp.where(shift == -xp.inf, 0, shift))  # all -inf: 0/0 = NaN, as PyTorch
        y /= y.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx · grad = y ⊙ (grad - Σ grad ⊙ y)
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(axis=ctx.dim, keepdims=True))


def _float(input: Tensor, dtype):
    if dtype is not None:
        return cast(input, to_numpy_dtype(dtype))
    require_floating(input, "softmax", NotImplementedError)
    return input


@op("softmax")
def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """e^x / Σ e^x along ``dim`` (same shape as ``input``); stable for any logits."""
    input = _float(input, dtype)
    if input.ndim == 0:
        return Softmax.apply(input.reshape(1), dim=0).reshape(())
    return Softmax.apply(input, dim=normalize_dim(dim, input.ndim, "softmax"))


@op("log_softmax")
def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``: the log of :func:`softmax`, without underflow."""
    input = _float(input, dtype)
    return input - logsumexp(input, dim, keepdim=True)
