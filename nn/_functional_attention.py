"""The attention half of ``tensorgrad.nn.functional``: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (what ``nn.MultiheadAttention`` runs). Re-exported by
``functional``.

Both run on the fused primitive :mod:`tensorgrad.ops.attention`, except the
``need_weights=True`` path of multi-head attention, which, like PyTorch's, returns the weights
and computes them with softmax as a composite (so a row with every key masked is NaN there,
as in PyTorch, but 0 through ``scaled_dot_product_attention``).
"""

from __future__ import annotations

import math
import warnings

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.ops import attention, fused

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _dropout_multiplier(shape: tuple, p: float, like: Tensor) -> Tensor:
    """0 with probability p, else 1/(1-p) (inverted dropout), from the global generator, of
    ``like``'s dtype and on its device (drawn on the host: a seed gives the same mask
    everywhere)."""
    dtype = like.dtype
    keep = tensorgrad.rand(shape, dtype=dtype, device=like.device) >= p
    return keep.to(dtype) * (1.0 / (1.0 - p)) if p < 1.0 else keep.to(dtype)


def _broadcast(shapes, what: str) -> tuple:
    """The broadcast of ``shapes`` (PyTorch's RuntimeError when they do not broadcast)."""
    result = []
    for sizes in zip(*(((1,) * (max(map(len, shapes)) - len(s)) + tuple(s)) for s in shapes)):
        size = max(sizes)
        if any(n not in (1, size) for n in sizes):
            raise RuntimeError(
                f"scaled_dot_product_attention: the shapes of {what} do not broadcast: "
                + ", ".join(str(tuple(s)) for s in shapes)
            )
        result.append(size)
    return tuple(result)


def _repeat_heads(tensor: Tensor, heads: int, name: str) -> Tensor:
    """Repeat each of ``tensor``'s heads (dim -3) so that there are ``heads`` (GQA)."""
    have = tensor.shape[-3]
    if have == heads:
        return tensor
    if heads % have:
        raise RuntimeError(
            f"Number of heads in key and value must divide the number of heads in query "
            f"(query has {heads} heads, {name} has {have})"
        )
    shape = tuple(tensor.shape)
    repeated = tensor.unsqueeze(-3).expand(*shape[:-2], heads // have, *shape[-2:])
    return repeated.reshape(*shape[:-3], heads, *shape[-2:])


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query keyᵀ·scale + mask) value``, with dropout on the attention weights.

    Shapes: query (…, L, E), key (…, S, E), value (…, S, Ev) → (…, L, Ev); the batch dims
    (…) broadcast, so (N, L, E) and (N, H, L, E) both work.

    ``attn_mask`` broadcastable to (…, L, S): bool (True = takes part) or of query's dtype
    (added to the scores). ``is_causal``: query i sees keys 0…i (a lower-triangular mask
    aligned at the upper left, as PyTorch; not together with ``attn_mask``). ``scale``
    defaults to 1/√E. ``dropout_p`` zeroes attention weights (always, like PyTorch: pass 0
    in evaluation), drawing from the global generator (``tensorgrad.manual_seed``).
    ``enable_gqa``: key and value may have fewer heads (dim -3) than query, a divisor of its
    count; each is repeated for its group of query heads.

    A query whose keys are all masked gets weights 0: its output row and the gradients
    through it are 0 (PyTorch's result, and no NaN reaches the other rows). One graph node
    (:mod:`tensorgrad.ops.attention`), differentiable twice.
    """
    tensors = (query, key, value)
    if min(t.dim() for t in tensors) < 2:
        raise RuntimeError(
            f"Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            f"instead."
        )
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if not query.is_floating_point():
        raise RuntimeError(
            f"scaled_dot_product_attention: expected a floating dtype, got {query.dtype}"
        )
    if attn_mask is not None and attn_mask.dtype not in (tensorgrad.bool, query.dtype):
        raise RuntimeError(
            f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype} and  query.dtype: {query.dtype} instead."
        )
    if attn_mask is not None and is_causal:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa and query.dim() >= 3 and key.dim() >= 3 and value.dim() >= 3:
        key = _repeat_heads(key, query.shape[-3], "key")
        value = _repeat_heads(value, query.shape[-3], "value")
    length, source_length, embed = query.shape[-2], key.shape[-2], query.shape[-1]
    if key.shape[-1] != embed or value.shape[-2] != source_length:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key {tuple(key.shape)} "
            f"and value {tuple(value.shape)} do not fit (…, L, E), (…, S, E), (…, S, Ev)"
        )
    batch = _broadcast([t.shape[:-2] for t in (query, key, value)], "query, key and value")
    scores_shape = batch + (length, source_length)
    if attn_mask is not None:
        merged = _broadcast([attn_mask.shape, scores_shape], "attn_mask and the scores")
        if merged != scores_shape:
            raise RuntimeError(
                f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask.shape)} "
                f"does not broadcast to the scores' shape {scores_shape}"
            )
    keep = None
    if dropout_p > 0.0:
        keep = _dropout_multiplier(scores_shape, dropout_p, query)
    if scale is None:
        scale = 1.0 / math.sqrt(embed) if embed else math.inf
    return attention.scaled_dot_product_attention(
        query, key, value, attn_mask, keep, is_causal, float(scale)
    )


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's shape checks (AssertionError, as there); True when the input is batched."""
    batched = query.dim() == 3
    if query.dim() not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
            f"query tensor"
        )
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {query.dim()}-D but found "
            f"{key.dim()}-D and {value.dim()}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
            f"{query.dim() - 1}-D but found {key_padding_mask.dim()}-D tensor instead"
        )
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(
            f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{attn_mask.dim()}-D tensor instead"
        )
    if not batched and attn_mask is not None and attn_mask.dim() == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}"
            )
    return batched


