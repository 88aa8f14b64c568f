"""Selecting elements by order or position: sort, argsort, topk, tril, triu.

The values are read with ``gather`` (or ``where`` for the triangles), so gradients flow to the
selected elements only, exactly as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

from .._backend import array_module
from .._registry import op
from .._shapes import normalize_dim
from .._tracing import constant, whole_if_needed
from ..tensor import Tensor
from ._util import scalar_tensor
from .conditional import where
from .indexing import gather

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


@op("argsort")
@whole_if_needed
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """The int64 indices that sort ``input`` along ``dim`` (no gradient)."""
    if input.ndim == 0:
        return Tensor(array_module(input._data).zeros((), dtype="int64"))
    axis = normalize_dim(dim, input.ndim, "argsort")
    xp = array_module(input._data)
    data = input._data
    if not descending:
        return Tensor(xp.argsort(data, axis=axis, kind="stable").astype("int64"))
    # Descending without negating (wrong for unsigned ints, the minimum int and NaN): sort the
    # reversed array ascending and reverse back; NaN first and ties in order, as in PyTorch.
    size = data.shape[axis]
    order = xp.argsort(xp.flip(data, axis), axis=axis, kind="stable")
    return Tensor((size - 1 - xp.flip(order, axis)).astype("int64"))


@op("sort")
@whole_if_needed
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` of ``input`` sorted along ``dim``; gradients follow the values."""
    indices = argsort(input, dim, descending, stable)
    if input.ndim == 0:
        return ValuesIndices(input.clone(), indices)
    return ValuesIndices(gather(input, dim, indices), indices)


@op("topk")
@whole_if_needed
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``.

    Shapes: ``input`` (*) → both (*) with ``dim`` of size ``k``; indices int64. NaN counts
    as the largest value. Sorted (largest or smallest first) whatever ``sorted`` says. Equal
    values come lowest index first: PyTorch leaves their order unspecified (its CPU kernel's
    order among ties comes from ``std::nth_element``), so only the values are sure to match
    there.
    """
    if input._data.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes")
    axis = normalize_dim(dim, input.ndim, "topk")
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: k={k} is out of range for dim {axis} of size {size}")
    indices = argsort(input, axis, descending=largest)
    if input.ndim:
        indices = indices.narrow(axis, 0, k)
    return ValuesIndices(gather(input, axis, indices) if input.ndim else input.clone(), indices)


def _triangle(input: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{op}: expects a tensor with at least 2 dims, got shape {input.shape}")
    xp = array_module(input._data)
    rows, cols = input.shape[-2:]
    mask = xp.tri(rows, cols, k=diagonal, dtype=bool)
    if not lower:
        mask = ~xp.tri(rows, cols, k=diagonal - 1, dtype=bool)
    return where(constant(Tensor(mask)), input, scalar_tensor(0, input._data.dtype, input))


@op("tril")
@whole_if_needed
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements with col - row <= diagonal)."""
    return _triangle(input, diagonal, True, "tril")


@op("triu")
@whole_if_needed
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements with col - row >= diagonal)."""
    return _triangle(input, diagonal, False, "triu")
