"""Random tensors: ``rand``, ``randn``, ``normal``, ``bernoulli``, ``randint``, ``randperm``.

Samples come from the generator passed as ``generator=``, else the default one
(:mod:`tensorgrad.random`), with PyTorch's defaults for dtypes and arguments.
"""

from __future__ import annotations

import numbers

from ._backend import device_of, to_host
from ._creation import _INT64, _check_placement, _finish, _float_dtype, _size_argument, _xp
from ._dtypes import to_numpy_dtype
from ._tracing import observed
from .random import numpy_generator
from .tensor import Tensor

__all__ = ["rand", "randn", "normal", "bernoulli", "randint", "randperm"]


def _float_sample(op: str, size, dtype, device, pin_memory: bool):
    """``rand``/``randn``'s checked arguments: the shape, the dtype asked for, the dtype to
    draw in (NumPy's generator draws float32 and float64 only; others are drawn in float64)
    and the device (None: the CPU). Samples are drawn on the host, so a seed gives the same
    numbers on every device."""
    target = _check_placement(device, pin_memory, op)
    shape = _size_argument(size, op)
    np_dtype = _float_dtype(dtype)
    sample_dtype = np_dtype if np_dtype in (_xp.float32, _xp.float64) else _xp.float64
    return shape, np_dtype, sample_dtype, target


@observed
def rand(
    *size, generator=None, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """Uniform samples in [0, 1)."""
    shape, np_dtype, sample_dtype, target = _float_sample("rand", size, dtype, device, pin_memory)
    array = numpy_generator(generator).random(shape, dtype=sample_dtype).astype(np_dtype)
    return _finish(array, None, requires_grad, target)


@observed
def randn(
    *size, generator=None, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """Standard normal samples (mean 0, variance 1)."""
    shape, np_dtype, sample_dtype, target = _float_sample("randn", size, dtype, device, pin_memory)
    array = numpy_generator(generator).standard_normal(shape, dtype=sample_dtype)
    return _finish(array.astype(np_dtype, copy=False), None, requires_grad, target)


@observed
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Normal samples with the given mean and std (numbers, or tensors that broadcast).

    With two numbers, ``size`` is required, as in PyTorch; ``std`` must be >= 0.
    """
    mean_value = to_host(mean._data) if isinstance(mean, Tensor) else mean
    std_value = to_host(std._data) if isinstance(std, Tensor) else std
    if size is None and not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        raise TypeError(
            f"normal(): with a number mean ({mean!r}) and std ({std!r}), size= is required"
        )
    if isinstance(std, Tensor):
        if not (std_value >= 0).all():  # NaN fails too
            raise RuntimeError("normal: expects all elements of std >= 0.0")
    elif not std_value >= 0:
        raise RuntimeError(f"normal: expects std >= 0.0, but found std {std_value}")
    shape = None if size is None else _size_argument((size,), "normal")
    array = numpy_generator(generator).normal(mean_value, std_value, shape)
    reference = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    np_dtype = (
        reference._data.dtype if reference is not None and dtype is None else (_float_dtype(dtype))
    )
    target = None if reference is None else device_of(reference._data)
    return _finish(_xp.asarray(array).astype(np_dtype), None, False, target)


@observed
def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``) per element, else 0; same shape and dtype.

    Probabilities must lie in [0, 1] (PyTorch's RuntimeError otherwise, NaN included); the
    input must be floating point (PyTorch's NotImplementedError otherwise).
    """
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"bernoulli: not implemented for dtype {input.dtype}")
    if p is not None:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli: expects p to be in [0, 1], but got p={p}")
    elif not ((input._data >= 0) & (input._data <= 1)).all():
        raise RuntimeError(
            "bernoulli: expected every probability in input to be in [0, 1] (p_in >= 0 && "
            "p_in <= 1), but some are not"
        )
    probability = to_host(input._data) if p is None else p
    draws = numpy_generator(generator).random(input.shape) < probability
    return _finish(draws.astype(input._data.dtype), None, False, device_of(input._data))


@observed
def randint(
    *args,
    low=None,
    high=None,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
):
    """Integers uniform in [low, high) (int64 by default), PyTorch's two forms:
    ``randint(high, size)`` and ``randint(low, high, size)``, positionally or by keyword
    (``randint(low=1, high=5, size=(2,))``); ``size`` is a tuple or list."""
    target = _check_placement(device, pin_memory, "randint")
    keywords = {"low": low, "high": high, "size": size}
    given = len(args) + sum(value is not None for value in keywords.values())
    if given not in (2, 3) or (given == 2 and low is not None):
        named = ", ".join(k for k, v in keywords.items() if v is not None) or "no"
        raise TypeError(
            "randint() expects (high, size) or (low, high, size), positionally or by keyword; "
            f"got {len(args)} positional arguments and {named} keyword arguments"
        )
    slots = ("low", "high", "size") if given == 3 else ("high", "size")
    for name, value in zip(slots, args):
        if keywords[name] is not None:
            raise TypeError(f"randint() got multiple values for argument '{name}'")
        keywords[name] = value
    low, high, size = keywords["low"] or 0, keywords["high"], keywords["size"]
    for name, value in (("low", low), ("high", high)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"randint(): argument '{name}' must be int, not {type(value).__name__}")
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}"
        )
    if high <= low:
        raise RuntimeError(
            f"randint: expects 'low' to be less than 'high', but got low={low} >= high={high}"
        )
    shape = _size_argument((size,), "randint")
    np_dtype = _INT64 if dtype is None else to_numpy_dtype(dtype)
    if np_dtype.kind in "iu":
        limits = _xp.iinfo(np_dtype)
        if low < limits.min or high - 1 > limits.max:
            raise RuntimeError(
                f"randint: [{low}, {high}) is out of bounds for dtype {np_dtype} "
                f"([{limits.min}, {limits.max}])"
            )
    array = numpy_generator(generator).integers(low, high, shape).astype(np_dtype)
    return _finish(array, None, requires_grad, target)


@observed
def randperm(n: int, generator=None, dtype=None, device=None, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 … n-1 (int64)."""
    target = _check_placement(device, pin_memory, "randperm")
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"randperm: trying to create a tensor with negative dimension {n}")
    np_dtype = _INT64 if dtype is None else to_numpy_dtype(dtype)
    array = numpy_generator(generator).permutation(n).astype(np_dtype)
    return _finish(array, None, False, target)
