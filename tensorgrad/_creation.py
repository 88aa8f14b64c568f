"""Making tensors: from data, filled, ranges, identity and random, with PyTorch's defaults.

Python floats become the default float type (float32), Python ints int64, bools bool; a
NumPy array keeps its dtype.
"""

from __future__ import annotations

import math
import numbers

from . import _backend
from ._dtypes import default_float_numpy, promote_numpy, to_numpy_dtype
from ._registry import tensor_method
from .random import numpy_generator
from .tensor import Tensor

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
]

_xp = _backend.default_module
_INT64 = _xp.dtype("int64")


def _finish(array, dtype, requires_grad: bool) -> Tensor:
    if dtype is not None:
        array = array.astype(to_numpy_dtype(dtype), copy=False)
    elif array.dtype.kind == "O" or array.dtype not in _SUPPORTED:
        raise TypeError(f"cannot make a tensor from data of NumPy dtype {array.dtype}")
    return Tensor(array).requires_grad_(requires_grad) if requires_grad else Tensor(array)


_SUPPORTED = {
    _xp.dtype(name)
    for name in (
        "float16",
        "float32",
        "float64",
        "uint8",
        "int8",
        "int16",
        "int32",
        "int64",
        "bool",
    )
}


def _leaf_dtype(value):
    """The dtype one element of nested data asks for: Python numbers are "weak" (bool, int64,
    the default float), NumPy scalars keep their own dtype; None for anything else."""
    if isinstance(value, _xp.generic):
        return value.dtype
    if isinstance(value, bool):
        return _xp.dtype(bool)
    if isinstance(value, int):
        return _INT64
    if isinstance(value, float):
        return default_float_numpy()
    return None


