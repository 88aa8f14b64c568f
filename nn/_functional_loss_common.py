"""What every loss of ``tensorgrad.nn.functional`` shares: reductions and argument checks.

``reduction='mean' | 'sum' | 'none'`` (with PyTorch's deprecated ``size_average``/``reduce``
flags translated and warned about), the reduction itself, numbers turned into tensors of the
input's dtype, and the broadcast check that names the loss and every shape. The losses are
split by job: classification and distribution losses in ``_functional_loss_classification.py``,
regression and likelihood losses in ``_functional_loss_regression.py``, margin and embedding
losses in ``_functional_distance.py``; the ``nn.loss`` modules validate ``reduction`` with
``_reduction`` too. The helpers live here, below all of them, so that the loss modules never
import each other.
"""

from __future__ import annotations

import warnings

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn.utils import array_module

__all__: list[str] = []

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(name: str, reduction: str, size_average=None, reduce=None) -> str:
    """The reduction, translating PyTorch's deprecated ``size_average``/``reduce`` flags."""
    if size_average is not None or reduce is not None:
        warnings.warn(
            f"{name}: size_average and reduce are deprecated, use reduction= instead",
            stacklevel=3,
        )
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: {reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str, weight: Tensor | None = None) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if weight is not None else loss.mean()


def _as_tensor(value, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return tensorgrad.tensor(value, dtype=like.dtype, device=like.device)


def _broadcast_shape(name: str, **tensors: Tensor) -> tuple:
    """The shape the named tensors broadcast to; PyTorch's RuntimeError, naming the loss and
    every shape, when they do not."""
    shapes = [tuple(t.shape) for t in tensors.values()]
    try:
        return tuple(array_module(next(iter(tensors.values()))).broadcast_shapes(*shapes))
    except ValueError:
        described = ", ".join(f"{key} of shape {shape}" for key, shape in zip(tensors, shapes))
        raise RuntimeError(f"{name}: the shapes do not broadcast: {described}") from None


def _broadcast_target(name: str, input: Tensor, target) -> Tensor:
    """``target`` as a tensor (a number takes the input's dtype), checked to broadcast with
    ``input``."""
    target = _as_tensor(target, input)
    _broadcast_shape(name, input=input, target=target)
    return target
