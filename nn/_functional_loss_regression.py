"""Regression losses of ``tensorgrad.nn.functional``: real-valued (or count) targets
compared with the input elementwise.

``mse_loss``, ``l1_loss``, ``smooth_l1_loss`` and ``huber_loss``, which share the
shape/dtype check (PyTorch warns and broadcasts when the target's shape differs), and the
likelihood losses ``poisson_nll_loss`` and ``gaussian_nll_loss``. They are split from the
classification losses because they need none of the class-target machinery. Weighted means
follow PyTorch: ``mse_loss`` and ``l1_loss`` with an elementwise ``weight`` divide by
``weight.sum()``, while ``huber_loss`` takes the plain mean of the weighted losses. Each takes
``reduction='mean' | 'sum' | 'none'`` and, where PyTorch does, its legacy ``size_average``
and ``reduce`` flags.
"""

from __future__ import annotations

import math
import warnings

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn._functional_loss_common import (
    _REDUCTIONS,
    _as_tensor,
    _broadcast_shape,
    _broadcast_target,
    _reduce,
    _reduction,
)
from tensorgrad.nn.utils import array_module

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
]


def _check_regression(name: str, input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    """PyTorch warns (and broadcasts) when the shapes differ; shapes that do not broadcast
    are an error naming the loss."""
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: input must be a floating-point tensor, got {input.dtype}")
    if tuple(target.shape) != tuple(input.shape):
        try:
            array_module(input).broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except ValueError:
            raise RuntimeError(
                f"{name}: target of shape {tuple(target.shape)} does not broadcast with input "
                f"of shape {tuple(input.shape)}"
            ) from None
        warnings.warn(
            f"{name}: using a target size {tuple(target.shape)} that is different to the "
            f"input size {tuple(input.shape)}; this will likely lead to incorrect results "
            f"due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{name}: weight of shape {tuple(weight.shape)} and input of shape "
            f"{tuple(input.shape)} must have the same size"
        )


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (input - target)², reduced."""
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    target = _as_tensor(target, input)
    _check_regression("mse_loss", input, target, weight)
    difference = input - target
    loss = difference * difference
    return _reduce(loss if weight is None else loss * weight, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |input - target|, reduced."""
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    target = _as_tensor(target, input)
    _check_regression("l1_loss", input, target, weight)
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * weight, reduction, weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5·d²/beta where d = |input - target| < beta, else d - 0.5·beta (beta=0: L1)."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target = _as_tensor(target, input)
    _check_regression("smooth_l1_loss", input, target, None)
    distance = (input - target).abs()
    if beta == 0:
        return _reduce(distance, reduction)
    loss = tensorgrad.where(
        distance < beta, (0.5 / beta) * distance * distance, distance - 0.5 * beta
    )
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5·d² where d = |input - target| < delta, else delta·(d - 0.5·delta)."""
    reduction = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    target = _as_tensor(target, input)
    _check_regression("huber_loss", input, target, weight)
    distance = (input - target).abs()
    loss = tensorgrad.where(
        distance < delta, 0.5 * distance * distance, delta * (distance - 0.5 * delta)
    )
    # PyTorch's weighted huber mean is the plain mean of the weighted losses (unlike MSE/L1).
    return _reduce(loss if weight is None else loss * weight, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` counts under Poisson(rate).

    With ``log_input`` the input is log(rate) and the loss e^input - target·input; otherwise
    it is the rate and the loss input - target·log(input + eps). ``full`` adds Stirling's
    approximation of log(target!), target·log target - target + ½·log(2π·target), where
    target > 1. input and target broadcast together.
    """
    name = "poisson_nll_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _broadcast_target(name, input, target)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + tensorgrad.where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean") -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var):
    ½·(log max(var, eps) + (input - target)² / max(var, eps)) (+ ½·log 2π if ``full``).

    input: (N, *) or (*); target broadcasts with it; var: a number, the input's shape, the
    input's shape without its last dim, or the input's shape with one dim of size 1 (one
    variance shared along it). Negative variances raise ValueError. As in PyTorch, var is
    clamped at ``eps`` for the value only: its gradient passes through the clamp.
    """
    name = "gaussian_nll_loss"
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{name}: var has negative entry/entries (var={var})")
        var = tensorgrad.full_like(input, var)
    elif (var < 0).any():
        raise ValueError(f"{name}: var has negative entry/entries")
    input_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != input_shape:
        if input_shape[:-1] == var_shape:  # one variance per sample: shared by the last dim
            var = var.unsqueeze(-1)
        elif not (
            input.dim() == var.dim()
            and sum(v for i, v in zip(input_shape, var_shape) if i != v) == 1
        ):
            raise ValueError(
                f"{name}: var is of incorrect size: var of shape {var_shape} for input of "
                f"shape {input_shape} (expected the input's shape, that shape without its "
                f"last dim, or with one dim of size 1)"
            )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: {reduction} is not valid")
    _broadcast_shape(name, input=input, target=target, var=var)
    var = var.clone()
    with tensorgrad.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