def _inferred_dtype(data):
    """PyTorch's dtype for (nested lists of) numbers: each element's dtype, promoted."""
    stack, result = [data], None
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        leaf = _leaf_dtype(item)
        if leaf is None:
            return None  # tensors, arrays…: NumPy's inference stands
        result = leaf if result is None else promote_numpy(result, leaf)
    return result


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor (always a copy) from a list, scalar, ndarray or tensor.

    >>> tensorgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tensor([[1., 2.],
            [3., 4.]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif isinstance(data, _backend.ndarray):
        array = data.copy()
    else:
        try:
            array = _xp.array(data)
        except ValueError as error:
            raise ValueError(
                f"tensor: data is not a rectangular nested sequence: {error}"
            ) from None
        if dtype is None:  # with a dtype given, cast once below (no float32 detour)
            inferred = _inferred_dtype(data)
            if inferred is not None:
                array = array.astype(inferred, copy=False)
            elif array.size == 0:  # [] and [[]]: the default float type, as in PyTorch
                array = array.astype(default_float_numpy(), copy=False)
    return _finish(array, dtype, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a tensor or ndarray when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, _backend.ndarray):
        return _finish(data, dtype, False)
    return tensor(data, dtype=dtype)


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with the ndarray ``array`` (changes show in both)."""
    if not isinstance(array, _backend.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return _finish(array, None, False)


def _size_argument(size, op: str) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        shape = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"{op}: size must be ints or one sequence of ints, got {size}") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: negative dimension in size {shape}")
    return shape


def _float_dtype(dtype):
    return default_float_numpy() if dtype is None else to_numpy_dtype(dtype)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (default float type)."""
    shape = _size_argument(size, "zeros")
    return _finish(_xp.zeros(shape, dtype=_float_dtype(dtype)), None, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (default float type)."""
    shape = _size_argument(size, "ones")
    return _finish(_xp.ones(shape, dtype=_float_dtype(dtype)), None, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given size (default float type)."""
    shape = _size_argument(size, "empty")
    return _finish(_xp.empty(shape, dtype=_float_dtype(dtype)), None, requires_grad)


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return to_numpy_dtype(dtype)
    if isinstance(fill_value, bool):
        return _xp.dtype(bool)
    if isinstance(fill_value, numbers.Integral):
        return _INT64
    return default_float_numpy()


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    shape = _size_argument((size,), "full")
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    array = _xp.full(shape, value, dtype=_fill_dtype(value, dtype))
    return _finish(array, None, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive) by ``step``.

    int64 when every argument is an int, the default float type otherwise.
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in values)
        np_dtype = _INT64 if integral else default_float_numpy()
    else:
        np_dtype = to_numpy_dtype(dtype)
    start, end, step = values
    count = max(math.ceil((end - start) / step), 0)
    # start + step·i in float64, like PyTorch, rather than NumPy's accumulated float steps.
    array = (start + step * _xp.arange(count, dtype=_xp.float64)).astype(np_dtype)
    return _finish(array, None, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    array = _xp.linspace(float(start), float(end), int(steps)).astype(_float_dtype(dtype))
    return _finish(array, None, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n×m identity matrix (n×n if ``m`` is None)."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(_xp.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1)."""
    shape = _size_argument(size, "rand")
    np_dtype = _float_dtype(dtype)
    sample_dtype = np_dtype if np_dtype in (_xp.float32, _xp.float64) else _xp.float64
    array = numpy_generator(generator).random(shape, dtype=sample_dtype).astype(np_dtype)
    return _finish(array, None, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (mean 0, variance 1)."""
    shape = _size_argument(size, "randn")
    np_dtype = _float_dtype(dtype)
    sample_dtype = np_dtype if np_dtype in (_xp.float32, _xp.float64) else _xp.float64
    array = numpy_generator(generator).standard_normal(shape, dtype=sample_dtype)
    return _finish(array.astype(np_dtype, copy=False), None, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Normal samples with the given mean and std (numbers, or tensors that broadcast)."""
    mean_value = mean._data if isinstance(mean, Tensor) else mean
    std_value = std._data if isinstance(std, Tensor) else std
    shape = None if size is None else _size_argument((size,), "normal")
    array = numpy_generator(generator).normal(mean_value, std_value, shape)
    reference = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    np_dtype = (
        reference._data.dtype if reference is not None and dtype is None else (_float_dtype(dtype))
    )
    return _finish(_xp.asarray(array).astype(np_dtype), None, False)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``) per element, else 0; same shape and dtype."""
    probability = input._data if p is None else p
    draws = numpy_generator(generator).random(input.shape) < probability
    return Tensor(draws.astype(input._data.dtype))


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint: expected (high, size) or (low, high, size)")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    shape = _size_argument((size,), "randint")
    np_dtype = _INT64 if dtype is None else to_numpy_dtype(dtype)
    array = numpy_generator(generator).integers(low, high, shape).astype(np_dtype)
    return _finish(array, None, requires_grad)


def randperm(n: int, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0 … n-1 (int64)."""
    np_dtype = _INT64 if dtype is None else to_numpy_dtype(dtype)
    return _finish(numpy_generator(generator).permutation(n).astype(np_dtype), None, False)


def _like(input: Tensor, dtype):
    return input.shape, (input._data.dtype if dtype is None else to_numpy_dtype(dtype))


def zeros_like(input: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros with ``input``'s shape and dtype."""
    shape, np_dtype = _like(input, dtype)
    return _finish(_xp.zeros(shape, dtype=np_dtype), None, requires_grad)


def ones_like(input: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    shape, np_dtype = _like(input, dtype)
    return _finish(_xp.ones(shape, dtype=np_dtype), None, requires_grad)


def empty_like(input: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor with ``input``'s shape and dtype."""
    shape, np_dtype = _like(input, dtype)
    return _finish(_xp.empty(shape, dtype=np_dtype), None, requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype."""
    shape, np_dtype = _like(input, dtype)
    return _finish(_xp.full(shape, fill_value, dtype=np_dtype), None, requires_grad)


def rand_like(input: Tensor, dtype=None, generator=None, requires_grad=False) -> Tensor:
    """Uniform [0, 1) samples with ``input``'s shape and dtype."""
    shape, np_dtype = _like(input, dtype)
    return rand(shape, generator=generator, dtype=np_dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype=None, generator=None, requires_grad=False) -> Tensor:
    """Standard normal samples with ``input``'s shape and dtype."""
    shape, np_dtype = _like(input, dtype)
    return randn(shape, generator=generator, dtype=np_dtype, requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, dtype=None, generator=None) -> Tensor:
    """Random integers in [low, high) with ``input``'s shape and dtype."""
    if high is None:
        low, high = 0, low
    shape, np_dtype = _like(input, dtype)
    return randint(low, high, shape, generator=generator, dtype=np_dtype)


def _new_dtype(input: Tensor, dtype):
    return input._data.dtype if dtype is None else dtype


@tensor_method("new_zeros")
def new_zeros(input: Tensor, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``x.new_zeros(size)``: zeros of ``x``'s dtype (unless given)."""
    return zeros(*size, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_ones")
def new_ones(input: Tensor, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``x.new_ones(size)``: ones of ``x``'s dtype (unless given)."""
    return ones(*size, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_empty")
def new_empty(input: Tensor, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``x.new_empty(size)``: an uninitialised tensor of ``x``'s dtype (unless given)."""
    return empty(*size, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_full")
def new_full(input: Tensor, size, fill_value, dtype=None, device=None, requires_grad=False):
    """``x.new_full(size, value)``: ``value`` everywhere, of ``x``'s dtype (unless given)."""
    return full(size, fill_value, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_tensor")
def new_tensor(input: Tensor, data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``x.new_tensor(data)``: a copy of ``data`` with ``x``'s dtype (unless given)."""
    return tensor(data, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)
