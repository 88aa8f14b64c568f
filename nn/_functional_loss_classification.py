"""Classification losses of ``tensorgrad.nn.functional``: inputs are logits, probabilities or
log-probabilities, targets are labels, class indices or class distributions.

``binary_cross_entropy`` (probabilities) and ``binary_cross_entropy_with_logits``;
``cross_entropy`` (logits) and ``nll_loss`` (log-probabilities), which share the class-index
target checks, the class-weight matrix and the flattening of (N, C, d1, …) inputs; and
``kl_div`` (log-probabilities against a target distribution). They are split from the
regression losses because they share those class-target helpers and nothing else. Weighted
means follow PyTorch: ``nll_loss``/``cross_entropy`` with class indices divide by the summed
weight of the non-ignored targets. Each takes ``reduction='mean' | 'sum' | 'none'`` (and
``kl_div`` also ``'batchmean'``) and PyTorch's legacy ``size_average``/``reduce`` flags.
"""

from __future__ import annotations

import warnings

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn._functional_loss_common import (
    _as_tensor,
    _broadcast_shape,
    _reduce,
    _reduction,
)
from tensorgrad.ops import fused
from tensorgrad.ops.class_targets import class_target_weights

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "kl_div",
]


def _check_binary(name: str, input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{name}: target size {tuple(target.shape)} must be the same as input size "
            f"{tuple(input.shape)}"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: input must be a floating-point tensor, got {input.dtype}")


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """-w·(y·log x + (1-y)·log(1-x)) for probabilities x in [0, 1]; each log is clamped at
    -100 as in PyTorch, so x = 0 or 1 gives a finite loss."""
    reduction = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    target = _as_tensor(target, input)
    _check_binary("binary_cross_entropy", input, target)  # the values: in the op
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"binary_cross_entropy: target dtype {target.dtype} must match input dtype "
            f"{input.dtype}"
        )
    loss = fused.binary_cross_entropy(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """Binary cross-entropy of sigmoid(input), computed stably from the logits:
    (1-y)·x + (1 + (pos_weight-1)·y)·softplus(-x), times ``weight``.

    ``pos_weight`` (broadcast along the last dim, e.g. one value per class) scales the
    positive term.
    """
    reduction = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    target = _as_tensor(target, input)
    _check_binary("binary_cross_entropy_with_logits", input, target)
    log_sigmoid_negative = fused.softplus(-input)  # -log(sigmoid(x)) = softplus(-x)
    if pos_weight is not None:
        log_sigmoid_negative = (1 + (pos_weight - 1) * target) * log_sigmoid_negative
    loss = (1 - target) * input + log_sigmoid_negative
    return _reduce(loss if weight is None else loss * weight, reduction)


def _flatten_classes(input: Tensor) -> Tensor:
    """(C,) → (1, C); (N, C) as is; (N, C, d1, …) → (N·d1·…, C)."""
    if input.dim() == 1:
        return input.reshape(1, -1)
    if input.dim() == 2:
        return input
    return input.movedim(1, -1).reshape(-1, input.shape[1])


def _check_class_weight(name: str, input: Tensor, weight: Tensor | None) -> None:
    classes = input.shape[0] if input.dim() == 1 else input.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)} (input of shape "
            f"{tuple(input.shape)})"
        )


def _check_index_target(name, input, target, weight) -> None:
    """Class-index targets: an integer tensor of the input's shape without the class dim."""
    expected = () if input.dim() == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if target.is_floating_point() or target.dtype == tensorgrad.bool:
        raise RuntimeError(
            f"{name}: expected target dtype to be an integer type (class indices) or target "
            f"of the input's shape {tuple(input.shape)} (probabilities), got {target.dtype} "
            f"target of shape {tuple(target.shape)}"
        )
    if tuple(target.shape) != expected:
        error = (
            ValueError
            if target.dim() and expected and target.shape[0] != expected[0]
            else (RuntimeError)
        )
        raise error(
            f"{name}: expected target of shape {expected} for input of shape "
            f"{tuple(input.shape)}, got target of shape {tuple(target.shape)}"
        )
    if weight is not None and weight.requires_grad and tensorgrad.is_grad_enabled():
        raise RuntimeError(  # PyTorch's rule: class weights are constants here
            f"{name}: not differentiable with respect to argument 'weight'; this input cannot "
            f"have requires_grad=True (pass weight.detach())"
        )


def _index_weights(name, input, target, weight, ignore_index, label_smoothing):
    """The (M, C) class-weight matrix q of class-index targets, and its mean's denominator
    (a 0-d tensor): row i is (1-ε)·w[t_i]·onehot(t_i) + (ε/C)·w, or zeros where t_i ==
    ignore_index. Computed by an op, so that compiled steps see each batch's targets."""
    _check_index_target(name, input, target, weight)
    classes = input.shape[0] if input.dim() == 1 else input.shape[1]
    return class_target_weights(
        target, classes, input.dtype, weight, ignore_index, label_smoothing, name, input.shape
    )


