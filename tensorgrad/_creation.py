"""Making tensors from data, sizes and ranges, with PyTorch's defaults: ``tensor``,
``as_tensor``, ``from_numpy``, ``zeros``, ``ones``, ``empty``, ``full``, ``arange``,
``linspace``, ``eye``.

Python floats become the default float type (float32), Python ints int64, bools bool; a
NumPy array keeps its dtype. The private helpers here (``_finish``, ``_check_placement``,
``_size_argument``, ``_float_dtype``) serve the random factories (``_creation_random.py``)
and the ones shaped after a tensor (``_creation_like.py``) too.
"""

from __future__ import annotations

import math
import numbers

from . import _backend, _device
from ._device import CPU
from ._dtypes import default_float_numpy, promote_numpy, to_numpy_dtype
from ._memory_format import (
    check_memory_format,
    check_rank,
    contiguous_format,
    empty_as,
    preserve_format,
)
from ._tracing import observed
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
]


_xp = _backend.default_module
_INT64 = _xp.dtype("int64")


def _finish(array, dtype, requires_grad: bool, target=None) -> Tensor:
    """The factories' last step: ``array`` cast to ``dtype`` and moved to ``target`` (a
    device; None keeps it where it is), as a tensor."""
    if dtype is not None:
        array = array.astype(to_numpy_dtype(dtype), copy=False)
    elif array.dtype.kind == "O" or array.dtype not in _SUPPORTED:
        raise TypeError(f"cannot make a tensor from data of NumPy dtype {array.dtype}")
    if target is not None and (target.type != "cpu" or type(array) is not _backend.ndarray):
        array = _backend.transfer(array, target)
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
    target = _check_placement(device, pin_memory, "tensor")
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
    return _finish(array, dtype, requires_grad, target)


@observed
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a tensor or ndarray when it can."""
    target = _check_placement(device, False, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, _backend.ndarray):
        return _finish(data, dtype, False, target)
    return tensor(data, dtype=dtype, device=device)


@observed
def from_numpy(array) -> Tensor:
    """A tensor sharing memory with the ndarray ``array`` (changes show in both)."""
    if not isinstance(array, _backend.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return _finish(array, None, False)


def _check_placement(device, pin_memory: bool, op: str, like: Tensor | None = None):
    """Where a factory puts its result: ``device``, else ``like``'s device (the ``*_like``
    factories), else the default device; None when nothing names a device and the default is
    the CPU (the data stays where it is made: the host, or a device array's own device).

    ``pin_memory`` needs an accelerator, as in PyTorch (which raises RuntimeError without
    one); with CUDA it is accepted and the memory is ordinary host memory.
    """
    if device is None and like is not None:
        target = _backend.device_of(like._data)
    elif device is None and _device.get_default_device() is CPU:
        target = None
    else:
        target = _backend.target_device(device, op)
    if pin_memory and not _backend.accelerator_available():
        raise RuntimeError(
            f"{op}: pin_memory=True requires an accelerator; none is available (no CUDA "
            f"through CuPy), so there is no pinned memory allocator"
        )
    return target


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
    target = _check_placement(device, pin_memory, "zeros")
    shape = _size_argument(size, "zeros")
    return _finish(_xp.zeros(shape, dtype=_float_dtype(dtype)), None, requires_grad, target)


@observed
def ones(
    *size, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A tensor of ones of the given size (default float type)."""
    target = _check_placement(device, pin_memory, "ones")
    shape = _size_argument(size, "ones")
    return _finish(_xp.ones(shape, dtype=_float_dtype(dtype)), None, requires_grad, target)


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
    target = _check_placement(device, pin_memory, "empty")
    shape = _size_argument(size, "empty")
    fmt = check_memory_format(memory_format or contiguous_format, "empty")
    if fmt is preserve_format:  # there is no input whose layout to preserve
        raise RuntimeError("empty: unsupported memory format preserve_format")
    check_rank(shape, fmt)
    return _finish(empty_as(_xp, shape, _float_dtype(dtype), fmt), None, requires_grad, target)


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
    target = _check_placement(device, pin_memory, "full")
    shape = _size_argument((size,), "full")
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    array = _xp.full(shape, value, dtype=_fill_dtype(value, dtype))
    return _finish(array, None, requires_grad, target)


@observed
def arange(
    start, end=None, step=1, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive) by ``step``.

    int64 when every argument is an int, the default float type otherwise.
    """
    target = _check_placement(device, pin_memory, "arange")
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
    return _finish(array, None, requires_grad, target)


@observed
def linspace(
    start, end, steps: int, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    target = _check_placement(device, pin_memory, "linspace")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    array = _xp.linspace(float(start), float(end), int(steps)).astype(_float_dtype(dtype))
    return _finish(array, None, requires_grad, target)


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
    target = _check_placement(device, pin_memory, "eye")
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(_xp.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad, target)
