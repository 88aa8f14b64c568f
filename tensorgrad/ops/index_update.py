"""Writing along a dim at index positions: ``index_add``, ``index_copy``, ``index_fill``, and
``masked_scatter`` (at a mask's True positions), with their in-place ``_`` forms.

Like the scatters (``scatter.py``) they are ``IndexAdd`` and ``IndexPut`` (``indexing.py``),
whose gradients are the matching reads, behind PyTorch's argument checks.
"""

from __future__ import annotations

from .._backend import array_module
from .._registry import op, tensor_method
from .._shapes import broadcast_shape, normalize_dim
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._util import scalar_tensor
from .indexing import IndexAdd, IndexPut, check_index_bounds, index_array_of
from .scatter import shaped_like, update_in_place


def _along_index(op: str, input: Tensor, dim: int, index, dtypes=("int32", "int64"), error=None):
    """(input seen as at least 1-D, the axis, the 1-D index array) for the index_* ops."""
    index_array = index_array_of(index, input, op, dtypes, error or RuntimeError)
    if index_array.ndim > 1:
        raise IndexError(
            f"{op}: index must be a vector (0-d or 1-D), got shape {index_array.shape}"
        )
    index_array = index_array.reshape(-1)
    axis = normalize_dim(dim, input.ndim, op)
    return (input.reshape(1) if input.ndim == 0 else input), axis, index_array


def _check_source(op: str, input: Tensor, axis: int, count: int, source, error) -> Tensor:
    """``source`` must match ``input`` (0-d: seen as 1-D) but along ``axis``, where it has
    ``count`` slices."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: source must be a Tensor, got {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}: self and source must have the same dtype, got {input.dtype} and {source.dtype}"
        )
    if source.ndim == 0 and input.ndim == 0:
        source = source.reshape(1)
    if input.ndim == 0:
        input = input.reshape(1)
    if source.ndim != input.ndim or any(
        a != b for d, (a, b) in enumerate(zip(input.shape, source.shape)) if d != axis
    ):
        raise RuntimeError(
            f"{op}: source shape {source.shape} must match the input's shape {input.shape} "
            f"except in dim {axis}"
        )
    if source.shape[axis] != count:
        raise error(
            f"{op}: number of indices ({count}) should equal source.size({axis}) "
            f"({source.shape[axis]})"
        )
    return source


@op("index_add")
@whole_if_needed
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added along ``dim`` at the positions
    ``index`` (a vector, int64/int32; repeats accumulate): for dim 0,
    ``out[index[i]] += alpha * source[i]``. ``source`` has the input's shape except in ``dim``,
    where it has ``len(index)`` slices."""
    flat, axis, index_array = _along_index("index_add", input, dim, index)
    source = _check_source("index_add", input, axis, index_array.size, source, RuntimeError)
    # PyTorch's CPU kernels raise RuntimeError along the first and last dims of a tensor of
    # 2 or more dims and IndexError otherwise: both matched.
    error = RuntimeError if input.ndim > 1 and axis in (0, input.ndim - 1) else IndexError
    check_index_bounds(index_array, flat.shape[axis], axis, "index_add", error)
    if flat._data.dtype.kind != "f":
        alpha = int(alpha)
    positions = (slice(None),) * axis + (index_array,)
    added = IndexAdd.apply(source, shape=flat.shape, index=positions)
    return shaped_like(flat + (added if alpha == 1 else added * alpha), input)


@op("index_copy")
@whole_if_needed
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written along ``dim`` at the positions
    ``index`` (an int64 vector): for dim 0, ``out[index[i]] = source[i]``."""
    flat, axis, index_array = _along_index("index_copy", input, dim, index, ("int64",))
    source = _check_source("index_copy", input, axis, index_array.size, source, IndexError)
    check_index_bounds(index_array, flat.shape[axis], axis, "index_copy", IndexError)
    positions = (slice(None),) * axis + (index_array,)
    return shaped_like(IndexPut.apply(flat, source, index=positions), input)


@op("index_fill")
@whole_if_needed
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor, differentiable) written
    along ``dim`` at the positions ``index`` (an int64 vector; negative counts from the end)."""
    if isinstance(index, Tensor) and index.ndim > 1:
        raise RuntimeError(f"index_fill: index has to be a vector or a scalar, got {index.shape}")
    flat, axis, index_array = _along_index("index_fill", input, dim, index, ("int64",), IndexError)
    size = flat.shape[axis]
    check_index_bounds(index_array, size, axis, "index_fill", IndexError, negative=True)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"index_fill: only a 0-dim value tensor is supported, got shape {value.shape}"
            )
        if value._data.dtype != flat._data.dtype:
            value = value.to(flat.dtype)
    else:
        value = scalar_tensor(value, flat._data.dtype, flat)
    # Filling twice is filling once: unique positions, so the value's gradient counts each once.
    unique = array_module(index_array).unique(index_array % max(size, 1))
    positions = (slice(None),) * axis + (unique,)
    return shaped_like(IndexPut.apply(flat, value, index=positions), input)


@op("masked_scatter")
@whole_if_needed
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) whose elements where ``mask`` is True take
    the elements of ``source`` in order (row-major; ``source`` needs at least as many elements
    as the mask has Trues, its shape does not matter)."""
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        dtype = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_scatter: only boolean masks are supported, got {dtype}")
    if not isinstance(source, Tensor) or source._data.dtype != input._data.dtype:
        dtype = source.dtype if isinstance(source, Tensor) else type(source).__name__
        raise RuntimeError(
            f"masked_scatter: expected self and source to have the same dtype, got "
            f"{input.dtype} and {dtype}"
        )
    shape = broadcast_shape(input.shape, mask.shape)
    if shape is None:
        raise RuntimeError(
            f"masked_scatter: mask of shape {mask.shape} does not broadcast with the input's "
            f"shape {input.shape}"
        )
    xp = array_module(input._data)
    mask_array = xp.broadcast_to(mask._data, shape)
    count = int(mask_array.sum())
    if source._data.size < count:
        raise RuntimeError(
            f"masked_scatter: source has {source._data.size} elements but the mask has "
            f"{count} True elements"
        )
    if input.shape != shape:
        input = input.expand(shape)
    values = source.reshape(-1)[:count]
    return IndexPut.apply(input, values, index=(mask_array,))


@tensor_method("index_add_")
@whole_if_needed
def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """In-place :func:`index_add`; returns ``self``."""
    return update_in_place(
        self, "index_add_", (source,), lambda t: index_add(t, dim, index, source, alpha=alpha)
    )


@tensor_method("index_copy_")
@whole_if_needed
def index_copy_(self: Tensor, dim: int, index: Tensor, tensor: Tensor) -> Tensor:
    """In-place :func:`index_copy`; returns ``self``."""
    return update_in_place(
        self, "index_copy_", (tensor,), lambda t: index_copy(t, dim, index, tensor)
    )


@tensor_method("index_fill_")
@whole_if_needed
def index_fill_(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """In-place :func:`index_fill`; returns ``self``."""
    return update_in_place(
        self, "index_fill_", (value,), lambda t: index_fill(t, dim, index, value)
    )


@tensor_method("masked_scatter_")
@whole_if_needed
def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """In-place :func:`masked_scatter` (``mask`` must broadcast to ``self``); returns ``self``."""
    return update_in_place(
        self, "masked_scatter_", (source,), lambda t: masked_scatter(t, mask, source)
    )
