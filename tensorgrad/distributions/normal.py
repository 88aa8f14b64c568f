"""``Normal(loc, scale)``: the Gaussian distribution."""

from __future__ import annotations

import math
import numbers

import tensorgrad
from tensorgrad import Tensor

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Normal"]


class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale`` (> 0).

    ``loc`` and ``scale`` (numbers or Tensors) broadcast together to ``batch_shape``; two
    numbers give a scalar distribution of the default dtype. ``rsample`` is ``loc + ε·scale``
    with ε ~ N(0, 1) from tensorgrad's generator, so it is differentiable in both.

    Example::

        >>> m = Normal(tensorgrad.tensor([0.0]), tensorgrad.tensor([1.0]))
        >>> m.log_prob(tensorgrad.tensor([0.0]))   # -0.9189 = -log √(2π)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        scalar = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(() if scalar else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Normal:
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = tuple(batch_shape)
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        noise = tensorgrad.randn(shape, dtype=self.loc.dtype)
        return self.loc + noise * self.scale

    def log_prob(self, value) -> Tensor:
        """-(x - μ)² / 2σ² - log σ - log √(2π)."""
        if self._validate_args:
            self._validate_sample(value)
        variance = self.scale**2
        return (
            -((value - self.loc) ** 2) / (2 * variance)
            - self.scale.log()
            - math.log(math.sqrt(2 * math.pi))
        )

    def cdf(self, value) -> Tensor:
        """½ (1 + erf((x - μ) / (σ √2)))."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (
            1 + tensorgrad.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2))
        )

    def icdf(self, value) -> Tensor:
        """μ + σ √2 erfinv(2p - 1)."""
        return self.loc + self.scale * tensorgrad.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        """½ + ½ log 2π + log σ."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + tensorgrad.log(self.scale)
