"""The helpers ``nn`` and ``optim`` share: a tensor's array and its array module, and resetting
gradients. The one module of ``tensorgrad.nn`` that imports NumPy."""

from __future__ import annotations

from collections.abc import Iterable

import numpy

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.ops import array_module as _module_of_array


def array_of(tensor: Tensor):
    """``tensor``'s array, on whatever device it lives (a NumPy array on the CPU, a CuPy array
    on CUDA), for in-place array maths: what an optimizer updates its state through.

    ``Tensor.numpy()`` is the public spelling on the CPU only; this is the one place ``nn`` and
    ``optim`` read the field behind it.
    """
    return tensor._data


def array_module(tensor: Tensor):
    """The array module whose functions work on ``tensor``'s array: NumPy for a CPU tensor.

    ``nn`` and ``optim`` do their array maths (``xp.sqrt``, ``xp.maximum``, ``xp.zeros``…) with
    the module of the tensors involved, never with an imported NumPy, so a second device is one
    more backend in ``tensorgrad._backend`` (CuPy for ``"cuda"``), not an edit of every
    optimizer and loss.
    """
    data = array_of(tensor)
    return numpy if type(data) is numpy.ndarray else _module_of_array(data)


def zero_grads(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Reset each parameter's ``.grad`` to None, or to zeros in place (detached from any graph).

    What ``Module.zero_grad`` and ``Optimizer.zero_grad`` both do.
    """
    for param in parameters:
        # The field, not the ``.grad`` property: the property and its checked setter cost
        # ~1.2 µs a parameter (2 % of the digits MLP's compiled step), and None needs no
        # check. Both callers are one step of a recording: nothing inside them is recorded.
        grad = param._grad
        if grad is None:
            continue
        if set_to_none:
            param._grad = None
        else:
            grad.detach_()
            data = array_of(grad)
            if type(data) is not numpy.ndarray or data.flags.writeable:
                grad.zero_()
            else:  # e.g. a broadcast view assigned by the user: replace it
                param.grad = tensorgrad.zeros_like(grad)
