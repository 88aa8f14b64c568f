"""Conversions: ``cast`` (the differentiable dtype change every op uses to promote), and
``Tensor.to``, with the argument parser it shares with ``nn.Module.to``."""

from __future__ import annotations

from .._device import check_device, device
from .._dtypes import as_dtype, to_numpy_dtype
from .._memory_format import check_memory_format, is_contiguous_as, preserve_format, resolve
from .._registry import tensor_method
from ..tensor import Tensor
from ._op import Op


class Cast(Op):
    """y = x converted to another dtype; the gradient is cast back (by the engine)."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def cast(input: Tensor, np_dtype, copy: bool = False) -> Tensor:
    """``input`` converted to a NumPy dtype; ``input`` itself if already of it (unless copy)."""
    if input._data.dtype == np_dtype:
        return input.clone() if copy else input
    return Cast.apply(input, dtype=np_dtype)


def parse_to_arguments(args: tuple, kwargs: dict):
    """The target ``(dtype, memory_format)`` of a ``to(...)`` call, for tensors and modules
    alike (``nn.Module.to`` uses it too); the dtype is a ``tensorgrad.dtype`` or None.

    Accepts ``to(dtype)``, ``to(device)``, ``to(tensor)``, ``to(device, dtype)`` and the
    keywords ``dtype``, ``device``, ``non_blocking``, ``copy``, ``memory_format``; a device
    must be the CPU.
    """
    kwargs = dict(kwargs)
    target = kwargs.pop("dtype", None)
    layout = check_memory_format(kwargs.pop("memory_format", None) or preserve_format, "to")
    if kwargs.get("device") is not None:
        check_device(kwargs["device"], "to")
    for key in ("device", "non_blocking", "copy"):
        kwargs.pop(key, None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            target = arg._data.dtype
        elif isinstance(arg, (str, device)) or (isinstance(arg, int) and not isinstance(arg, bool)):
            check_device(arg, "to")  # an int is a device index (CUDA's), as in PyTorch
        elif arg is not None:
            target = arg
    return (None if target is None else as_dtype(target)), layout


@tensor_method("to")
def to(input: Tensor, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to("cpu")`` or ``to(other)``: a converted tensor (``input`` if same);
    ``memory_format=`` also changes the layout (a copy unless it is already that layout)."""
    target, layout = parse_to_arguments(args, kwargs)
    copy = kwargs.get("copy", False)
    if target is not None:
        input = cast(input, to_numpy_dtype(target), copy=copy)  # keeps the layout
    elif copy:
        input = input.clone()
    if layout is preserve_format or is_contiguous_as(input._data, resolve(input._data, layout)):
        return input
    return input.clone(memory_format=layout)


@tensor_method("type_as")
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` converted to ``other``'s dtype."""
    return cast(input, other._data.dtype)
