"""Reductions over dims: sum, mean, prod, amax/amin, max/min, argmax/argmin, cumsum, all/any.

``dim`` may be None (every dim), an int or a sequence of ints, negative counting from the end;
``keepdim`` keeps reduced dims as size 1, exactly as in PyTorch.
"""

from __future__ import annotations

import math
from collections import namedtuple

from .._dtypes import to_numpy_dtype
from .._registry import op, tensor_method
from .._shapes import normalize_dim, normalize_dims, sum_to_axes
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._op import Op
from .arithmetic import maximum, minimum
from .conversion import cast
from .indexing import gather

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
_FLOAT16 = to_numpy_dtype("float16")
_ALL_DIMS = [tuple(range(n)) for n in range(65)]  # dim=None, precomputed per rank


def _kept_shape(shape: tuple, dims: tuple) -> tuple:
    """``shape`` with the reduced ``dims`` set to 1 (the keepdim=True shape)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def expand_reduced(xp, grad, input_shape: tuple, dims: tuple, keepdim: bool):
    """Broadcast a reduction's gradient (or output) back over the reduced dims."""
    if not keepdim:
        grad = grad.reshape(_kept_shape(input_shape, dims))
    return xp.broadcast_to(grad, input_shape)


class Sum(Op):
    """out = Σ x over dims"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.dims, ctx.keepdim, ctx.input_shape = dims, keepdim, x.shape
        if dtype is None and x.dtype.kind == "f":
            # The ufunc itself, not x.sum(): inf - inf then warns from this module, which the
            # ops' warning filter silences (x.sum() warns from NumPy's own _methods module).
            return ctx.xp.add.reduce(x, axis=dims, keepdims=keepdim)
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):  # d/dx = 1, spread over the reduced dims
        return expand_reduced(ctx.xp, grad, ctx.input_shape, ctx.dims, ctx.keepdim)


class SumTo(Op):
    """out = x summed down to a broadcast-compatible smaller shape (undoes broadcasting)."""

    @staticmethod
    def forward(ctx, x, dims, shape):
        ctx.input_shape = x.shape
        return x.sum(axis=dims, keepdims=True).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.broadcast_to(grad, ctx.input_shape)


@tensor_method("sum_to_size")
def sum_to_size(input: Tensor, *size) -> Tensor:
    """``input`` summed down to ``size``, which must broadcast to ``input.shape`` (PyTorch's
    ``Tensor.sum_to_size``: the reduction that undoes broadcasting)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if input.shape == shape:
        return input
    axes = sum_to_axes(input.shape, shape)
    if axes is None:
        raise RuntimeError(f"sum_to_size: size {shape} is not expandable to size {input.shape}")
    return SumTo.apply(input, dims=axes, shape=shape)


