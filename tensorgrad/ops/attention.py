"""Scaled dot-product attention as one fused primitive (``tensorgrad.nn.functional`` builds
``scaled_dot_product_attention`` and ``MultiheadAttention`` on it).

Fused for speed and for its masked rows: one node instead of matmul, scale, mask, softmax,
dropout and matmul (six nodes, five (…, L, S) temporaries kept for backward), and a row whose
keys are all masked gives weights of exactly 0 (PyTorch's ``_safe_softmax``), so its output
and every gradient through it are 0 instead of NaN. The backward is generic (see ``_op.py``),
so double backward works.
"""

from __future__ import annotations

from .._backend import array_module
from .._tracing import constant
from ..tensor import Tensor
from ._op import Op
from ._util import sum_columns
from .activation import softmax
from .conditional import where

__all__ = ["scaled_dot_product_attention"]


def _causal(xp, length: int, source_length: int):
    """(L, S) bool, True on and below the diagonal (upper-left aligned, as PyTorch's)."""
    return xp.tri(length, source_length, dtype=bool)


class ScaledDotProductAttention(Op):
    """out = dropout(softmax(q kᵀ·scale + mask)) v

    q: (…, L, E), k: (…, S, E), v: (…, S, Ev) → (…, L, Ev), batch dims broadcast. The
    optional inputs follow v: the mask (``masked``; bool: True takes part, float: added;
    broadcastable to (…, L, S)), then the dropout multiplier (``dropped``; 0 or 1/(1-p)).
    """

    @staticmethod
    def forward(ctx, q, k, v, *extra, scale, causal, masked, dropped):
        xp = ctx.xp
        mask = extra[0] if masked else None
        keep = extra[-1] if dropped else None
        scores = q @ k.swapaxes(-1, -2)
        scores *= scale
        # Masks are added as 0 / -inf: a broadcast add is several times faster than copyto.
        if mask is not None:
            scores += _additive(xp, mask, scores.dtype) if mask.dtype.kind == "b" else mask
        if causal:
            scores += _additive(xp, _causal(xp, q.shape[-2], k.shape[-2]), scores.dtype)
        weights = _softmax_(xp, scores) if scores.shape[-1] else scores
        out = (weights * keep if keep is not None else weights) @ v
        ctx.scale, ctx.causal, ctx.masked, ctx.dropped = scale, causal, masked, dropped
        ctx.save_for_backward(q, k, v, mask, keep, weights, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # dS = W ⊙ (dW - rowsum(dO ⊙ O)), dq = dS k·scale, dk = dSᵀ q·scale
        q, k, v, mask, keep, weights, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if isinstance(q, Tensor):  # create_graph: the weights and output as functions of q, k, v
            weights = _weights(q, k, mask, ctx.scale, ctx.causal)
            out = (weights * keep if keep is not None else weights) @ v
        grad_v = grad_q = grad_k = grad_mask = None
        if needs[2]:
            grad_v = (weights * keep if keep is not None else weights).mT @ grad
        mask_needs = ctx.masked and needs[3]
        if needs[0] or needs[1] or mask_needs:
            # The scale folds into grad (L × Ev) rather than the scores' gradient (L × S),
            # unless the mask needs the unscaled one.
            scaled = grad if mask_needs else grad * ctx.scale
            grad_weights = scaled @ v.mT
            if keep is not None:
                grad_weights = grad_weights * keep
            # Σ_j dW_ij W_ij = Σ_e dO_ie O_ie: the row sums over Ev, not over S.
            grad_scores = weights * (grad_weights - _row_sums(scaled * out))
            if mask_needs:
                grad_mask = grad_scores
                grad_scores = grad_scores * ctx.scale
            grad_q = grad_scores @ k if needs[0] else None
            grad_k = grad_scores.mT @ q if needs[1] else None
        grads = (grad_q, grad_k, grad_v)
        if ctx.masked:
            grads += (grad_mask,)
        if ctx.dropped:
            grads += (None,)
        return grads


def _additive(xp, allowed, dtype):
    """A bool mask (True = takes part) as 0 / -inf of ``dtype``."""
    return xp.where(allowed, dtype.type(0), dtype.type(-xp.inf))


def _row_sums(x):
    """Σ over the last dim, keepdims. A product with ones on arrays (``sum_columns``: NumPy's
    reduce over a short last axis pays per row); ``.sum`` on Tensors (a recorded backward)."""
    if isinstance(x, Tensor):
        return x.sum(axis=-1, keepdims=True)
    rows = sum_columns(x.reshape(-1, x.shape[-1]))
    return rows.reshape(*x.shape[:-1], 1)


def _softmax_(xp, scores):
    """Softmax over the last dim, in place and stable; a row of all -inf gives zeros."""
    row_max = scores.max(axis=-1, keepdims=True)
    dead = row_max == -xp.inf
    any_dead = dead.any()
    if any_dead:
        row_max[dead] = 0
    scores -= row_max
    weights = xp.exp(scores, out=scores)
    total = _row_sums(weights)
    if any_dead:
        total[dead] = 1
    weights *= 1 / total
    return weights


def _weights(q: Tensor, k: Tensor, mask: Tensor | None, scale: float, causal: bool) -> Tensor:
    """The attention weights recorded as a graph (the create_graph path of the backward)."""
    scores = (q @ k.mT) * scale
    if mask is not None:
        floating = mask.is_floating_point()
        scores = scores + mask if floating else where(mask, scores, float("-inf"))
    if causal:
        allowed = constant(Tensor(_causal(array_module(q._data), q.shape[-2], k.shape[-2])))
        scores = where(allowed, scores, float("-inf"))
    dead = (scores == float("-inf")).all(-1, keepdim=True)
    return where(dead, 0.0, softmax(where(dead, 0.0, scores), -1))


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    keep: Tensor | None = None,
    is_causal: bool = False,
    scale: float = 1.0,
) -> Tensor:
    """``dropout(softmax(query keyᵀ·scale + mask)) value`` as one node; arguments checked by
    the caller. (…, L, E), (…, S, E), (…, S, Ev) → (…, L, Ev). ``keep`` is the dropout
    multiplier (0 or 1/(1-p)) of shape (…, L, S), or None."""
    inputs = [query, key, value]
    if attn_mask is not None:
        inputs.append(attn_mask)
    if keep is not None:
        inputs.append(keep)
    return ScaledDotProductAttention.apply(
        *inputs,
        scale=scale,
        causal=is_causal,
        masked=attn_mask is not None,
        dropped=keep is not None,
    )
