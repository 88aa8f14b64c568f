"""Indexing: ``x[...]``, ``gather``, ``index_select``, ``masked_fill`` and index assignment.

Every read is one op, ``Index``, whose backward adds the gradient into zeros at the same
positions (``IndexAdd``), so repeated indices accumulate; ``IndexAdd``'s own backward is an
``Index`` again, which is what makes higher-order gradients work through indexing.
"""

from __future__ import annotations

import math

from .._backend import (
    array_module,
    array_types,
    default_module,
    device_of,
    ndarray,
    transfer,
)
from .._registry import op, tensor_method
from .._shapes import broadcast_shape, normalize_dim
from .._tracing import whole_if_needed
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
            and all(is_array(item) and item.dtype.kind in "iu" for item in index)
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
    return tuple(item.copy() if is_array(item) else item for item in index)


def is_array(item) -> bool:
    """Whether ``item`` (a part of an index) is an array, on any device."""
    return type(item) in array_types or isinstance(item, ndarray)


def _is_basic(index: tuple) -> bool:
    return not any(is_array(item) for item in index)


def _index_op(index: tuple):
    return BasicIndex if _is_basic(index) else Index


def _normalize_index(index, op: str, input: Tensor | None = None) -> tuple:
    """Turn a user index into a tuple NumPy understands, with tensors and lists as arrays.

    With ``input`` (the tensor indexed), its arrays are put on the input's device: PyTorch
    lets CPU index tensors (and lists) index a tensor on any device, and refuses others.
    """
    if not isinstance(index, tuple):
        index = (index,)
    data = None if input is None else input._data
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
        if data is not None and is_array(item):
            item = _index_beside(item, data, op)
        items.append(item)
    return tuple(items)


def _index_beside(item, data, op: str):
    """The index part ``item`` on the device of ``data``, the array it indexes: host arrays are
    copied over, arrays on another device raise PyTorch's RuntimeError."""
    if type(item) is ndarray and type(data) is ndarray:
        return item
    there, here = device_of(item), device_of(data)
    if there == here:
        return item
    if there.type != "cpu":
        raise RuntimeError(
            f"{op}: indices should be either on cpu or on the same device as the indexed "
            f"tensor ({here})"
        )
    return transfer(item, here)


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
            first += [slice(None)] * (item.ndim if is_array(item) and item.dtype.kind == "b" else 1)
            rest.append(item)
    return BasicIndex.apply(input, index=tuple(first)), tuple(rest)


