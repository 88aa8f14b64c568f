"""``Bernoulli(probs=|logits=)``: a coin flip, 1 with probability ``probs``."""

from __future__ import annotations

import math
import numbers

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    """Values 0 and 1 (floats, the parameter's dtype), 1 with probability ``probs``.

    Give exactly one of ``probs`` (in [0, 1]) or ``logits`` (log-odds); the other is derived
    when first asked for. ``log_prob`` and ``entropy`` are computed from the logits, stably
    (a binary cross-entropy with logits), and are differentiable in the parameter.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        (parameter,) = broadcast_all(given)
        if probs is not None:
            self.probs = parameter
        else:
            self.logits = parameter
        self._param = parameter
        scalar = isinstance(given, numbers.Number)
        super().__init__(() if scalar else parameter.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Bernoulli:
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self) -> Tensor:
        """log(p) - log(1 - p), with p clamped to [eps, 1 - eps]."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """sigmoid(logits)."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where p > ½, 0 where p < ½, NaN at ½."""
        probs = self.probs.detach()
        return tensorgrad.where(probs == 0.5, math.nan, (probs >= 0.5).type_as(probs))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with tensorgrad.no_grad():
            return tensorgrad.bernoulli(self.probs.expand(shape))

    def log_prob(self, value) -> Tensor:
        """-BCE-with-logits(logits, value)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """[0., 1.] along a new leading dim, expanded over ``batch_shape`` if ``expand``."""
        values = tensorgrad.arange(2, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
