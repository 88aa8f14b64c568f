"""``Distribution``: the base class of probability distributions (PyTorch's protocol).

Shapes: ``sample(sample_shape)`` has shape ``sample_shape + batch_shape + event_shape``;
``log_prob(value)`` reduces the event dims and broadcasts the rest. Parameters are validated
against ``arg_constraints`` and ``log_prob``'s value against ``support`` when
``validate_args`` is on (the default, as in PyTorch outside ``python -O``): a violation is a
ValueError naming the parameter, the distribution and the constraint.
"""

from __future__ import annotations

import warnings

import tensorgrad
from tensorgrad import Tensor

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


def _show(value: Tensor):
    """A value as PyTorch's messages print it: a 0-d tensor as its number."""
    return value.item() if value.ndim == 0 else value


class Distribution:
    """Base class: subclasses define ``arg_constraints``, ``support``, ``log_prob``,
    ``sample`` or ``rsample``, ``mean``, ``variance``, ``entropy`` as they can."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn validation on or off for distributions made from now on (default: on)."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected a bool, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:  # a subclass that declares none: nothing to check
            arg_constraints = {}
        for name, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if name not in self.__dict__ and isinstance(getattr(type(self), name), lazy_property):
                continue  # derived lazily from a parameter that was checked
            value = getattr(self, name)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{_show(value)}"
                )

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> tuple:
        """The shape over which parameters are batched (independent distributions)."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of one sample of one distribution (() for scalar distributions)."""
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape, _instance=None):
        """A distribution with its parameters expanded (not copied) to ``batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                f"__init__ method must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    # ------------------------------------------------------------------ what subclasses say
    @property
    def arg_constraints(self) -> dict:
        """``{parameter name: constraint}`` for the parameters validated at construction."""
        raise NotImplementedError

    @property
    def support(self):
        """The constraint that ``log_prob``'s value must satisfy."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        """The mean, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        """The mode, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """The variance, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """The standard deviation: the square root of the variance."""
        return self.variance.sqrt()

    # ------------------------------------------------------------------ sampling and densities
    def sample(self, sample_shape=()) -> Tensor:
        """A sample (or a batch of them) of shape ``sample_shape + batch_shape +
        event_shape``, outside the graph; drawn from tensorgrad's generator
        (``tensorgrad.manual_seed``)."""
        with tensorgrad.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised sample: differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (has_rsample False)")

    def sample_n(self, n: int) -> Tensor:
        """``sample((n,))`` (deprecated in PyTorch)."""
        warnings.warn(
            "sample_n will be deprecated. Use .sample((n,)) instead", UserWarning, stacklevel=2
        )
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density (or mass) at ``value``, of shape broadcast(value's shape
        without the event dims, ``batch_shape``)."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse of the cumulative distribution function at ``value``."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution's support, along a new leading dim."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """The entropy, of shape ``batch_shape``."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return tensorgrad.exp(self.entropy())

    def _validate_sample(self, value) -> None:
        """PyTorch's checks of a value given to ``log_prob``: a Tensor, whose shape ends in
        ``event_shape`` and broadcasts with ``batch_shape``, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.ndim - len(self._event_shape)
        if tuple(value.shape[start:]) != self._event_shape:
            raise ValueError(
                f"The right-most size of value must match event_shape: {tuple(value.shape)} vs "
                f"{self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for actual_side, expected_side in zip(reversed(value.shape), reversed(expected)):
            if actual_side != 1 and expected_side != 1 and actual_side != expected_side:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: "
                    f"{tuple(value.shape)} vs {expected}."
                )
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{_show(value)}"
            )

    def __repr__(self) -> str:
        shown = []
        for name in self.arg_constraints:
            if name in self.__dict__:
                value = self.__dict__[name]
                text = value.item() if value.numel() == 1 else tuple(value.shape)
                shown.append(f"{name}: {text}")
        return f"{type(self).__name__}({', '.join(shown)})"
