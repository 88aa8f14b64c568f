"""Sampling indices from weights: ``multinomial``.

The draws come from :mod:`tensorgrad.random`'s generators (the global one, reseeded by
``manual_seed``, or the ``generator=`` given), so they are reproducible but not PyTorch's
numbers for the same seed. They are drawn on the host and copied to the weights' device, so a
seed gives the same samples on every device.
"""

from __future__ import annotations

import numbers

from .._backend import array_module, ndarray
from .._registry import op
from .._tracing import observed
from ..random import Generator, numpy_generator
from ..tensor import Tensor

_MAX_CATEGORIES = 2**24  # PyTorch's limit


def _check(input: Tensor, num_samples: int, replacement: bool) -> None:
    """PyTorch's checks, in PyTorch's order."""
    if not isinstance(num_samples, int) or isinstance(num_samples, bool):
        raise TypeError(
            f"multinomial(): argument 'num_samples' (position 2) must be int, not "
            f"{type(num_samples).__name__}"
        )
    if not isinstance(replacement, bool):
        raise TypeError(
            f"multinomial(): argument 'replacement' must be bool, not {type(replacement).__name__}"
        )
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {input.shape}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype}"
        )
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({num_samples} > {categories})"
        )
    if categories > _MAX_CATEGORIES:
        raise RuntimeError(
            f"multinomial: number of categories cannot exceed 2^24, got {categories}"
        )


@op("multinomial")
@observed
def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Draw category indices with probability proportional to the weights in ``input``.

    Shapes: ``input`` (C,) or (N, C) of non-negative, finite weights (not necessarily
    normalised, floating point) → int64 (num_samples,) or (N, num_samples). Without
    replacement each index appears at most once per row, so ``num_samples <= C``; once a
    row's non-zero-weight categories are used up, the remaining draws are its zero-weight
    categories in random order (as PyTorch returns them). No gradient.

    Uses ``generator``, or the global generator (``tensorgrad.manual_seed``).
    """
    if isinstance(num_samples, numbers.Integral) and not isinstance(num_samples, bool):
        num_samples = int(num_samples)  # NumPy integers too, as PyTorch accepts them
    _check(input, num_samples, replacement)
    xp = array_module(input._data)
    rows, categories = (input.shape[0] if input.ndim == 2 else 1), input.shape[-1]
    weights = input._data.astype("float64").reshape(rows, categories)
    if rows and (not xp.isfinite(weights).all() or (weights < 0).any()):
        raise RuntimeError(
            "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
        )
    if rows and categories == 0:
        raise RuntimeError("multinomial: cannot sample from a distribution of 0 categories")
    cumulative = xp.cumsum(weights, axis=1)
    if categories and (cumulative[:, -1] <= 0).any():
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    rng = numpy_generator(generator)
    if replacement:
        uniform = xp.asarray(rng.random((rows, num_samples)))
        indices = _with_replacement(xp, weights, cumulative, uniform)
    else:
        exponential = xp.asarray(rng.exponential(size=weights.shape))
        indices = _without_replacement(xp, weights, num_samples, exponential)
    indices = xp.asarray(indices, dtype="int64")
    return Tensor(indices if input.ndim == 2 else indices.reshape(num_samples))


def _with_replacement(xp, weights, cumulative, uniform):
    """Inverse-CDF sampling for all rows in one ``searchsorted``: row r's CDF is shifted to
    [r, r + 1], so one sorted array holds them all. A zero weight repeats the CDF value
    before it, so its category is never the first value above a draw."""
    rows, categories = weights.shape
    offsets = xp.arange(rows, dtype="float64")[:, None]
    cdf = cumulative / cumulative[:, -1:] + offsets
    flat = xp.searchsorted(cdf.reshape(-1), (uniform + offsets).reshape(-1), side="right")
    indices = flat.reshape(rows, -1) - xp.arange(rows)[:, None] * categories
    # u + r can round up to r + 1: the row's last category of non-zero weight then.
    last = categories - 1 - xp.argmax(weights[:, ::-1] > 0, axis=1)
    return xp.minimum(indices, last[:, None])


def _without_replacement(xp, weights, num_samples: int, exponential):
    """The exponential race (Gumbel top-k): category c finishes at E_c / w_c with E_c ~
    Exp(1); the first ``num_samples`` to finish are a draw without replacement. Zero-weight
    categories never finish; they come last, in the order of their own E_c."""
    zero = weights == 0
    times = xp.where(zero, exponential, exponential / xp.where(zero, 1.0, weights))
    if type(times) is ndarray:
        order = xp.lexsort((times, zero), axis=-1)  # by zero-weight first, then by time
    else:
        order = _zero_weights_last(xp, times, zero)
    return order[:, :num_samples]


def _zero_weights_last(xp, times, zero):
    """``lexsort((times, zero), axis=-1)`` for array modules whose lexsort has no ``axis``
    (CuPy's): sort each row by time, then move its zero-weight categories behind the others,
    each group keeping its order (a permutation computed with cumsums, so no stable sort is
    needed)."""
    by_time = xp.argsort(times, axis=-1)
    last = xp.take_along_axis(zero, by_time, axis=-1)
    first = ~last
    place = xp.where(last, first.sum(-1, keepdims=True) + xp.cumsum(last, -1), xp.cumsum(first, -1))
    return xp.take_along_axis(by_time, xp.argsort(place, axis=-1), axis=-1)
