"""Distances of ``tensorgrad.nn.functional`` and the losses built on distances and margins.

``cosine_similarity`` and ``pairwise_distance``, then the ranking, embedding and margin losses
(re-exported by ``nn.functional``). Each loss takes ``reduction='mean' | 'sum' | 'none'`` and
PyTorch's legacy ``size_average``/``reduce`` flags. Composites of core ops, in PyTorch's
formulation, so that values and gradients (at the hinge's kink too) are PyTorch's.
"""

from __future__ import annotations

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn._functional_activation import logsigmoid
from tensorgrad.nn._functional_loss_common import (
    _as_tensor,
    _broadcast_shape,
    _broadcast_target,
    _reduce,
    _reduction,
)
from tensorgrad.ops import fused

__all__ = [
    "cosine_similarity",
    "pairwise_distance",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]


def _check_dim(name: str, dim: int, ndim: int) -> int:
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(
            f"{name}: Dimension out of range (expected to be in range of [{low}, {high}], "
            f"but got {dim})"
        )
    return dim


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1 / max(‖x1‖, eps)) · (x2 / max(‖x2‖, eps)) along ``dim``: the cosine of the angle
    between the vectors along ``dim``, always within [-1, 1].

    x1 and x2 broadcast to a common shape; the result drops ``dim``. At least one must be
    floating-point (an integer one is cast). As in PyTorch, the norms are clamped at ``eps``
    for the value only (their gradient passes through the clamp).
    """
    name = "cosine_similarity"
    if not x1.is_floating_point() and not x2.is_floating_point():
        raise RuntimeError(
            f"{name}: expected common dtype to be floating point, got {x1.dtype} and {x2.dtype}"
        )
    if not x1.is_floating_point():
        x1 = x1.to(x2.dtype)
    elif not x2.is_floating_point():
        x2 = x2.to(x1.dtype)
    shape = _broadcast_shape(name, x1=x1, x2=x2)
    dim = _check_dim(name, dim, len(shape))
    if not shape:  # a 0-d pair: vectors of one element
        return cosine_similarity(x1.reshape(1), x2.reshape(1), 0, eps).reshape(())
    x1, x2 = x1.expand(shape), x2.expand(shape)
    norm1 = x1.norm(dim=dim, keepdim=True).clone()
    norm2 = x2.norm(dim=dim, keepdim=True).clone()
    with tensorgrad.no_grad():
        norm1.clamp_(min=eps)
        norm2.clamp_(min=eps)
    return ((x1 / norm1) * (x2 / norm2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x1 - x2 + eps‖_p along the last dim: x1 and x2 (*, D) broadcast together → (*)
    ((*, 1) with ``keepdim``). The eps keeps the gradient finite where x1 == x2."""
    _broadcast_shape("pairwise_distance", x1=x1, x2=x2)
    difference = x1 - x2 + eps
    if difference.dim() == 0:
        return difference.reshape(1).norm(p=p, dim=0)
    return difference.norm(p=p, dim=-1, keepdim=keepdim)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target·(input1 - input2) + margin): a target of 1 asks input1 to rank higher
    than input2 by ``margin``, -1 lower. All three have the same number of dims and
    broadcast together."""
    name = "margin_ranking_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(
            f"{name}: All input tensors should have same dimension but got sizes: input1: "
            f"{tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: "
            f"{tuple(target.shape)}"
        )
    _broadcast_shape(name, input1=input1, input2=input2, target=target)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1 (``input`` is
    usually a distance). input and target broadcast together."""
    name = "hinge_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _broadcast_target(name, input, target)
    # PyTorch's formula: a target that is neither 1 nor -1 takes both terms.
    below_margin = tensorgrad.where(target != 1, (margin - input).clamp(min=0), 0.0)
    return _reduce(below_margin + tensorgrad.where(target != -1, input, 0.0), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where target is -1.

    input1, input2: (N, D) with target (N,), or (D,) with a 0-d target; the cosine is
    Σ x1·x2 / √((Σ x1² + 1e-12)(Σ x2² + 1e-12)) over D.
    """
    name = "cosine_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _as_tensor(target, input1)
    shapes = f"inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)}"
    if target.dim() > 1:
        raise RuntimeError(
            f"{name}: 0D or 1D target tensor expected, multi-target not supported (target of "
            f"shape {tuple(target.shape)})"
        )
    expected = target.dim() + 1
    if input1.dim() != expected or input2.dim() != expected:
        raise RuntimeError(
            f"{name}: {target.dim()}D target tensor expects {expected}D input tensors, but "
            f"found {shapes}"
        )
    _broadcast_shape(name, input1=input1, input2=input2)
    dim = target.dim()
    products = (input1 * input2).sum(dim)
    squares1 = (input1 * input1).sum(dim) + 1e-12
    squares2 = (input2 * input2).sum(dim) + 1e-12
    cosine = products / (squares1 * squares2).sqrt()
    _broadcast_shape(name, cosine=cosine, target=target)
    similar = tensorgrad.where(target == 1, 1 - cosine, 0.0)
    dissimilar = tensorgrad.where(target == -1, (cosine - margin).clamp(min=0), 0.0)
    return _reduce(similar + dissimilar, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge (SVM) loss: Σ_{j≠y} w[y]·max(0, margin - x[y] + x[j])^p / C.

    input: (N, C) or (C,) scores; target: (N,) or () int64 class indices; ``p`` 1 or 2;
    ``weight`` (C,) per-class. 'none' gives one loss per sample: (N,), or () for a 0-d
    target. The mean of an empty batch is 0, as in PyTorch.
    """
    name = "multi_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 supported, got p={p}")
    if weight is not None and weight.dim() != 1:
        raise ValueError(
            f"{name}: weight must be one-dimensional, got weight of shape {tuple(weight.shape)}"
        )
    ndim = input.dim()
    if not (ndim == 0 or (ndim == 1 and input.numel() > 0) or (ndim == 2 and input.shape[1])):
        raise RuntimeError(
            f"{name}: Expected non-empty vector or matrix with optional 0-dim batch size, but "
            f"got input of shape {tuple(input.shape)}"
        )
    samples = input.shape[0] if ndim == 2 else 1
    classes = input.shape[-1] if ndim else 1
    if target.dtype != tensorgrad.int64:
        raise RuntimeError(f"{name}: expected an int64 target (class indices), got {target.dtype}")
    if target.dim() > 1 or target.numel() != samples:
        raise RuntimeError(
            f"{name}: target tensor should be 1-D with size equal to the number of input "
            f"samples (batch size). Expected target size ({samples},), but got "
            f"{tuple(target.shape)}. Input has shape {tuple(input.shape)}."
        )
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"{name}: inconsistent weight size, expected {classes} but got {tuple(weight.shape)}"
        )
    indices = target.reshape(samples, 1)
    if target.numel() and (indices.min().item() < 0 or indices.max().item() >= classes):
        raise RuntimeError(
            f"{name}: target out of range: class indices span [{indices.min().item()}, "
            f"{indices.max().item()}] for {classes} classes"
        )
    scores = input.reshape(samples, classes)
    violation = margin - scores.gather(1, indices) + scores  # (N, C)
    hinge = tensorgrad.where(violation > 0, violation, 0.0)
    if p == 2:
        hinge = hinge * hinge
    hinge = tensorgrad.where(
        tensorgrad.arange(classes, device=indices.device) != indices, hinge, 0.0
    )
    if weight is not None:
        hinge = hinge * weight[indices]
    losses = hinge.sum(1) / classes
    if reduction == "none":
        return losses.reshape(tuple(target.shape))
    if reduction == "mean" and samples == 0:
        return losses.sum()
    return _reduce(losses, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """One binary logistic loss per class, averaged over the C classes of the last dim:
    -mean_c(w·(y·log σ(x) + (1 - y)·log σ(-x))).

    input: (N, C) or (C,) logits; target: 0/1 labels broadcasting with it; ``weight``
    broadcasts too. 'none' gives (N,) (or ()).
    """
    name = "multilabel_soft_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _broadcast_target(name, input, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """log(1 + e^(-target·input)) for targets ±1, computed as softplus (no overflow where
    PyTorch's log1p(exp(·)) gives inf). input and target broadcast together."""
    name = "soft_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _broadcast_target(name, input, target)
    return _reduce(fused.softplus(-target * input), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with d the
    :func:`pairwise_distance` (``p``, ``eps``); ``swap`` uses min(d(a, n), d(p, n)) as the
    negative distance. Inputs (N, D) or (D,), all with the same number of dims → (N,) or ()."""
    name = "triplet_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(
            f"{name}: The anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {anchor.dim()}D, positive "
            f"{positive.dim()}D, and negative {negative.dim()}D inputs"
        )
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        swapped = pairwise_distance(positive, negative, p, eps)
        negative_distance = tensorgrad.minimum(negative_distance, swapped)
    return _reduce((margin + positive_distance - negative_distance).clamp(min=0), reduction)