def _finish(losses_or_total: Tensor, reduction: str, input: Tensor) -> Tensor:
    if reduction != "none":
        return losses_or_total
    shape = () if input.dim() == 1 else (input.shape[0],) + tuple(input.shape[2:])
    return losses_or_total.reshape(shape)


def _scale(reduction: str, denominator) -> float | None:
    if reduction == "none":
        return None
    if reduction == "sum":
        return 1.0
    return 1.0 / float(denominator) if denominator else 0.0


def _nan_if_nothing_counted(total: Tensor, reduction: str, denominator) -> Tensor:
    """A mean over no (non-ignored) target is 0/0: NaN, with a zero gradient, as in PyTorch."""
    if reduction == "mean" and not denominator:
        return total + float("nan")
    return total


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Cross-entropy between the softmax of the logits ``input`` and ``target``.

    input: (C,), (N, C) or (N, C, d1, …). target: class indices of shape (), (N,) or
    (N, d1, …) (``ignore_index`` skipped), or class probabilities of the input's shape.
    ``weight`` (C,) rescales each class; ``label_smoothing`` mixes the target with the
    uniform distribution. Computed by one fused node whose gradient is softmax - target.
    """
    name = "cross_entropy"
    reduction = _reduction(name, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}"
        )
    if not input.is_floating_point() or input.dim() == 0:
        raise RuntimeError(
            f"{name}: input must be floating-point logits with a class dim, got "
            f"{input.dtype} of shape {tuple(input.shape)}"
        )
    _check_class_weight(name, input, weight)
    logits = _flatten_classes(input)
    if tuple(target.shape) == tuple(input.shape) and target.is_floating_point():
        classes = logits.shape[1]
        q = (
            target
            if label_smoothing == 0
            else target * (1 - label_smoothing) + (label_smoothing / classes)
        )
        if weight is not None:
            q = q * weight.reshape((-1,) + (1,) * (input.dim() - 2))
        scale = _scale(reduction, logits.shape[0])
        total = fused.softmax_cross_entropy(logits, _flatten_classes(q), scale)
        total = _nan_if_nothing_counted(total, reduction, logits.shape[0])  # an empty batch
    elif weight is None and label_smoothing == 0:  # the usual classifier: no one-hot matrix
        _check_index_target(name, input, target, weight)
        total = fused.class_index_cross_entropy(
            logits, target, reduction, ignore_index, name, tuple(input.shape)
        )
    else:
        q, count = _index_weights(name, input, target, weight, ignore_index, label_smoothing)
        if reduction == "mean":
            total = fused.softmax_cross_entropy(logits, q, count=count)
        else:
            total = fused.softmax_cross_entropy(logits, q, _scale(reduction, 1))
    return _finish(total, reduction, input)


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    """Negative log-likelihood: -weight[t]·input[t] per sample, for log-probabilities
    ``input`` (C,), (N, C) or (N, C, d1, …) and class indices ``target``."""
    name = "nll_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if not input.is_floating_point() or input.dim() == 0:
        raise RuntimeError(
            f"{name}: input must be floating-point log-probabilities with a "
            f"class dim, got {input.dtype} of shape {tuple(input.shape)}"
        )
    _check_class_weight(name, input, weight)
    weights, count = _index_weights(name, input, target, weight, ignore_index, 0.0)
    # Classes with zero weight contribute 0 even where the log-probability is -inf.
    losses = -tensorgrad.where(weights != 0, _flatten_classes(input) * weights, 0.0).sum(1)
    if reduction == "none":
        return _finish(losses, reduction, input)
    if reduction == "sum":
        return losses.sum()
    # A mean over no counted target is 0/0: NaN, with a zero gradient, as in PyTorch.
    return tensorgrad.where(count != 0, losses.sum() / count, float("nan"))


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target=False
) -> Tensor:
    """Kullback-Leibler divergence, pointwise: target·(log target - input), where ``input``
    holds log-probabilities and ``target`` probabilities (log-probabilities if
    ``log_target``: then e^target·(target - input)). A target of 0 contributes 0.

    input and target broadcast together. ``reduction='batchmean'`` divides the sum by the
    batch size input.shape[0] (the KL divergence of distributions along the other dims);
    ``'mean'`` divides by the number of elements and warns, as PyTorch does.
    """
    name = "kl_div"
    if size_average is not None or reduce is not None:
        reduction = _reduction(name, "mean", size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    elif reduction != "batchmean":
        reduction = _reduction(name, reduction)
    target = _as_tensor(target, input)
    if not input.is_floating_point() or not target.is_floating_point():
        raise RuntimeError(
            f"kl_div: Integral inputs not supported (input {input.dtype}, target {target.dtype})"
        )
    _broadcast_shape(name, input=input, target=target)
    if log_target:
        loss = target.exp() * (target - input)
    else:  # xlogy(target, target): 0 at a target of 0, where its gradient is 0, not NaN
        loss = target * tensorgrad.where(target == 0, 1.0, target).log() - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return _reduce(loss, reduction)
