"""Helpers the distributions share (PyTorch's ``torch.distributions.utils``): parameters
broadcast together, probabilities and logits converted into each other, lazy properties."""

from __future__ import annotations

import numbers
from functools import update_wrapper

import numpy

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
    "finfo",
]


def finfo(dtype):
    """NumPy's ``finfo`` (eps, min, max…) of a tensorgrad float dtype."""
    return numpy.finfo(dtype.numpy_dtype)


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """The values as Tensors broadcast to one shape; Python numbers take the dtype of the
    first Tensor among them, or the default dtype.

    Raises:
        ValueError: for an argument that is neither a number nor a Tensor.
        RuntimeError: for shapes that do not broadcast.
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of numbers.Number or tensorgrad.Tensor, got "
            + ", ".join(type(v).__name__ for v in values)
        )
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = tensorgrad.get_default_dtype() if like is None else like.dtype
    tensors = [v if isinstance(v, Tensor) else tensorgrad.tensor(v, dtype=dtype) for v in values]
    return tuple(tensorgrad.broadcast_tensors(*tensors))


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped to [eps, 1 - eps] of its dtype, so that their logs are finite."""
    eps = float(finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-probabilities (log-odds with ``is_binary``) of clamped probabilities."""
    clamped = clamp_probs(probs)
    if is_binary:
        return tensorgrad.log(clamped) - tensorgrad.log1p(-clamped)
    return tensorgrad.log(clamped)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities: the sigmoid of log-odds (``is_binary``), else the softmax over the last
    dim."""
    if is_binary:
        return tensorgrad.sigmoid(logits)
    return F.softmax(logits, dim=-1)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed on first access (with grad enabled) and then cached on the
    instance: ``Categorical(probs=…).logits`` is derived once, when asked for."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with tensorgrad.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
