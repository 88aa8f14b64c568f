"""Elementwise ops of three tensors: ``lerp``, ``addcmul`` and ``addcdiv`` (the arithmetic of
optimizer updates and moving averages).

Composites of the arithmetic ops, in PyTorch's order of operations, so their values round as
PyTorch's do and their gradients (first and second order) come from the primitives. All
three broadcast their operands together.
"""

from __future__ import annotations

import numbers

from .._backend import array_module
from .._registry import op
from ..tensor import Tensor
from ._util import as_tensor_operand, check_broadcastable, promote
from .arithmetic import abs
from .conditional import where
from .conversion import cast


def _number(value, op_name: str, name: str):
    """A Python number from a number or a one-element tensor (PyTorch's Scalar)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(
                f"{op_name}: {name} must be a number or a one-element tensor, got shape "
                f"{tuple(value.shape)}"
            )
        return value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{op_name}: {name} must be a number, got {type(value).__name__}")
    return value


def _tensors(op_name: str, *operands) -> list[Tensor]:
    tensors = [as_tensor_operand(t, op_name) for t in operands]
    check_broadcastable(op_name, *(t.shape for t in tensors))
    return tensors


@op("lerp")
def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """Linear interpolation ``input + weight · (end - input)``, broadcasting.

    ``weight`` is a number or a tensor; as in PyTorch, ``end`` (and a weight tensor with dims)
    must have ``input``'s dtype, a floating-point one, and the formula switches to
    ``end - (end - input) · (1 - weight)`` where ``|weight| >= 0.5``, so ``weight = 1`` gives
    ``end`` exactly. Gradients: ``1 - weight``, ``weight`` and ``end - input``.
    """
    start, end = _tensors("lerp", input, end)
    if end.dtype != start.dtype:
        raise RuntimeError(
            f"lerp: expected dtype {start.dtype} for `end` but got dtype {end.dtype}"
        )
    kind = start._data.dtype.kind
    if isinstance(weight, Tensor):
        if weight.ndim and weight.dtype != start.dtype:
            raise RuntimeError(
                f"lerp: expected dtype {start.dtype} for `weight` but got dtype {weight.dtype}"
            )
        check_broadcastable("lerp", start.shape, end.shape, weight.shape)
    if kind != "f":
        raise NotImplementedError(f"lerp: expected floating-point tensors, got dtype {start.dtype}")
    difference = end - start
    if isinstance(weight, Tensor):
        if weight.dtype != start.dtype:  # a 0-d weight of another dtype is converted
            weight = cast(weight, start._data.dtype)
        small = abs(weight) < 0.5
        return where(small, start + difference * weight, end - difference * (1 - weight))
    # The weight in the tensors' precision, as PyTorch converts it (1 - w is then exact).
    w = float(
        array_module(start._data).asarray(_number(weight, "lerp", "weight"), start._data.dtype)
    )
    if -0.5 < w < 0.5:
        return start + difference * w
    return end - difference * (1 - w)


@op("addcmul")
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value · tensor1 · tensor2``, broadcasting; the three promote together.

    For an integer result ``value`` is converted to the integer type first (0.5 → 0), as in
    PyTorch; bool tensors are refused (NotImplementedError).
    """
    start, first, second = promote("addcmul", *_tensors("addcmul", input, tensor1, tensor2))
    value = _number(value, "addcmul", "value")
    kind = start._data.dtype.kind
    if kind == "b":
        raise NotImplementedError("addcmul: not implemented for bool tensors")
    if kind in "iu":
        value = int(value)
    return start + (first * second if value == 1 else first * value * second)


@op("addcdiv")
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value · tensor1 / tensor2`` (true division), broadcasting; the three promote
    together. As in PyTorch, ``tensor1`` and ``tensor2`` may not both be integer (or bool)
    tensors: that was once an integer division (RuntimeError)."""
    start, first, second = _tensors("addcdiv", input, tensor1, tensor2)
    if first._data.dtype.kind in "biu" and second._data.dtype.kind in "biu":
        raise RuntimeError(
            f"addcdiv: integer division with addcdiv is no longer supported (tensor1 is "
            f"{first.dtype}, tensor2 {second.dtype}); use (input + value * trunc(tensor1 / "
            f"tensor2)).to(input.dtype) for the old integer behaviour, or pass a float tensor"
        )
    start, first, second = promote("addcdiv", start, first, second)
    value = _number(value, "addcdiv", "value")
    return start + (first / second if value == 1 else first * value / second)
