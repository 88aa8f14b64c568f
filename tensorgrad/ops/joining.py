"""Joining and splitting tensors: cat/stack/hstack/vstack and narrow/split/chunk/unbind.

A join is one op (``Cat``) whose backward hands each input its slice; a split is a set of
views (basic indexing), so the pieces share memory with the input as in PyTorch.
"""

from __future__ import annotations

from .._registry import op
from .._shapes import normalize_dim
from ..tensor import Tensor
from ._op import Op
from ._util import promote
from .shape import unsqueeze


class Cat(Op):
    """out = the inputs joined along ``dim``"""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return ctx.xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):  # each input gets its slice
        lead = (slice(None),) * ctx.dim
        slices, start = [], 0
        for size in ctx.sizes:
            slices.append(grad[lead + (slice(start, start + size),)])
            start += size
        return tuple(slices)


def _tensors_argument(tensors, op: str) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op}: expected a non-empty sequence of tensors")
    for index, value in enumerate(tensors):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{op}: expected a sequence of Tensors, element {index} is {type(value).__name__}"
            )
    if len({t._data.dtype for t in tensors}) > 1:
        tensors = promote(op, *tensors)
    return tensors


@op("cat", "concat", "concatenate", methods=(), numpy=("concatenate",))
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = _tensors_argument(tensors, "cat")
    if any(t.ndim != 1 for t in tensors):
        # PyTorch skips legacy empty 1-D tensors (the "start from tensor([]) and append" idiom).
        tensors = [t for t in tensors if t.shape != (0,)] or tensors[:1]
    for index, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {index}) cannot be concatenated; "
                f"use stack, or reshape it to (1,)"
            )
    reference = tensors[0]
    axis = normalize_dim(dim, reference.ndim, "cat")
    for index, other in enumerate(tensors[1:], start=1):
        if other.ndim != reference.ndim or any(
            a != b for i, (a, b) in enumerate(zip(reference.shape, other.shape)) if i != axis
        ):
            raise RuntimeError(
                f"cat: tensors must have the same shape except in dim {axis}: tensor 0 has "
                f"shape {reference.shape}, tensor {index} has shape {other.shape}"
            )
    return Cat.apply(*tensors, dim=axis)


@op("stack", methods=(), numpy=("stack",))
def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _tensors_argument(tensors, "stack")
    reference = tensors[0].shape
    for index, other in enumerate(tensors[1:], start=1):
        if other.shape != reference:
            raise RuntimeError(
                f"stack: expects tensors of equal shape, got {reference} at entry 0 and "
                f"{other.shape} at entry {index}"
            )
    axis = normalize_dim(dim, len(reference) + 1, "stack")
    return Cat.apply(*[unsqueeze(t, axis) for t in tensors], dim=axis)


@op("hstack", methods=())
def hstack(tensors) -> Tensor:
    """Join along dim 1 (dim 0 for 0-D and 1-D tensors)."""
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


@op("vstack", methods=())
def vstack(tensors) -> Tensor:
    """Join along dim 0, 0-D and 1-D tensors taken as rows."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


@op("narrow")
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start`` … ``start + length - 1`` along ``dim`` (a view)."""
    if input.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    axis = normalize_dim(dim, input.ndim, "narrow")
    size = input.shape[axis]
    if start < 0:
        start += size
    if not (0 <= start <= size and length >= 0 and start + length <= size):
        raise IndexError(
            f"narrow: start {start} and length {length} are out of range for dim {axis} of "
            f"size {size}"
        )
    index = (slice(None),) * axis + (slice(start, start + length),)
    return input[index]


def _require_dims(input: Tensor, op: str) -> None:
    if input.ndim == 0:
        raise RuntimeError(f"{op}: expects at least a 1-dimensional tensor, got shape ()")


@op("split")
def split(input: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of size ``split_size`` (the last may be smaller) or of the given sizes."""
    _require_dims(input, "split")
    axis = normalize_dim(dim, input.ndim, "split")
    length = input.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, length - start) for start in range(0, length, step)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length:
            raise RuntimeError(
                f"split: sizes {sizes} add up to {sum(sizes)} but dim {axis} has size {length}"
            )
    pieces, start = [], 0
    for size in sizes:
        pieces.append(narrow(input, axis, start, size))
        start += size
    return tuple(pieces)


@op("chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of size ceil(n / chunks) (possibly fewer pieces)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    _require_dims(input, "chunk")
    axis = normalize_dim(dim, input.ndim, "chunk")
    size = -(-input.shape[axis] // chunks) or 1
    return split(input, size, axis)


@op("unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, with that dim removed."""
    if input.ndim == 0:
        raise IndexError(f"unbind: dimension specified as {dim} but tensor has no dimensions")
    axis = normalize_dim(dim, input.ndim, "unbind")
    return tuple(input[(slice(None),) * axis + (i,)] for i in range(input.shape[axis]))
