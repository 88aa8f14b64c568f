"""Making tensors: from data, filled, ranges, identity and random, with PyTorch's defaults.

Python floats become the default float type (float32), Python ints int64, bools bool; a
NumPy array keeps its dtype.
"""

from __future__ import annotations

import math
import numbers
import warnings

from . import _backend, _device
from ._device import check_device
from ._dtypes import default_float_numpy, promote_numpy, to_numpy_dtype
from ._memory_format import (
    check_memory_format,
    check_rank,
    contiguous_format,
    empty_as,
    preserve_format,
    resolve,
)
from ._registry import tensor_method, tensor_property
from ._tracing import observed
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


@observed
def tensor(
    data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new tensor (always a copy) from a list, scalar, ndarray or tensor.

    >>> tensorgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tensor([[1., 2.],
            [3., 4.]], requires_grad=True)
    """
    _check_placement(device, pin_memory, "tensor")
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


@observed
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a tensor or ndarray when it can."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, _backend.ndarray):
        return _finish(data, dtype, False)
    return tensor(data, dtype=dtype)


@observed
def from_numpy(array) -> Tensor:
    """A tensor sharing memory with the ndarray ``array`` (changes show in both)."""
    if not isinstance(array, _backend.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return _finish(array, None, False)


def _check_placement(device, pin_memory: bool, op: str) -> None:
    """``device`` must be the CPU, and ``pin_memory`` False: page-locked memory only speeds up
    copies to an accelerator, and PyTorch without one raises RuntimeError for it too."""
    check_device(device, op)
    if pin_memory:
        raise RuntimeError(
            f"{op}: pin_memory=True requires an accelerator; none is available (tensorgrad "
            f"runs on the CPU), so there is no pinned memory allocator"
        )


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


@observed
def zeros(
    *size, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A tensor of zeros of the given size (default float type)."""
    _check_placement(device, pin_memory, "zeros")
    shape = _size_argument(size, "zeros")
    return _finish(_xp.zeros(shape, dtype=_float_dtype(dtype)), None, requires_grad)


@observed
def ones(
    *size, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A tensor of ones of the given size (default float type)."""
    _check_placement(device, pin_memory, "ones")
    shape = _size_argument(size, "ones")
    return _finish(_xp.ones(shape, dtype=_float_dtype(dtype)), None, requires_grad)


@observed
def empty(
    *size,
    dtype=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format=contiguous_format,
) -> Tensor:
    """An uninitialised tensor of the given size (default float type), laid out in
    ``memory_format`` (``channels_last`` for (N, H, W, C) order)."""
    _check_placement(device, pin_memory, "empty")
    shape = _size_argument(size, "empty")
    fmt = check_memory_format(memory_format or contiguous_format, "empty")
    if fmt is preserve_format:  # there is no input whose layout to preserve
        raise RuntimeError("empty: unsupported memory format preserve_format")
    check_rank(shape, fmt)
    return _finish(empty_as(_xp, shape, _float_dtype(dtype), fmt), None, requires_grad)


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return to_numpy_dtype(dtype)
    if isinstance(fill_value, bool):
        return _xp.dtype(bool)
    if isinstance(fill_value, numbers.Integral):
        return _INT64
    return default_float_numpy()


@observed
def full(
    size, fill_value, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    _check_placement(device, pin_memory, "full")
    shape = _size_argument((size,), "full")
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    array = _xp.full(shape, value, dtype=_fill_dtype(value, dtype))
    return _finish(array, None, requires_grad)


@observed
def arange(
    start, end=None, step=1, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive) by ``step``.

    int64 when every argument is an int, the default float type otherwise.
    """
    _check_placement(device, pin_memory, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if not all(math.isfinite(v) for v in values[:2]):
        raise RuntimeError(f"arange: unsupported range: {values[0]} -> {values[1]}")
    if (values[2] > 0 and values[1] < values[0]) or (values[2] < 0 and values[1] > values[0]):
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign (start "
            f"{values[0]}, end {values[1]}, step {values[2]})"
        )
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


@observed
def linspace(
    start, end, steps: int, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    _check_placement(device, pin_memory, "linspace")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    array = _xp.linspace(float(start), float(end), int(steps)).astype(_float_dtype(dtype))
    return _finish(array, None, requires_grad)


@observed
def eye(
    n: int,
    m: int | None = None,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
) -> Tensor:
    """The n×m identity matrix (n×n if ``m`` is None)."""
    _check_placement(device, pin_memory, "eye")
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(_xp.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad)


@observed
def rand(
    *size, generator=None, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """Uniform samples in [0, 1)."""
    _check_placement(device, pin_memory, "rand")
    shape = _size_argument(size, "rand")
    np_dtype = _float_dtype(dtype)
    sample_dtype = np_dtype if np_dtype in (_xp.float32, _xp.float64) else _xp.float64
    array = numpy_generator(generator).random(shape, dtype=sample_dtype).astype(np_dtype)
    return _finish(array, None, requires_grad)


@observed
def randn(
    *size, generator=None, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """Standard normal samples (mean 0, variance 1)."""
    _check_placement(device, pin_memory, "randn")
    shape = _size_argument(size, "randn")
    np_dtype = _float_dtype(dtype)
    sample_dtype = np_dtype if np_dtype in (_xp.float32, _xp.float64) else _xp.float64
    array = numpy_generator(generator).standard_normal(shape, dtype=sample_dtype)
    return _finish(array.astype(np_dtype, copy=False), None, requires_grad)


@observed
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Normal samples with the given mean and std (numbers, or tensors that broadcast).

    With two numbers, ``size`` is required, as in PyTorch; ``std`` must be >= 0.
    """
    mean_value = mean._data if isinstance(mean, Tensor) else mean
    std_value = std._data if isinstance(std, Tensor) else std
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
    return _finish(_xp.asarray(array).astype(np_dtype), None, False)


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
    probability = input._data if p is None else p
    draws = numpy_generator(generator).random(input.shape) < probability
    return Tensor(draws.astype(input._data.dtype))


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
    _check_placement(device, pin_memory, "randint")
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
    return _finish(array, None, requires_grad)


@observed
def randperm(n: int, generator=None, dtype=None, device=None, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 … n-1 (int64)."""
    _check_placement(device, pin_memory, "randperm")
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"randperm: trying to create a tensor with negative dimension {n}")
    np_dtype = _INT64 if dtype is None else to_numpy_dtype(dtype)
    return _finish(numpy_generator(generator).permutation(n).astype(np_dtype), None, False)


def _like(input: Tensor, dtype):
    return input.shape, (input._data.dtype if dtype is None else to_numpy_dtype(dtype))


def _laid_out(array, input: Tensor, memory_format, op: str):
    """``array`` (row-major) in the layout ``memory_format`` asks for, given the ``*_like``
    call's ``input`` (``preserve_format``, the default, follows ``input``)."""
    fmt = resolve(input._data, check_memory_format(memory_format or preserve_format, op))
    if fmt is contiguous_format:
        return array
    out = empty_as(_xp, array.shape, array.dtype, fmt)
    out[...] = array
    return out


@observed
def zeros_like(
    input: Tensor,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
    *,
    memory_format=preserve_format,
) -> Tensor:
    """Zeros with ``input``'s shape and dtype (and layout, see ``memory_format``)."""
    _check_placement(device, pin_memory, "zeros_like")
    shape, np_dtype = _like(input, dtype)
    array = _laid_out(_xp.zeros(shape, dtype=np_dtype), input, memory_format, "zeros_like")
    return _finish(array, None, requires_grad)


@observed
def ones_like(
    input: Tensor,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
    *,
    memory_format=preserve_format,
) -> Tensor:
    """Ones with ``input``'s shape and dtype (and layout, see ``memory_format``)."""
    _check_placement(device, pin_memory, "ones_like")
    shape, np_dtype = _like(input, dtype)
    array = _laid_out(_xp.ones(shape, dtype=np_dtype), input, memory_format, "ones_like")
    return _finish(array, None, requires_grad)


@observed
def empty_like(
    input: Tensor,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
    *,
    memory_format=preserve_format,
) -> Tensor:
    """An uninitialised tensor with ``input``'s shape and dtype (and layout, see
    ``memory_format``)."""
    _check_placement(device, pin_memory, "empty_like")
    shape, np_dtype = _like(input, dtype)
    fmt = resolve(input._data, check_memory_format(memory_format or preserve_format, "empty_like"))
    return _finish(empty_as(_xp, shape, np_dtype, fmt), None, requires_grad)


@observed
def full_like(
    input: Tensor,
    fill_value,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
    *,
    memory_format=preserve_format,
) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype (and layout, see
    ``memory_format``)."""
    _check_placement(device, pin_memory, "full_like")
    shape, np_dtype = _like(input, dtype)
    array = _xp.full(shape, fill_value, dtype=np_dtype)
    return _finish(_laid_out(array, input, memory_format, "full_like"), None, requires_grad)


@observed
def rand_like(
    input: Tensor,
    dtype=None,
    generator=None,
    requires_grad=False,
    device=None,
    pin_memory: bool = False,
    *,
    memory_format=preserve_format,
):
    """Uniform [0, 1) samples with ``input``'s shape and dtype (and layout, see
    ``memory_format``)."""
    _check_placement(device, pin_memory, "rand_like")
    shape, np_dtype = _like(input, dtype)
    array = rand(shape, generator=generator, dtype=np_dtype)._data
    return _finish(_laid_out(array, input, memory_format, "rand_like"), None, requires_grad)


@observed
def randn_like(
    input: Tensor,
    dtype=None,
    generator=None,
    requires_grad=False,
    device=None,
    pin_memory: bool = False,
    *,
    memory_format=preserve_format,
):
    """Standard normal samples with ``input``'s shape and dtype (and layout, see
    ``memory_format``)."""
    _check_placement(device, pin_memory, "randn_like")
    shape, np_dtype = _like(input, dtype)
    array = randn(shape, generator=generator, dtype=np_dtype)._data
    return _finish(_laid_out(array, input, memory_format, "randn_like"), None, requires_grad)


@observed
def randint_like(
    input: Tensor,
    low=0,
    high=None,
    dtype=None,
    generator=None,
    device=None,
    *,
    memory_format=preserve_format,
):
    """Random integers in [low, high) with ``input``'s shape and dtype (and layout, see
    ``memory_format``)."""
    check_device(device, "randint_like")
    if high is None:
        low, high = 0, low
    shape, np_dtype = _like(input, dtype)
    array = randint(low, high, shape, generator=generator, dtype=np_dtype)._data
    return _finish(_laid_out(array, input, memory_format, "randint_like"), None, False)


def _new_dtype(input: Tensor, dtype):
    return input._data.dtype if dtype is None else dtype


@tensor_method("new_zeros")
@observed
def new_zeros(
    input: Tensor, *size, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_zeros(size)``: zeros of ``x``'s dtype (unless given)."""
    _check_placement(device, pin_memory, "new_zeros")
    return zeros(*size, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_ones")
@observed
def new_ones(
    input: Tensor, *size, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_ones(size)``: ones of ``x``'s dtype (unless given)."""
    _check_placement(device, pin_memory, "new_ones")
    return ones(*size, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_empty")
@observed
def new_empty(
    input: Tensor, *size, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_empty(size)``: an uninitialised tensor of ``x``'s dtype (unless given)."""
    _check_placement(device, pin_memory, "new_empty")
    return empty(*size, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_full")
@observed
def new_full(
    input: Tensor,
    size,
    fill_value,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory: bool = False,
):
    """``x.new_full(size, value)``: ``value`` everywhere, of ``x``'s dtype (unless given)."""
    _check_placement(device, pin_memory, "new_full")
    return full(size, fill_value, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


@tensor_method("new_tensor")
@observed
def new_tensor(
    input: Tensor, data, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_tensor(data)``: a copy of ``data`` with ``x``'s dtype (unless given)."""
    _check_placement(device, pin_memory, "new_tensor")
    return tensor(data, dtype=_new_dtype(input, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- where a tensor lives
@tensor_method("cuda")
def cuda(input: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    """``x.cuda()``: raises, CUDA is not available (PyTorch's AssertionError type)."""
    if device is None or isinstance(device, int):
        target = _device.device("cuda", device)
    else:
        target = _device.device(device)
    if target.type != "cuda":
        raise RuntimeError(f"cuda: invalid device '{target}', must be a cuda device")
    check_device(target, "cuda")
    return input


def _warn_device_argument(method: str) -> None:
    warnings.warn(
        f"The argument 'device' of Tensor.{method}() is deprecated. Please do not pass this "
        f"argument.",
        DeprecationWarning,
        stacklevel=3,
    )


@tensor_method("is_pinned")
def is_pinned(input: Tensor, device=None) -> bool:
    """Whether the tensor is in page-locked (pinned) memory: always False, as in PyTorch
    without an accelerator (``device`` is deprecated there and warns)."""
    if device is not None:
        _warn_device_argument("is_pinned")
    return False


@tensor_method("pin_memory")
def pin_memory(input: Tensor, device=None) -> Tensor:
    """Raises RuntimeError, as PyTorch does without an accelerator: pinned memory only speeds
    up copies to one. Scripts guard it (``if device_type == 'cuda': x = x.pin_memory()``)."""
    if device is None:
        _device.no_accelerator("pin_memory")
    _warn_device_argument("pin_memory")
    target = _device.device(device)
    if target.type == "cpu":
        raise RuntimeError("pin_memory: CPU device type not an accelerator")
    check_device(target, "pin_memory")


@tensor_method("get_device")
def get_device(input: Tensor) -> int:
    """The CUDA device index, -1 for a CPU tensor (always -1)."""
    return -1


@tensor_property("is_cuda", "Whether the tensor is on a CUDA device: always False.")
def _is_cuda(input: Tensor) -> bool:
    return False


@tensor_property("is_mps", "Whether the tensor is on Apple's MPS device: always False.")
def _is_mps(input: Tensor) -> bool:
    return False


@tensor_property("is_meta", "Whether the tensor is a meta tensor (no data): always False.")
def _is_meta(input: Tensor) -> bool:
    return False


@tensor_property("is_cpu", "Whether the tensor is on the CPU: always True.")
def _is_cpu(input: Tensor) -> bool:
    return True
