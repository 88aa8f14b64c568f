"""Indexing: ``x[...]``, ``gather``, ``index_select``, ``masked_fill`` and index assignment.

Every read is one op, ``Index``, whose backward adds the gradient into zeros at the same
positions (``IndexAdd``), so repeated indices accumulate; ``IndexAdd``'s own backward is an
``Index`` again, which is what makes higher-order gradients work through indexing.
"""

from __future__ import annotations

import math

from .._backend import array_module, default_module, ndarray
from .._registry import op, tensor_method
from .._shapes import normalize_dim
from ..tensor import Tensor
from ._op import Op
from ._util import promote
from .comparison import as_condition
from .conditional import where


class Index(Op):
    """out = x[index] with advanced (integer or boolean array) indices: a copy.

    ``unique=True`` promises that no position is read twice (max pooling over windows that do
    not overlap), so the backward can write the gradient instead of accumulating it.
    """

    @staticmethod
    def forward(ctx, x, index, unique=False):
        ctx.index, ctx.input_shape, ctx.unique = _frozen(ctx, index), x.shape, unique
        return x[index]

    @staticmethod
    def backward(ctx, grad):  # scatter-add into zeros of the input's shape
        return IndexAdd.apply(grad, shape=ctx.input_shape, index=ctx.index, unique=ctx.unique)


class BasicIndex(Index):
    """out = x[index] with ints, slices, None and Ellipsis only: a view."""

    is_view = True


class IndexAdd(Op):
    """out = zeros(shape) with ``grad`` added at ``index`` (repeated positions accumulate)."""

    @staticmethod
    def forward(ctx, grad, shape, index, unique=False):
        ctx.index = index
        xp = ctx.xp
        if unique or _is_basic(index):
            out = xp.zeros(shape, dtype=grad.dtype)
            out[index] = grad
            return out
        if (
            len(index) == len(shape)
            and grad.dtype.kind == "f"
            and all(isinstance(item, ndarray) and item.dtype.kind in "iu" for item in index)
        ):
            # One integer array per dim (gather, max pooling, embedding rows): a weighted
            # bincount over the flat positions is several times faster than add.at.
            positions = xp.ravel_multi_index(xp.broadcast_arrays(*index), shape, mode="wrap")
            weights = xp.broadcast_to(grad, positions.shape).ravel()
            sums = xp.bincount(positions.ravel(), weights=weights, minlength=math.prod(shape))
            return sums.reshape(shape).astype(grad.dtype, copy=False)
        out = xp.zeros(shape, dtype=grad.dtype)
        xp.add.at(out, index, grad)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _index_op(ctx.index).apply(grad, index=ctx.index)


class IndexPut(Op):
    """out = a copy of x with ``values`` written at ``index``."""

    @staticmethod
    def forward(ctx, x, values, index):
        ctx.index, ctx.values_shape = _frozen(ctx, index), values.shape
        out = x.copy()
        out[index] = values
        return out

    @staticmethod
    def backward(ctx, grad):  # x: the grad outside the written positions; values: the inside
        need_x, need_values = ctx.needs_input_grad
        index = ctx.index
        grad_x = grad_values = None
        if need_x:
            grad_x = IndexPut.apply(grad, ctx.xp.zeros((), dtype=grad.dtype), index=index)
        if need_values:
            grad_values = _index_op(index).apply(grad, index=index)
            missing = len(ctx.values_shape) - grad_values.ndim
            if missing > 0:  # NumPy dropped the values' leading size-1 dims when assigning
                grad_values = grad_values.reshape((1,) * missing + grad_values.shape)
        return grad_x, grad_values


def _frozen(ctx, index: tuple) -> tuple:
    """The index with its arrays copied when the op is recorded: backward reads them later,
    and an in-place change of the index tensor must not change the gradient."""
    if not any(ctx.needs_input_grad[:2]):
        return index
    return tuple(item.copy() if isinstance(item, ndarray) else item for item in index)


def _is_basic(index: tuple) -> bool:
    return all(not isinstance(item, ndarray) for item in index)


def _index_op(index: tuple):
    return BasicIndex if _is_basic(index) else Index


