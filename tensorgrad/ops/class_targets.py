"""Class-index targets as weights: what cross-entropy and NLL multiply their log-probabilities by.

An op (not a Python helper reading the targets) so that the targets' values stay inside the
ops: a compiled training step replays it on every new batch of labels, bounds check included.
"""

from __future__ import annotations

from .._backend import default_module as numpy_module
from .._dtypes import to_numpy_dtype
from ..tensor import Tensor
from ._linalg_util import MultiOutputOp

__all__ = ["class_target_weights", "counted_targets"]

# The unsigned integer dtype of each signed one's width: a view as it reads negatives as huge.
_UNSIGNED = {size: numpy_module.dtype(f"u{size}") for size in (1, 2, 4, 8)}


def counted_targets(xp, indices, classes: int, ignore_index: int, name: str, shape: tuple):
    """``(indices, valid)`` for flat class-index targets: ignored ones replaced by 0 and the
    mask of the counted ones, or ``(indices, None)`` when every target counts and
    ``ignore_index`` is no class (the usual -100: then a mask is never needed). A target
    outside ``[0, classes)`` other than ``ignore_index`` raises IndexError naming ``name`` and
    the loss input's ``shape``."""
    if not indices.size:
        return indices, None
    if not 0 <= ignore_index < classes:  # then it can only be out of range, like any mistake
        # One reduction checks both ends: read as unsigned, a negative index is huge.
        unsigned = indices
        if indices.dtype.kind != "u":
            unsigned = indices.view(_UNSIGNED[indices.itemsize])
        if int(xp.maximum.reduce(unsigned)) < classes:
            return indices, None
    valid = indices != ignore_index
    outside = valid & ((indices < 0) | (indices >= classes))
    if outside.any():
        raise IndexError(
            f"{name}: target {int(indices[outside][0])} is out of bounds for {classes} classes "
            f"(input of shape {shape})"
        )
    return xp.where(valid, indices, 0), valid


class ClassTargetWeights(MultiOutputOp):
    """targets (M,) int, [class weights (C,)] → (q (M, C), count ()); never differentiable.

    Row i of q is ``(1-ε)·w[t_i]·onehot(t_i) + (ε/C)·w``, or zeros where ``t_i`` is
    ``ignore_index``; ``count`` is ``Σ_i w[t_i]`` over the counted rows (the denominator of
    PyTorch's weighted mean), in q's dtype.
    """

    @staticmethod
    def forward(ctx, indices, *class_weight, classes, dtype, ignore_index, smoothing, name, shape):
        xp = ctx.xp
        indices = indices.reshape(-1)
        rows = xp.arange(indices.size)
        q = xp.zeros((indices.size, classes), dtype=dtype)
        safe, valid = counted_targets(xp, indices, classes, ignore_index, name, shape)
        if valid is None and not class_weight and smoothing == 0:  # the common case
            q[rows, safe] = 1
            return q, xp.asarray(indices.size, dtype=dtype)
        if valid is None:
            valid = xp.ones(indices.size, dtype=bool)
        weight = class_weight[0].astype(dtype) if class_weight else xp.ones(classes, dtype)
        target_weight = weight[safe] * valid
        q[rows, safe] = (1 - smoothing) * target_weight
        if smoothing:
            q += (smoothing / classes) * weight * valid[:, None]
        return q, xp.asarray(target_weight.sum(), dtype=dtype)


def class_target_weights(
    target: Tensor,
    classes: int,
    dtype,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    name: str = "cross_entropy",
    input_shape: tuple = (),
) -> tuple[Tensor, Tensor]:
    """``(q, count)`` for class-index ``target`` (any shape, M elements) over ``classes``
    classes: q (M, classes) and the 0-d count, both in ``dtype`` (see :class:`ClassTargetWeights`).
    An index outside ``[0, classes)`` other than ``ignore_index`` raises IndexError naming ``name``
    and ``input_shape`` (the shape of the loss's input).
    """
    inputs = (target,) if weight is None else (target, weight.detach())
    return ClassTargetWeights.apply(
        *inputs,
        classes=classes,
        dtype=to_numpy_dtype(dtype),
        ignore_index=ignore_index,
        smoothing=label_smoothing,
        name=name,
        shape=tuple(input_shape),
    )
