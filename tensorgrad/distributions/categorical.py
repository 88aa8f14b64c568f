"""``Categorical(probs=|logits=)``: one of K categories."""

from __future__ import annotations

import math
import operator

import tensorgrad
from tensorgrad import Tensor

from . import constraints
from .distribution import Distribution
from .utils import finfo, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Category indices 0 … K-1 (int64), drawn with probabilities ``probs`` (..., K).

    Give exactly one of ``probs`` (non-negative weights, normalised over the last dim) or
    ``logits`` (unnormalised log-probabilities, normalised with logsumexp); the leading dims
    are ``batch_shape``. ``log_prob`` picks the normalised log-probability of each value and
    is differentiable in the parameter: the policy-gradient pattern

        m = Categorical(policy(state)); action = m.sample(); loss = -m.log_prob(action) * R
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tuple(batch_shape)
        parameter_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(parameter_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(parameter_shape)
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        """Normalised log-probabilities (log of the probabilities clamped to eps)."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        """softmax(logits)."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        """NaN: categories have no order."""
        return tensorgrad.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        """NaN, like the mean."""
        return tensorgrad.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape=()) -> Tensor:
        """int64 indices of shape ``sample_shape + batch_shape``."""
        sample_shape = tuple(sample_shape)
        count = 1
        for side in sample_shape:
            count *= operator.index(side)
        with tensorgrad.no_grad():
            rows = self.probs.reshape(-1, self._num_events)
            drawn = tensorgrad.multinomial(rows, count, True).T
        return drawn.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value) -> Tensor:
        """The normalised log-probability of each index in ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        index = value.long().unsqueeze(-1)
        index, log_pmf = tensorgrad.broadcast_tensors(index, self.logits)
        return log_pmf.gather(-1, index[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        """-Σ p log p (a zero probability contributes 0)."""
        lowest = float(finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=lowest)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 … K-1 along a new leading dim, expanded over ``batch_shape`` if ``expand``."""
        values = tensorgrad.arange(self._num_events, dtype=tensorgrad.int64)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
