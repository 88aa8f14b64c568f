"""``kl_divergence(p, q)``: KL(p ‖ q) in closed form, for the pairs registered with
``register_kl`` (Normal, Uniform, Bernoulli and Categorical, each with its own kind)."""

from __future__ import annotations

import math

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F

from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal
from .uniform import Uniform

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...`` adds a closed form; the
    most specific registered pair (by the classes' method resolution order) is used."""
    for kind in (type_p, type_q):
        if not (isinstance(kind, type) and issubclass(kind, Distribution)):
            raise TypeError(f"Expected a subclass of Distribution, but got {kind!r}")

    def decorator(function):
        _KL_REGISTRY[type_p, type_q] = function
        return function

    return decorator


def _lookup(type_p: type, type_q: type):
    for p_base in type_p.__mro__:
        for q_base in type_q.__mro__:
            if (p_base, q_base) in _KL_REGISTRY:
                return _KL_REGISTRY[p_base, q_base]
    return None


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p ‖ q) = E_p[log p(x) - log q(x)], of the batch shape of p and q broadcast.

    Raises:
        NotImplementedError: for a pair of types with no closed form registered.
    """
    function = _lookup(type(p), type(q))
    if function is None:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
            f"{type(q).__name__}"
        )
    return function(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    variance_ratio = (p.scale / q.scale).pow(2)
    shift = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (variance_ratio + shift - 1 - variance_ratio.log())


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)  # p puts mass where q has none
    return tensorgrad.where(outside, math.inf, result)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    ones = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    ones = tensorgrad.where(q.probs == 0, math.inf, ones)
    ones = tensorgrad.where(p.probs == 0, 0.0, ones)
    zeros = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    zeros = tensorgrad.where(q.probs == 1, math.inf, zeros)
    zeros = tensorgrad.where(p.probs == 1, 0.0, zeros)
    return ones + zeros


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    terms = p.probs * (p.logits - q.logits)
    terms = tensorgrad.where(q.probs == 0, math.inf, terms)
    terms = tensorgrad.where(p.probs == 0, 0.0, terms)
    return terms.sum(-1)
