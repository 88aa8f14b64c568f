"""Gradient clipping and flattening parameters to one vector (``tensorgrad.nn.utils``), and the
helpers ``nn`` and ``optim`` share: resetting gradients, and the array module of a tensor."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy

import tensorgrad
from tensorgrad import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def array_module(tensor: Tensor):
    """The array module whose functions work on ``tensor``'s array: NumPy for a CPU tensor.

    ``nn`` and ``optim`` do their array maths (``xp.sqrt``, ``xp.maximum``, ``xp.zeros``…) with
    the module of the tensors involved, never with an imported NumPy, so a second device is one
    more branch here (CuPy for ``"cuda"``), not an edit of every optimizer and loss.
    """
    if tensor.device.type == "cpu":
        return numpy
    raise RuntimeError(
        f"array_module: tensorgrad.nn and tensorgrad.optim have no array module for device "
        f"{tensor.device} (tensor of shape {tuple(tensor.shape)})"
    )


def zero_grads(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Reset each parameter's ``.grad`` to None, or to zeros in place (detached from any graph).

    What ``Module.zero_grad`` and ``Optimizer.zero_grad`` both do.
    """
    for param in parameters:
        grad = param.grad
        if grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            grad.detach_()
            if grad.numpy().flags.writeable:
                grad.zero_()
            else:  # e.g. a broadcast view assigned by the user: replace it
                param.grad = tensorgrad.zeros_like(grad)


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together, in place, so that their joint norm is at most
    ``max_norm``; returns the joint norm before clipping (a 0-d tensor).

    The scale is ``max_norm / (norm + 1e-6)``, applied only when it is below 1 (PyTorch's).
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
        scale = min(max_norm / (total.item() + 1e-6), 1.0)
        if scale < 1.0:
            for grad in grads:
                grad.mul_(scale)
    return total


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None
) -> None:
    """Clamp every gradient, in place, to [-clip_value, clip_value]."""
    with tensorgrad.no_grad():
        for param in _as_list(parameters):
            if param.grad is not None:
                param.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return tensorgrad.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-D vector of {total} elements, "
            f"got shape {tuple(vec.shape)}"
        )
    offset = 0
    with tensorgrad.no_grad():
        for param in params:
            count = param.numel()
            param.copy_(vec[offset : offset + count].reshape(param.shape))
            offset += count
