"""``Tensor.to``: dtype and device conversion, and the argument parser it shares with
``nn.Module.to``."""

from __future__ import annotations

from .._device import check_device, device
from ..dtypes import to_numpy_dtype
from ..tensor import Tensor
from .unary import cast

__all__ = ["to", "parse_to_arguments"]


def parse_to_arguments(args: tuple, kwargs: dict):
    """The target NumPy dtype (or None) of a ``to(...)`` call, for tensors and modules alike.

    Accepts ``to(dtype)``, ``to(device)``, ``to(tensor)``, ``to(device, dtype)`` and the
    keywords ``dtype``, ``device``, ``non_blocking``, ``copy``; a device must be the CPU.
    """
    kwargs = dict(kwargs)
    target = kwargs.pop("dtype", None)
    if kwargs.get("device") is not None:
        check_device(kwargs["device"], "to")
    for key in ("device", "non_blocking", "copy"):
        kwargs.pop(key, None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            target = arg._data.dtype
        elif isinstance(arg, (str, device)):
            check_device(arg, "to")
        elif arg is not None:
            target = arg
    return None if target is None else to_numpy_dtype(target)


def to(input: Tensor, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to("cpu")`` or ``to(other)``: a converted tensor (``input`` if same)."""
    target = parse_to_arguments(args, kwargs)
    copy = kwargs.get("copy", False)
    if target is None:
        return input.clone() if copy else input
    return cast(input, target, copy=copy)
