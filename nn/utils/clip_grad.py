"""Gradient clipping (``tensorgrad.nn.utils.clip_grad``): by joint norm or by value, in place."""

from __future__ import annotations

import math
from collections.abc import Iterable

import tensorgrad
from tensorgrad import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


@tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together, in place, so that their joint norm is at most
    ``max_norm``; returns the joint norm before clipping (a 0-d tensor).

    The scale is ``max_norm / (norm + 1e-6)`` clamped to at most 1, computed as a 0-d tensor
    in the gradients' dtype and on their device, as PyTorch does: no value is read back to the
    host (on a GPU, no synchronisation) unless ``error_if_nonfinite`` asks for the check.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return tensorgrad.tensor(0.0)
    with tensorgrad.no_grad():
        norms = tensorgrad.stack([g.norm(p=norm_type) for g in grads])
        total = norms.amax() if math.isinf(norm_type) else norms.norm(p=norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} for gradients is "
                f"non-finite, so it cannot be clipped; pass error_if_nonfinite=False to skip "
                f"this check"
            )
        scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for grad in grads:
            grad.mul_(scale)
    return total


@tensorgrad.compiler.allow_in_graph
def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None
) -> None:
    """Clamp every gradient, in place, to [-clip_value, clip_value]."""
    with tensorgrad.no_grad():
        for param in _as_list(parameters):
            if param.grad is not None:
                param.grad.clamp_(-clip_value, clip_value)
