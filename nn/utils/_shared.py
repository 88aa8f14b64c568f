"""The helpers ``nn`` and ``optim`` share: the array module of a tensor, and resetting
gradients. The one module of ``tensorgrad.nn`` that imports NumPy."""

from __future__ import annotations

from collections.abc import Iterable

import numpy

import tensorgrad
from tensorgrad import Tensor


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