class Prod(Op):
    """out = Π x over dims"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        out = x.prod(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d/dx_i = Π_{j≠i} x_j, never dividing by a zero: (product of the nonzero x_j, j≠i)
        # times the product of the zeros elsewhere in the slice, which is 1 with none, 0 with
        # two or more, and with exactly one, x_z itself (value 0, written as the sum of the zero
        # entries so that its derivative is 1: second derivatives at zeros stay right).
        x, out = ctx.saved_tensors
        xp, dims, keepdim, shape = ctx.xp, ctx.dims, ctx.keepdim, x.shape

        def spread(value):
            return expand_reduced(xp, value, shape, dims, keepdim)

        is_zero = x == 0
        nonzero = xp.where(is_zero, 1, x)
        zeros_elsewhere = spread(is_zero.sum(axis=dims, keepdims=keepdim)) - is_zero * 1
        zero_entries = xp.where(is_zero, x, 0)
        zero_elsewhere = spread(zero_entries.sum(axis=dims, keepdims=keepdim))
        zero_factor = xp.where(
            zeros_elsewhere == 0,
            1,
            xp.where(zeros_elsewhere == 1, zero_elsewhere - zero_entries, 0),
        )
        product_of_nonzero = spread(nonzero.prod(axis=dims, keepdims=keepdim))
        others = product_of_nonzero / nonzero * zero_factor
        return spread(grad) * others


class Amax(Op):
    """out = max x over dims; ties share the gradient evenly (as PyTorch's amax)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest):
        ctx.dims, ctx.keepdim = dims, keepdim
        out = (x.max if largest else x.min)(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        xp, dims, keepdim, shape = ctx.xp, ctx.dims, ctx.keepdim, x.shape
        winners = x == expand_reduced(xp, out, shape, dims, keepdim)
        count = winners.sum(axis=dims, keepdims=True, dtype=grad.dtype)
        return xp.where(winners, expand_reduced(xp, grad, shape, dims, keepdim), 0) / count


class Cumsum(Op):
    """out_i = Σ_{j≤i} x_j along dim"""

    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        return ctx.xp.cumsum(x, axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):  # reverse cumulative sum
        xp, dim = ctx.xp, ctx.dim
        return xp.flip(xp.cumsum(xp.flip(grad, dim), dim), dim)


def _all_dims(dim) -> bool:
    """``dim=None`` and, as in PyTorch's sum/mean/amax/amin, an empty list mean every dim."""
    return dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0)


def reduced_shape(shape: tuple, dims: tuple, keepdim: bool) -> tuple:
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _check_nonempty(input: Tensor, dims: tuple, op: str, full: bool) -> None:
    """Max/min have no identity: PyTorch's RuntimeError for a full reduction of an empty
    tensor, IndexError for an explicit dim of size 0."""
    if input._data.size != 0:
        return
    if full:
        raise RuntimeError(
            f"{op}: cannot reduce an empty tensor (shape {input.shape}) without a dim; "
            f"specify the reduction dim"
        )
    for d in dims:  # (the builtin any() is shadowed by the op of that name here)
        if input.shape[d] == 0:
            raise IndexError(
                f"{op}: cannot reduce over dim {d} of size 0 (input shape {input.shape}); "
                f"the operation has no identity"
            )


def _numpy_keywords(dim, keepdim, axis, keepdims):
    """PyTorch also takes NumPy's spellings ``axis=`` and ``keepdims=``."""
    return (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)


@op("sum", numpy=("sum",))
def sum(input: Tensor, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001
    """Sum over ``dim`` (all dims if None). Integer and bool inputs sum to int64."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _numpy_keywords(dim, keepdim, axis, keepdims)
    dims = _ALL_DIMS[input.ndim] if _all_dims(dim) else normalize_dims(dim, input.ndim, "sum")
    np_dtype = None if dtype is None else to_numpy_dtype(dtype)
    if np_dtype is None and input._data.dtype.kind in "biu":
        np_dtype = to_numpy_dtype("int64")
    return Sum.apply(input, dims=dims, keepdim=keepdim, dtype=np_dtype)


@op("mean", numpy=("mean",))
def mean(input: Tensor, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim`` (all dims if None); floating-point inputs only, as in PyTorch."""
    dim, keepdim = _numpy_keywords(dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = cast(input, to_numpy_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean: could not infer output dtype; input dtype must be floating point, got "
            f"{input.dtype} (convert with .float())"
        )
    dims = normalize_dims(None if _all_dims(dim) else dim, input.ndim, "mean")
    count = math.prod(input.shape[d] for d in dims)
    if input._data.dtype == _FLOAT16:  # accumulate in float32, as PyTorch does
        return cast(sum(input, dims, keepdim, dtype="float32") / count, _FLOAT16)
    return sum(input, dims, keepdim) / count


@op("prod", numpy=("prod",))
def prod(input: Tensor, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product over ``dim`` (an int in PyTorch; None multiplies everything)."""
    dim, keepdim = _numpy_keywords(dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = cast(input, to_numpy_dtype(dtype))
    elif input._data.dtype.kind in "biu":  # integers multiply in int64, as in PyTorch
        input = cast(input, to_numpy_dtype("int64"))
    dims = normalize_dims(dim, input.ndim, "prod")
    return Prod.apply(input, dims=dims, keepdim=keepdim)


@op("amax")
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims when empty); ties share the gradient evenly."""
    dims = normalize_dims(None if _all_dims(dim) else dim, input.ndim, "amax")
    _check_nonempty(input, dims, "amax", full=dim in ((), None))
    return Amax.apply(input, dims=dims, keepdim=keepdim, largest=True)


@op("amin")
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims when empty); ties share the gradient evenly."""
    dims = normalize_dims(None if _all_dims(dim) else dim, input.ndim, "amin")
    _check_nonempty(input, dims, "amin", full=dim in ((), None))
    return Amax.apply(input, dims=dims, keepdim=keepdim, largest=False)


def _extreme(input: Tensor, dim, keepdim: bool, largest: bool, op: str):
    if dim is None:
        return amax(input) if largest else amin(input)
    if isinstance(dim, Tensor) or not isinstance(dim, int):  # max(input, other)
        return (maximum if largest else minimum)(input, dim)
    axis = normalize_dim(dim, input.ndim, op)
    _check_nonempty(input, (axis,) if input.ndim else (), op, full=False)
    indices = (argmax if largest else argmin)(input, axis, keepdim=True)
    values = gather(input, axis, indices) if input.ndim else input.clone()
    if not keepdim and input.ndim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(values, indices)


@op("max")
def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """``max(x)``: the largest element; ``max(x, dim)``: ``(values, indices)`` along ``dim``
    (gradient to the selected index); ``max(x, other)``: elementwise maximum."""
    return _extreme(input, dim, keepdim, True, "max")


@op("min")
def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """``min(x)``, ``min(x, dim) -> (values, indices)`` or ``min(x, other)``; see :func:`max`."""
    return _extreme(input, dim, keepdim, False, "min")


def _arg_extreme(input: Tensor, dim, keepdim: bool, largest: bool, op: str) -> Tensor:
    xp_function = input._data.argmax if largest else input._data.argmin
    if dim is None:
        if input._data.size == 0:
            raise IndexError(f"{op}: cannot take the {op} of an empty tensor")
        index = xp_function()
        result = Tensor(index).long()
        return result.reshape((1,) * input.ndim) if keepdim else result
    axis = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return Tensor(input._data.argmax()).long()
    _check_nonempty(input, (axis,), op, full=False)
    return Tensor(xp_function(axis=axis, keepdims=keepdim)).long()


@op("argmax")
@whole_if_needed
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor if ``dim`` is None), int64."""
    return _arg_extreme(input, dim, keepdim, True, "argmax")


@op("argmin")
@whole_if_needed
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor if ``dim`` is None), int64."""
    return _arg_extreme(input, dim, keepdim, False, "argmin")


@op("cumsum")
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``; integer inputs accumulate in int64."""
    axis = normalize_dim(dim, input.ndim, "cumsum")
    np_dtype = None if dtype is None else to_numpy_dtype(dtype)
    if np_dtype is None and input._data.dtype.kind in "biu":
        np_dtype = to_numpy_dtype("int64")
    if input.ndim == 0:
        return input.clone() if np_dtype is None else cast(input, np_dtype, copy=True)
    return Cumsum.apply(input, dim=axis, dtype=np_dtype)


@op("all")
@whole_if_needed
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``dim`` is non-zero (bool tensor)."""
    dims = normalize_dims(dim, input.ndim, "all")
    return Tensor(input._data.all(axis=dims, keepdims=keepdim))


@op("any")
@whole_if_needed
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``dim`` is non-zero (bool tensor)."""
    dims = normalize_dims(dim, input.ndim, "any")
    return Tensor(input._data.any(axis=dims, keepdims=keepdim))


@op("count_nonzero")
@whole_if_needed
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements over ``dim`` (int64)."""
    dims = normalize_dims(dim, input.ndim, "count_nonzero")
    return Tensor((input._data != 0).sum(axis=dims)).long()