@tensor_method("__getitem__")
@whole_if_needed
def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with ints, slices, None, Ellipsis, integer tensors/lists (repeated
    indices accumulate in the gradient) and boolean masks."""
    if type(index) is slice and input._data.ndim:  # x[a:b]: the common case
        normalized = (index,)
    else:
        normalized = _normalize_index(index, "index", input)
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
    normalized = _normalize_index(index, "index_put", input)
    input, values = promote("index_put", input, values)
    if values._data.dtype != input._data.dtype:
        values = values.to(input.dtype)
    try:
        return IndexPut.apply(input, values, index=normalized)
    except (IndexError, ValueError) as error:
        raise type(error)(
            f"index_put: {error} (tensor of shape {input.shape}, values of shape {values.shape})"
        ) from None


def index_array_of(
    index, input: Tensor, op: str, dtypes: tuple = ("int32", "int64"), error=RuntimeError
):
    """The integer array of an index argument (a Tensor, array or list) on ``input``'s device,
    of one of ``dtypes`` (else ``error``, PyTorch's exception type for ``op``)."""
    array = index_data(index, input, op)
    if array.dtype.name not in dtypes:
        if array.size == 0 and array.dtype.kind == "f":  # an empty list: no index at all
            return array.astype("int64")
        raise error(
            f"{op}: expected an index tensor of dtype {' or '.join(dtypes)}, got {array.dtype}"
        )
    return array


def index_data(index, input: Tensor, op: str):
    """The array of an index argument on ``input``'s device: lists and host arrays are copied
    there; an index tensor must be there already (PyTorch's RuntimeError otherwise)."""
    data = input._data
    if isinstance(index, Tensor):
        array = index._data
        if type(array) is ndarray and type(data) is ndarray:
            return array
        here, there = device_of(data), device_of(array)
        if here != there:
            raise RuntimeError(
                f"{op}: Expected all tensors to be on the same device, but found at least two "
                f"devices, {here} and {there}!"
            )
        return array
    array = index if is_array(index) else default_module.asarray(index)
    if type(array) is not ndarray or type(data) is not ndarray:
        array = transfer(array, device_of(data))
    return array


def check_index_bounds(index, size: int, dim: int, op: str, error=RuntimeError, negative=False):
    """Raise ``error`` naming the first index outside ``[0, size)`` (``[-size, size)`` with
    ``negative``) for dimension ``dim``."""
    if index.size == 0:
        return
    low = -size if negative else 0
    if index.min() < low or index.max() >= size:
        bad = index[(index < low) | (index >= size)].ravel()[0]
        raise error(f"{op}: index {int(bad)} is out of bounds for dimension {dim} with size {size}")


def along_dim(xp, index, axis: int) -> tuple:
    """The advanced index reading ``x[i][j][index[i][j][k]]`` (for ``axis`` 2) at every position
    of ``index``: where ``gather`` reads and the scatters write."""
    # numpy.indices(sparse=True), written out: CuPy's indices has no sparse grids.
    ndim = index.ndim
    return tuple(
        index if d == axis else xp.arange(size).reshape((1,) * d + (size,) + (1,) * (ndim - d - 1))
        for d, size in enumerate(index.shape)
    )


def check_index_shape(op: str, index_shape, input_shape, axis: int, src_shape=None) -> None:
    """PyTorch's gather/scatter rule: ``index`` has the input's number of dims (a 0-d tensor
    counting as 1-D) and is no larger than the input in any dim but ``axis`` (nor than ``src``
    in any dim)."""
    for name, shape in (("input", input_shape), ("src", src_shape)):
        if shape is not None and max(len(index_shape), 1) != max(len(shape), 1):
            raise RuntimeError(
                f"{op}: index has {len(index_shape)} dims but {name} has {len(shape)} (shapes "
                f"{index_shape} and {shape}); they must have the same number of dims"
            )
    if src_shape is not None and not src_shape:
        src_shape = (1,)
    for d, (size, limit) in enumerate(zip(index_shape, input_shape)):
        if (d != axis and size > limit) or (src_shape is not None and size > src_shape[d]):
            against = f"input shape {input_shape} apart from dim {axis}"
            if src_shape is not None:
                against += f" and than src shape {src_shape}"
            raise RuntimeError(
                f"{op}: index shape {index_shape} must be no larger than {against} (dim {d})"
            )


@op("gather")
@whole_if_needed
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for dim 0 (and likewise for other dims).

    ``index`` (int64 or int32) has the same number of dims as ``input`` and is no larger in
    any dim but ``dim``; the output has ``index``'s shape. Every index must be in
    ``[0, input.shape[dim])`` (PyTorch's RuntimeError otherwise: negative indices do not count
    from the end). The gradient adds into the input at the gathered positions (``sparse_grad``
    is accepted; the gradient is always dense).
    """
    index_array = index_array_of(index, input, "gather")
    axis = normalize_dim(dim, input.ndim, "gather")
    check_index_shape("gather", index_array.shape, input.shape, axis)
    shape = index_array.shape
    if input.ndim == 0 or index_array.ndim == 0:  # PyTorch treats a 0-d tensor as 1-D here
        input, index_array = input.reshape(-1), index_array.reshape(-1)
    check_index_bounds(index_array, input.shape[axis], axis, "gather")
    out = Index.apply(input, index=along_dim(array_module(input._data), index_array, axis))
    return out if out.shape == shape else out.reshape(shape)


@op("take_along_dim")
@whole_if_needed
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` (int64) along ``dim``, like NumPy's ``take_along_axis``.

    ``input`` and ``indices`` have the same number of dims and broadcast in all but ``dim``;
    indices in ``[-size, size)`` (negative ones count from the end). With ``dim=None`` both
    are flattened and indices must be in ``[0, numel)``, as in PyTorch.
    *Decision:* PyTorch wraps an index outside ``[-size, size)`` around silently (modulo the
    size) when ``dim`` is given; tensorgrad raises its RuntimeError instead.
    """
    index_array = index_array_of(indices, input, "take_along_dim", ("int64",))
    if dim is None:
        return gather(input.reshape(-1), 0, Tensor(index_array.reshape(-1)))
    if input.ndim == 0:
        raise IndexError(f"take_along_dim: dimension specified as {dim} but tensor has no dims")
    axis = normalize_dim(dim, input.ndim, "take_along_dim")
    if index_array.ndim != input.ndim:
        raise RuntimeError(
            f"take_along_dim: input and indices should have the same number of dims, got "
            f"shapes {input.shape} and {index_array.shape}"
        )
    others = [(a, b) for d, (a, b) in enumerate(zip(input.shape, index_array.shape)) if d != axis]
    sizes = broadcast_shape(*zip(*others)) if others else ()
    if sizes is None:
        raise RuntimeError(
            f"take_along_dim: input of shape {input.shape} and indices of shape "
            f"{index_array.shape} do not broadcast in the dims other than {axis}"
        )
    sizes = list(sizes)
    input = input.expand(tuple(sizes[:axis] + [input.shape[axis]] + sizes[axis:]))
    size = input.shape[axis]
    check_index_bounds(index_array, size, axis, "take_along_dim", negative=True)
    xp = array_module(input._data)
    index_array = xp.broadcast_to(
        index_array % max(size, 1), tuple(sizes[:axis] + [index_array.shape[axis]] + sizes[axis:])
    )
    return Index.apply(input, index=along_dim(xp, index_array, axis))


@op("take")
@whole_if_needed
def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` as 1-D, read at ``index`` (int64, any shape; negative counts from the end):
    the output has ``index``'s shape."""
    index_array = index_array_of(index, input, "take", ("int64",))
    count = input._data.size
    if count == 0 and index_array.size:
        raise IndexError("take: tried to take from an empty tensor")
    check_index_bounds(index_array, count, 0, "take", IndexError, negative=True)
    flat = index_array % max(count, 1)
    return Index.apply(input.reshape(-1), index=(flat,))


@op("index_select")
@whole_if_needed
def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The slices of ``input`` at positions ``index`` (a 0-d or 1-D int64/int32 tensor) along
    ``dim``; every index must be in ``[0, input.shape[dim])``.

    PyTorch raises an IndexError for an index out of range, except along dim 1 of a tensor of
    two or more dims, where its CPU kernel raises a RuntimeError: both are matched.
    """
    axis = normalize_dim(dim, input.ndim, "index_select")
    index_array = index_data(index, input, "index_select")
    if index_array.ndim > 1:
        raise IndexError(
            f"index_select: index must be a vector (0-d or 1-D), got shape {index_array.shape}"
        )
    index_array = index_array_of(index_array, input, "index_select").reshape(-1)
    if input.ndim == 0:
        if index_array.size != 1:
            raise RuntimeError(
                f"index_select: the index into a 0-d tensor can have only 1 value, got "
                f"{index_array.size}"
            )
        check_index_bounds(index_array, 1, 0, "index_select", IndexError)
        return Index.apply(input.reshape(1), index=(index_array,)).reshape(())
    error = RuntimeError if axis == 1 else IndexError
    check_index_bounds(index_array, input.shape[axis], axis, "index_select", error)
    return Index.apply(input, index=(slice(None),) * axis + (index_array,))


@op("masked_fill")
@whole_if_needed
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