def _check_mask_dtype(mask: Tensor | None, name: str) -> None:
    if mask is not None and mask.dtype != tensorgrad.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")


def _as_additive(mask: Tensor, dtype) -> Tensor:
    """A bool mask (True = masked, MultiheadAttention's sense) as 0 / -inf of ``dtype``."""
    if mask.dtype != tensorgrad.bool:
        return mask
    zeros = tensorgrad.zeros(mask.shape, dtype=dtype, device=mask.device)
    return zeros.masked_fill(mask, float("-inf"))


def _append_key(mask: Tensor | None) -> Tensor | None:
    """One more key along the last dim that every query may attend (bias_kv, zero_attn)."""
    if mask is None:
        return None
    column = tensorgrad.zeros((*mask.shape[:-1], 1), dtype=mask.dtype, device=mask.device)
    return tensorgrad.cat([mask, column], -1)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first input (what ``nn.MultiheadAttention`` runs).

    Shapes: query (L, N, E) or (L, E), key (S, N, Ek) or (S, Ek), value (S, N, Ev) or
    (S, Ev); key_padding_mask (N, S) or (S,); attn_mask (L, S) or (N·num_heads, L, S). Masks
    are bool (True = may NOT attend, the opposite of :func:`scaled_dot_product_attention`)
    or float (added to the scores). Returns the output (L, N, E) or (L, E), and with
    ``need_weights`` the attention weights, averaged over heads (N, L, S) or per head
    (N, num_heads, L, S) (unbatched: without N), after dropout, as PyTorch returns them.
    Without ``need_weights`` the fused :func:`scaled_dot_product_attention` runs.
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed_dim = query.shape
    _check_mask_dtype(key_padding_mask, "key_padding_mask")
    _check_mask_dtype(attn_mask, "attn_mask")
    both = key_padding_mask is not None and attn_mask is not None
    if both and key_padding_mask.dtype != attn_mask.dtype:
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same "
            "type for both instead.",
            stacklevel=2,
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the mask: SDPA's own causal path
    elif key_padding_mask is not None:
        is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                f"{tuple(value.shape[:2])}"
            )
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if key.shape != value.shape:
            raise AssertionError(
                f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
            )
        weights = tuple(in_proj_weight[i * embed_dim : (i + 1) * embed_dim] for i in range(3))
    for what, input, weight in zip(("query", "key", "value"), (query, key, value), weights):
        if weight.dtype != input.dtype or tuple(weight.shape) != (embed_dim, input.shape[-1]):
            raise RuntimeError(
                f"multi_head_attention_forward: {what} of shape {tuple(input.shape)} and dtype "
                f"{input.dtype} does not fit its projection weight of shape "
                f"{tuple(weight.shape)} and dtype {weight.dtype}"
            )
    biases = (None,) * 3
    if in_proj_bias is not None:
        biases = tuple(in_proj_bias[i * embed_dim : (i + 1) * embed_dim] for i in range(3))
    source_length = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (length, source_length):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{(length, source_length)}."
                )
        elif tuple(attn_mask.shape) != (batch * num_heads, length, source_length):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                f"{(batch * num_heads, length, source_length)}."
            )
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key.")
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together")
    # Each projection is one (rows, E) product, then the heads split off as views:
    # q (N, H, L, head_dim), k and v (N, H, S, head_dim).
    heads = (num_heads, head_dim)
    q = _project_heads(query, weights[0], biases[0], *heads)
    k = _project_heads(key, weights[1], biases[1], *heads, static_k, "k")
    v = _project_heads(value, weights[2], biases[2], *heads, static_v, "v")
    if bias_k is not None:
        k = tensorgrad.cat([k, bias_k.reshape(1, *heads).unsqueeze(2).expand(batch, -1, 1, -1)], 2)
        v = tensorgrad.cat([v, bias_v.reshape(1, *heads).unsqueeze(2).expand(batch, -1, 1, -1)], 2)
        attn_mask, key_padding_mask = _append_key(attn_mask), _append_key(key_padding_mask)
    if add_zero_attn:
        zeros = tensorgrad.zeros((batch, num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k, v = tensorgrad.cat([k, zeros], 2), tensorgrad.cat([v, zeros], 2)
        attn_mask, key_padding_mask = _append_key(attn_mask), _append_key(key_padding_mask)
    source_length = k.shape[2]
    mask = _merge_masks(attn_mask, key_padding_mask, batch, num_heads, source_length, q.dtype)
    if not training:
        dropout_p = 0.0
    if need_weights:
        output, weights = _attention_with_weights(q, k, v, mask, dropout_p)
        weights = weights.mean(1) if average_attn_weights else weights
    else:
        if mask is not None and mask.dtype == tensorgrad.bool:
            mask = mask.logical_not()  # scaled_dot_product_attention's sense: True takes part
        output = scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal and mask is None)
        weights = None
    if query.transpose(0, 1).is_contiguous():  # batch-major rows (batch_first input)
        output = output.transpose(1, 2).reshape(batch * length, embed_dim)
        output = fused.linear(output, out_proj_weight, out_proj_bias)
        output = output.reshape(batch, length, embed_dim).transpose(0, 1)
    else:
        output = output.permute(2, 0, 1, 3).reshape(length * batch, embed_dim)
        output = fused.linear(output, out_proj_weight, out_proj_bias)
        output = output.reshape(length, batch, embed_dim)
    if not batched:
        output = output.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return output, weights


def _project_heads(input, weight, bias, num_heads, head_dim, static=None, name="") -> Tensor:
    """Sequence-first (T, N, Ein) projected to (N, H, T, head_dim), or the given static
    (N·H, T, head_dim) keys/values. The product runs on whichever of the (T·N) or (N·T) row
    orders is contiguous (batch_first input is a transposed view), so it is one 2-D product
    without a copy."""
    length, batch = input.shape[:2]
    if static is None:
        if input.transpose(0, 1).is_contiguous():
            rows = input.transpose(0, 1).reshape(batch * length, -1)
            projected = fused.linear(rows, weight, bias)
            return projected.reshape(batch, length, num_heads, head_dim).transpose(1, 2)
        projected = fused.linear(input.reshape(length * batch, -1), weight, bias)
        return projected.reshape(length, batch, num_heads, head_dim).permute(1, 2, 0, 3)
    if static.shape[0] != batch * num_heads or static.shape[2] != head_dim:
        raise AssertionError(
            f"expecting static_{name} of shape ({batch * num_heads}, S, {head_dim}), but got "
            f"{tuple(static.shape)}"
        )
    return static.reshape(batch, num_heads, -1, head_dim)


def _merge_masks(attn_mask, key_padding_mask, batch, num_heads, source_length, dtype):
    """attn_mask and key_padding_mask as one mask broadcastable to (N, H, L, S): bool
    (True = masked) when both are bool, else their sum as additive float masks (PyTorch's)."""
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source_length):
            raise AssertionError(
                f"Expected key_padded_mask of shape {(batch, source_length)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        key_padding_mask = key_padding_mask.reshape(batch, 1, 1, source_length)
    if attn_mask is not None:
        attn_mask = (
            attn_mask.reshape(1, 1, *attn_mask.shape)
            if attn_mask.dim() == 2
            else attn_mask.reshape(batch, num_heads, *attn_mask.shape[1:])
        )
    if key_padding_mask is None or attn_mask is None:
        return attn_mask if key_padding_mask is None else key_padding_mask
    if attn_mask.dtype == key_padding_mask.dtype == tensorgrad.bool:
        return attn_mask.logical_or(key_padding_mask)
    return _as_additive(attn_mask, dtype) + _as_additive(key_padding_mask, dtype)


def _attention_with_weights(q, k, v, mask, dropout_p):
    """PyTorch's ``need_weights`` path, as a composite: softmax(q kᵀ/√d + mask) (NaN for a
    row with every key masked, as there), dropout, then the product with v."""
    scores = (q * math.sqrt(1.0 / q.shape[-1])) @ k.mT
    if mask is not None:
        scores = (
            scores.masked_fill(mask, float("-inf"))
            if mask.dtype == tensorgrad.bool
            else scores + mask
        )
    weights = tensorgrad.softmax(scores, -1)
    if dropout_p > 0.0:
        weights = weights * _dropout_multiplier(tuple(weights.shape), dropout_p, weights)
    return weights @ v, weights