def _normalize_index(index, op: str) -> tuple:
    """Turn a user index into a tuple NumPy understands, with tensors and lists as arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    items = []
    for item in index:
        if isinstance(item, Tensor):
            item = item._data
            if item.dtype.kind not in "biu":
                raise IndexError(
                    f"{op}: tensors used as indices must be long, int or bool, got {item.dtype}"
                )
        elif isinstance(item, (list, ndarray)):
            item = default_module.asarray(item)
            if item.size == 0:
                item = item.astype("int64")
            if item.dtype.kind not in "biu":
                raise IndexError(f"{op}: list indices must be integers or booleans")
        elif isinstance(item, float):
            raise IndexError(
                f"{op}: only integers, slices, None, Ellipsis, and integer or "
                f"boolean tensors are valid indices (got a float)"
            )
        items.append(item)
    return tuple(items)


def _integers_first(input: Tensor, index: tuple) -> tuple[Tensor, tuple]:
    """``input`` indexed by the integers of ``index`` (a view), and what is left to apply."""
    first, rest = [], []
    for item in index:
        if type(item) is int:
            first.append(item)
        elif item is None:
            rest.append(item)
        elif item is Ellipsis:
            first.append(item)
            rest.append(item)
        else:  # a slice, or an index array consuming one dim (a mask: one per mask dim)
            first += [slice(None)] * (
                item.ndim if isinstance(item, ndarray) and item.dtype.kind == "b" else 1
            )
            rest.append(item)
    return BasicIndex.apply(input, index=tuple(first)), tuple(rest)


@tensor_method("__getitem__")
def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with ints, slices, None, Ellipsis, integer tensors/lists (repeated
    indices accumulate in the gradient) and boolean masks."""
    if type(index) is slice and input._data.ndim:  # x[a:b]: the common case
        normalized = (index,)
    else:
        normalized = _normalize_index(index, "index")
        if all(type(item) is int for item in normalized):
            # All ints: NumPy would return a copy; the Ellipsis makes it a 0-d view, so an
            # in-place change through it reaches the tensor, as in PyTorch.
            normalized += (Ellipsis,)
        elif any(type(item) is int for item in normalized) and not _is_basic(normalized):
            # PyTorch applies integers first, as basic indexing; NumPy counts them as advanced
            # indices, which moves the broadcast dims when a slice separates them.
            input, normalized = _integers_first(input, normalized)
    try:
        return _index_op(normalized).apply(input, index=normalized)
    except IndexError as error:
        raise IndexError(f"index: {error} (tensor of shape {input.shape})") from None


@op("index_put")
def index_put(input: Tensor, index, values) -> Tensor:
    """A copy of ``input`` with ``values`` (broadcast) written at ``index``; differentiable."""
    normalized = _normalize_index(index, "index_put")
    input, values = promote("index_put", input, values)
    if values._data.dtype != input._data.dtype:
        values = values.to(input.dtype)
    try:
        return IndexPut.apply(input, values, index=normalized)
    except (IndexError, ValueError) as error:
        raise type(error)(
            f"index_put: {error} (tensor of shape {input.shape}, values of shape {values.shape})"
        ) from None


@op("gather")
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for dim 0 (and likewise for other dims).

    ``index`` has the same number of dims as ``input`` and is no larger in any dim but ``dim``.
    """
    axis = normalize_dim(dim, input.ndim, "gather")
    index_array = index._data if isinstance(index, Tensor) else index
    if index_array.dtype.kind not in "iu":
        raise RuntimeError(f"gather: index must be an integer tensor, got {index_array.dtype}")
    if index_array.ndim != input.ndim:
        raise RuntimeError(
            f"gather: index has {index_array.ndim} dims but input has {input.ndim} "
            f"(shapes {index_array.shape} and {input.shape})"
        )
    for d, (size, limit) in enumerate(zip(index_array.shape, input.shape)):
        if d != axis and size > limit:
            raise RuntimeError(
                f"gather: index shape {index_array.shape} is larger than input shape "
                f"{input.shape} in dim {d}"
            )
    if index_array.size and (
        index_array.min() < -input.shape[axis] or index_array.max() >= input.shape[axis]
    ):
        raise IndexError(f"gather: index out of range for dim {axis} of size {input.shape[axis]}")
    xp = array_module(input._data)
    positions = list(xp.indices(index_array.shape, sparse=True))
    positions[axis] = index_array
    return Index.apply(input, index=tuple(positions))


@op("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: int) -> Tensor:
    """Select values along ``dim`` at ``indices`` (same dims as input), like NumPy's
    ``take_along_axis``."""
    return gather(input, dim, indices)


@op("index_select")
def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The slices of ``input`` at positions ``index`` (1-D integer) along ``dim``."""
    axis = normalize_dim(dim, input.ndim, "index_select")
    index_tensor = index if isinstance(index, Tensor) else Tensor(index)
    if index_tensor.ndim > 1 or index_tensor._data.dtype.kind not in "iu":
        raise IndexError(
            f"index_select: index must be a 1-D integer tensor, got shape {index_tensor.shape} "
            f"and dtype {index_tensor.dtype}"
        )
    return getitem(input, (slice(None),) * axis + (index_tensor.reshape(-1),))


@op("masked_fill")
def masked_fill(input: Tensor, mask, value) -> Tensor:
    """``input`` with ``value`` wherever the boolean ``mask`` (broadcast) is True."""
    mask = as_condition(mask, "masked_fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"masked_fill: value must be a number or a 0-dim tensor, got shape {value.shape}"
        )
    filled = where(mask, value, input)
    if filled._data.dtype != input._data.dtype:
        filled = filled.to(input.dtype)
    if filled.shape != input.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {mask.shape} does not broadcast to the input's shape "
            f"{input.shape}"
        )
    return filled
