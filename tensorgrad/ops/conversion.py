"""Conversions: ``cast`` (the differentiable dtype change every op uses to promote),
``to_device`` (the differentiable copy to another device), and ``Tensor.to``, with the
argument parser it shares with ``nn.Module.to``."""

from __future__ import annotations

from .._backend import check_device, device_of, resolve_device, transfer
from .._device import device
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


class ToDevice(Op):
    """y = x copied to another device; the gradient is copied back to x's device."""

    @staticmethod
    def forward(ctx, x, target):
        ctx.source = device_of(x)
        return transfer(x, target)

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):  # create_graph: the copy back is recorded too
            return to_device(grad, ctx.source)
        return transfer(grad, ctx.source)


def to_device(input: Tensor, target: device) -> Tensor:
    """``input`` on the device ``target``: itself if already there, else a copy that gradients
    flow back through."""
    if device_of(input._data) == target:
        return input
    check_device(target, "to")
    return ToDevice.apply(input, target=target)


def cuda_device(value=None) -> device:
    """The device ``x.cuda(value)`` and ``module.cuda(value)`` move to: ``value`` (an index or
    a CUDA device), the current CUDA device if None."""
    target = device("cuda", value) if value is None or isinstance(value, int) else device(value)
    if target.type != "cuda":
        raise RuntimeError(f"cuda: invalid device '{target}', must be a cuda device")
    return resolve_device(target, "cuda")


@tensor_method("cuda")
def cuda(input: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    """``x.cuda()``: ``x`` on a CUDA device (``device``, else the current one); ``x`` itself
    if already there. Without CUDA it raises (an AssertionError, as PyTorch built without
    CUDA does)."""
    moved = to_device(input, cuda_device(device))
    return moved if memory_format is None else moved.to(memory_format=memory_format)


def parse_to_arguments(args: tuple, kwargs: dict):
    """The target ``(dtype, memory_format, device)`` of a ``to(...)`` call, for tensors and
    modules alike (``nn.Module.to`` uses it too); the dtype is a ``tensorgrad.dtype`` or None,
    the device a ``tensorgrad.device`` or None (stay where it is).

    Accepts ``to(dtype)``, ``to(device)``, ``to(tensor)``, ``to(device, dtype)`` and the
    keywords ``dtype``, ``device``, ``non_blocking``, ``copy``, ``memory_format``; a device
    no backend serves raises ``DeviceUnavailableError``.
    """
    kwargs = dict(kwargs)
    target = kwargs.pop("dtype", None)
    layout = check_memory_format(kwargs.pop("memory_format", None) or preserve_format, "to")
    place = kwargs.pop("device", None)
    if place is not None:
        place = resolve_device(place, "to")
    for key in ("non_blocking", "copy"):
        kwargs.pop(key, None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            target = arg._data.dtype
            place = device_of(arg._data)
        elif isinstance(arg, (str, device)) or (isinstance(arg, int) and not isinstance(arg, bool)):
            place = resolve_device(arg, "to")  # an int is a CUDA index
        elif arg is not None:
            target = arg
    return (None if target is None else as_dtype(target)), layout, place


@tensor_method("to")
def to(input: Tensor, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to("cuda")``, ``to(device, dtype)`` or ``to(other)``: a converted
    tensor (``input`` itself if nothing changes); ``memory_format=`` also changes the layout
    (a copy unless it is already that layout). A move to another device is a copy that
    gradients flow back through, as in PyTorch."""
    target, layout, place = parse_to_arguments(args, kwargs)
    copy = kwargs.get("copy", False)
    moved = place is not None and device_of(input._data) != place
    if moved:
        input = to_device(input, place)
    if target is not None:
        input = cast(input, to_numpy_dtype(target), copy=copy and not moved)  # keeps the layout
    elif copy and not moved:
        input = input.clone()
    if layout is preserve_format or is_contiguous_as(input._data, resolve(input._data, layout)):
        return input
    return input.clone(memory_format=layout)


@tensor_method("type_as")
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` converted to ``other``'s dtype."""
    return cast(input, other._data.dtype)
