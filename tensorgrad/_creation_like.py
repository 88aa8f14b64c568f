"""Tensors made after another one, and what a tensor says about where it lives.

- ``zeros_like``, ``ones_like``, ``empty_like``, ``full_like``, ``rand_like``, ``randn_like``,
  ``randint_like``: ``input``'s shape and dtype (and layout, see ``memory_format``);
- ``Tensor.new_zeros``, ``new_ones``, ``new_empty``, ``new_full``, ``new_tensor``: the given
  size, ``x``'s dtype;
- ``Tensor.pin_memory``, ``is_pinned``, ``get_device``, ``is_cuda``, ``is_cpu``…: what a
  tensor says about where it lives (moving it is ``Tensor.to``/``cuda``/``cpu``).
"""

from __future__ import annotations

import warnings

from . import _backend, _device
from ._creation import _check_placement, _finish, _xp, empty, full, ones, tensor, zeros
from ._creation_random import rand, randint, randn
from ._dtypes import to_numpy_dtype
from ._memory_format import (
    check_memory_format,
    contiguous_format,
    empty_as,
    preserve_format,
    resolve,
)
from ._registry import tensor_method, tensor_property
from ._tracing import observed
from .tensor import Tensor

__all__ = [
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
]


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


def _made_like(
    op: str, make, input: Tensor, dtype, device, requires_grad, pin_memory, memory_format
):
    """The ``*_like`` factories but ``empty_like`` and ``randint_like``: ``make(shape, dtype)``
    (an array) with ``input``'s shape and dtype unless ``dtype`` is given, laid out as
    ``memory_format`` asks."""
    target = _check_placement(device, pin_memory, op, like=input)
    shape, np_dtype = _like(input, dtype)
    array = _laid_out(make(shape, np_dtype), input, memory_format, op)
    return _finish(array, None, requires_grad, target)


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
    return _made_like(
        "zeros_like", _xp.zeros, input, dtype, device, requires_grad, pin_memory, memory_format
    )


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
    return _made_like(
        "ones_like", _xp.ones, input, dtype, device, requires_grad, pin_memory, memory_format
    )


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
    target = _check_placement(device, pin_memory, "empty_like", like=input)
    shape, np_dtype = _like(input, dtype)
    fmt = resolve(input._data, check_memory_format(memory_format or preserve_format, "empty_like"))
    return _finish(empty_as(_xp, shape, np_dtype, fmt), None, requires_grad, target)


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

    def make(shape, np_dtype):
        return _xp.full(shape, fill_value, dtype=np_dtype)

    return _made_like(
        "full_like", make, input, dtype, device, requires_grad, pin_memory, memory_format
    )


def _sampled_like(name: str, draw, what: str):
    """``rand_like``/``randn_like``: ``draw`` (``rand``/``randn``) with ``input``'s shape and
    dtype, on the host (the CPU's numbers on every device), then laid out and placed."""

    def sampled_like(
        input: Tensor,
        dtype=None,
        generator=None,
        requires_grad=False,
        device=None,
        pin_memory: bool = False,
        *,
        memory_format=preserve_format,
    ):
        def make(shape, np_dtype):
            return draw(shape, generator=generator, dtype=np_dtype, device="cpu")._data

        return _made_like(
            name, make, input, dtype, device, requires_grad, pin_memory, memory_format
        )

    sampled_like.__name__ = sampled_like.__qualname__ = name
    sampled_like.__doc__ = (
        f"{what} with ``input``'s shape and dtype (and layout, see ``memory_format``)."
    )
    return observed(sampled_like)


rand_like = _sampled_like("rand_like", rand, "Uniform [0, 1) samples")
randn_like = _sampled_like("randn_like", randn, "Standard normal samples")


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
    target = _check_placement(device, False, "randint_like", like=input)
    if high is None:
        low, high = 0, low
    shape, np_dtype = _like(input, dtype)
    array = randint(low, high, shape, generator=generator, dtype=np_dtype, device="cpu")._data
    return _finish(_laid_out(array, input, memory_format, "randint_like"), None, False, target)


def _new_dtype(input: Tensor, dtype):
    return input._data.dtype if dtype is None else dtype


def _new_device(input: Tensor, device, pin_memory: bool, op: str):
    """The ``new_*`` methods' device: ``device``, else ``input``'s."""
    return _check_placement(device, pin_memory, op, like=input)


@tensor_method("new_zeros")
@observed
def new_zeros(
    input: Tensor, *size, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_zeros(size)``: zeros of ``x``'s dtype (unless given)."""
    where = _new_device(input, device, pin_memory, "new_zeros")
    return zeros(*size, dtype=_new_dtype(input, dtype), device=where, requires_grad=requires_grad)


@tensor_method("new_ones")
@observed
def new_ones(
    input: Tensor, *size, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_ones(size)``: ones of ``x``'s dtype (unless given)."""
    where = _new_device(input, device, pin_memory, "new_ones")
    return ones(*size, dtype=_new_dtype(input, dtype), device=where, requires_grad=requires_grad)


@tensor_method("new_empty")
@observed
def new_empty(
    input: Tensor, *size, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_empty(size)``: an uninitialised tensor of ``x``'s dtype (unless given)."""
    where = _new_device(input, device, pin_memory, "new_empty")
    return empty(*size, dtype=_new_dtype(input, dtype), device=where, requires_grad=requires_grad)


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
    where = _new_device(input, device, pin_memory, "new_full")
    return full(
        size, fill_value, dtype=_new_dtype(input, dtype), device=where, requires_grad=requires_grad
    )


@tensor_method("new_tensor")
@observed
def new_tensor(
    input: Tensor, data, dtype=None, device=None, requires_grad=False, pin_memory: bool = False
) -> Tensor:
    """``x.new_tensor(data)``: a copy of ``data`` with ``x``'s dtype (unless given)."""
    where = _new_device(input, device, pin_memory, "new_tensor")
    return tensor(data, dtype=_new_dtype(input, dtype), device=where, requires_grad=requires_grad)


# ---------------------------------------------------------------- where a tensor lives
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
    """A CPU copy meant for fast copies to an accelerator. With CUDA (CuPy) present it is an
    ordinary copy: tensorgrad does not allocate page-locked memory, so ``is_pinned()`` stays
    False. Without an accelerator it raises RuntimeError, as PyTorch does; scripts guard it
    (``if device_type == 'cuda': x = x.pin_memory()``)."""
    if device is not None:
        _warn_device_argument("pin_memory")
        if _device.device(device).type == "cpu":
            raise RuntimeError("pin_memory: CPU device type not an accelerator")
    if not _backend.accelerator_available():
        _device.no_accelerator("pin_memory")
    if type(input._data) is not _backend.ndarray:
        raise RuntimeError(f"pin_memory: cannot pin '{input.device}' memory, only CPU memory")
    return Tensor(input._data.copy())


@tensor_method("get_device")
def get_device(input: Tensor) -> int:
    """The device index of a tensor in device memory, -1 for a CPU tensor."""
    index = input.device.index
    return -1 if index is None else index


def _on(device_type: str):
    def test(input: Tensor) -> bool:
        return type(input._data) is not _backend.ndarray and input.device.type == device_type

    return test


tensor_property("is_cuda", "Whether the tensor is on a CUDA device.")(_on("cuda"))
tensor_property("is_mps", "Whether the tensor is on Apple's MPS device: always False.")(_on("mps"))


@tensor_property("is_meta", "Whether the tensor is a meta tensor (no data): always False.")
def _is_meta(input: Tensor) -> bool:
    return False


@tensor_property("is_cpu", "Whether the tensor is on the CPU.")
def _is_cpu(input: Tensor) -> bool:
    return type(input._data) is _backend.ndarray
