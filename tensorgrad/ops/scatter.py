"""Scatters: ``scatter``, ``scatter_add``, ``scatter_reduce`` and their in-place ``_`` forms
(``index_add``, ``index_copy``, ``index_fill`` and ``masked_scatter`` are in ``index_update.py``).

A scatter writes ``src[i][j][k]`` to ``out[index[i][j][k]][j][k]`` (for dim 0): the positions
``gather`` reads. Writing is ``IndexPut`` and adding is ``IndexAdd`` (``indexing.py``), whose
gradients are gathers, so most of this file is argument checking around those two. A product
and a max/min over the values sent to each position need primitives of their own:
``ScatterProd`` (zero-safe, like ``prod``) and ``ScatterExtreme`` (ties share the gradient).
"""

from __future__ import annotations

import warnings

from .._backend import array_module, ndarray
from .._registry import op, tensor_method
from .._shapes import normalize_dim
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._op import Op
from ._util import is_scalar, scalar_tensor
from .arithmetic import div
from .indexing import (
    Index,
    IndexAdd,
    IndexPut,
    along_dim,
    check_index_bounds,
    check_index_shape,
    index_array_of,
)
from .inplace import _inplace


class ScatterProd(Op):
    """out = ones(shape) with each element of ``src`` multiplied in at its position"""

    @staticmethod
    def forward(ctx, src, shape, index):
        ctx.shape, ctx.index = shape, index
        out = ctx.xp.ones(shape, dtype=src.dtype)
        _multiply_at(ctx.xp, out, index, src)
        if ctx.needs_input_grad[0]:
            # Constant masks: which src elements are 0, and how many other zeros share their
            # position (1 with none, 0 with two or more, their own value with exactly one).
            is_zero = src == 0
            counts = ctx.xp.zeros(shape, dtype="int64")
            ctx.xp.add.at(counts, index, is_zero)
            ctx.save_for_backward(src, is_zero, counts[index] - is_zero)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d out_p / d src_i = Π_{j ≠ i at p} src_j, never dividing by a zero (as Prod does): the
        # product of the nonzero others times the zero-factor; with exactly one other zero that
        # factor is the sum of the zero entries at p minus this one, so second derivatives at
        # zeros stay right.
        src, is_zero, zeros_elsewhere = ctx.saved_tensors
        xp, shape, index = ctx.xp, ctx.shape, ctx.index
        nonzero = xp.where(is_zero, 1, src)
        zero_entries = xp.where(is_zero, src, 0)
        other_zero = Index.apply(
            IndexAdd.apply(zero_entries, shape=shape, index=index), index=index
        )
        zero_factor = xp.where(
            zeros_elsewhere == 0, 1, xp.where(zeros_elsewhere == 1, other_zero - zero_entries, 0)
        )
        products = Index.apply(ScatterProd.apply(nonzero, shape=shape, index=index), index=index)
        return Index.apply(grad, index=index) * (products / nonzero * zero_factor)


def _multiply_at(xp, out, index, src) -> None:
    """``numpy.multiply.at(out, index, src)`` for a contiguous ``out``.

    CuPy has no ``multiply.at``, so off the CPU the factors are sorted by the position they go
    to (stably: the order ``multiply.at`` takes them in) and multiplied in rounds, a position's
    k-th factor in round k, so that no round writes a position twice.
    """
    if type(out) is ndarray:
        xp.multiply.at(out, index, src)
        return
    grid = xp.ravel_multi_index(xp.broadcast_arrays(*index), out.shape, mode="wrap")
    order = xp.argsort(grid.ravel(), kind="stable")
    positions = grid.ravel()[order]
    factors = xp.broadcast_to(src, grid.shape).ravel()[order]
    rank = xp.arange(positions.size) - xp.searchsorted(positions, positions)
    flat = out.reshape(-1)  # a view: writing it writes out
    for k in range(int(rank.max()) + 1 if rank.size else 0):
        chosen = rank == k
        targets = positions[chosen]
        flat[targets] = flat[targets] * factors[chosen]


class ScatterExtreme(Op):
    """out = the max (or min) of x and the ``src`` values sent to each position (x only where
    none is sent, without ``include_self``); tied winners share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, src, index, largest, include_self):
        xp = ctx.xp
        ctx.index = index
        dtype = x.dtype
        if dtype.kind == "f":
            identity = -xp.inf if largest else xp.inf
        elif dtype.kind == "b":
            identity = not largest
        else:
            limits = xp.iinfo(dtype)
            identity = limits.min if largest else limits.max
        reduced = xp.full(x.shape, identity, dtype=dtype)
        (xp.maximum if largest else xp.minimum).at(reduced, index, src)
        touched = xp.zeros(x.shape, dtype=bool)
        touched[index] = True
        if include_self:
            out = (xp.maximum if largest else xp.minimum)(x, reduced)
        else:
            out = xp.where(touched, reduced, x)
        if any(ctx.needs_input_grad[:2]):
            # The op is piecewise linear: its gradient is a constant share per element.
            x_wins = (x == out) & (~touched | include_self)
            src_wins = src == out[index]
            count = x_wins.astype(dtype)
            xp.add.at(count, index, src_wins)
            count = xp.maximum(count, 1)
            ctx.save_for_backward(
                xp.where(x_wins, 1 / count, 0).astype(dtype),
                xp.where(src_wins, 1 / count[index], 0).astype(dtype),
            )
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_src = ctx.needs_input_grad
        x_share, src_share = ctx.saved_tensors
        grad_x = grad * x_share if need_x else None
        grad_src = Index.apply(grad, index=ctx.index) * src_share if need_src else None
        return grad_x, grad_src


def _positions(op: str, input: Tensor, dim: int, index, src_shape=None):
    """Checked scatter positions: (input seen as at least 1-D, the advanced index, the index's
    shape, the axis)."""
    index_array = index_array_of(index, input, op)
    axis = normalize_dim(dim, input.ndim, op)
    check_index_shape(op, index_array.shape, input.shape, axis, src_shape)
    if input.ndim == 0 or index_array.ndim == 0:  # a 0-d tensor counts as 1-D, as in PyTorch
        input, index_array = input.reshape(-1), index_array.reshape(-1)
    check_index_bounds(index_array, input.shape[axis], axis, op)
    return input, along_dim(array_module(input._data), index_array, axis), index_array.shape


def _source(op: str, input: Tensor, src, index_shape: tuple) -> Tensor:
    """``src`` cut to the index's shape (the elements a scatter reads), of the input's dtype."""
    if is_scalar(src):
        return scalar_tensor(src, input._data.dtype, input)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: src must be a Tensor or a number, got {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}: expected self and src to have the same dtype, got {input.dtype} and {src.dtype}"
        )
    if src.ndim == 0:
        src = src.reshape(-1)
    if src.shape != index_shape:
        src = src[tuple(slice(0, size) for size in index_shape)]
    return src


def shaped_like(result: Tensor, input: Tensor) -> Tensor:
    return result if result.shape == input.shape else result.reshape(input.shape)


@op("scatter")
@whole_if_needed
def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src[i][j][k]`` written at ``[index[i][j][k]][j][k]`` (dim 0;
    likewise for other dims), or the number ``value`` at those positions.

    ``index`` (int64/int32) has the input's number of dims, is no larger than ``src`` in every
    dim and than ``input`` in all but ``dim``, and holds indices in ``[0, input.shape[dim])``.
    Where an index repeats, one of the values wins (NumPy: the last; PyTorch leaves it
    unspecified). Gradients: ``input`` gets the gradient outside the written positions, ``src``
    the gradient gathered at them. The legacy ``reduce="add"``/``"multiply"`` is
    :func:`scatter_reduce` with ``"sum"``/``"prod"`` (differentiable here; PyTorch has no
    derivative for it).
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: expected src (a Tensor) or value (a number)")
    if reduce is not None:
        names = {"add": "sum", "multiply": "prod"}
        if reduce not in names:
            raise RuntimeError(
                f"scatter: reduce must be either 'add' or 'multiply', got {reduce!r}"
            )
        if isinstance(src, Tensor):
            warnings.warn(
                "scatter: the reduce argument with a Tensor src is deprecated in PyTorch; use "
                "scatter_reduce",
                UserWarning,
                stacklevel=2,
            )
        else:
            shape = index_array_of(index, input, "scatter").shape
            src = _source("scatter", input, src, ()).expand(shape)
        return scatter_reduce(input, dim, index, src, names[reduce])
    shape = src.shape if isinstance(src, Tensor) else None
    flat, positions, index_shape = _positions("scatter", input, dim, index, shape)
    values = _source("scatter", input, src, index_shape)
    return shaped_like(IndexPut.apply(flat, values, index=positions), input)


@op("scatter_add")
@whole_if_needed
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src[i][j][k]`` added at ``[index[i][j][k]][j][k]`` (dim 0;
    likewise for other dims); repeated indices accumulate. Index rules as :func:`scatter`."""
    return scatter_reduce(input, dim, index, src, "sum")


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@op("scatter_reduce")
@whole_if_needed
def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce the ``src`` values sent to each position of ``input`` (as :func:`scatter` sends
    them) with ``reduce``: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``. With
    ``include_self`` the input's own value takes part; positions no value is sent to keep it.

    An integer ``"mean"`` rounds down, as in PyTorch. Gradients are PyTorch's: ``prod`` is exact
    at zeros, ``amax``/``amin`` split the gradient evenly among tied winners. *Decision:*
    without ``include_self`` PyTorch still counts an input that equals the winning value among
    the ties (halving the winners' share); tensorgrad counts only the values that took part.
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch accepts these too
    if reduce not in _REDUCTIONS:
        raise RuntimeError(
            f"scatter_reduce: reduce must be one of sum, prod, mean, amax or amin, got {reduce!r}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a Tensor, got {type(src).__name__}")
    op_name = "scatter_add" if reduce == "sum" and include_self else "scatter_reduce"
    flat, positions, index_shape = _positions(op_name, input, dim, index, src.shape)
    values = _source(op_name, input, src, index_shape)
    dtype = flat._data.dtype
    if reduce in ("amax", "amin"):
        out = ScatterExtreme.apply(
            flat, values, index=positions, largest=reduce == "amax", include_self=include_self
        )
        return shaped_like(out, input)
    if dtype.kind == "b" and reduce == "mean":
        raise NotImplementedError("scatter_reduce: reduce='mean' is not implemented for bool")
    if not include_self:  # the positions written to forget the input's value
        identity = scalar_tensor(1 if reduce == "prod" else 0, dtype, flat)
        flat = IndexPut.apply(flat, identity, index=positions)
    if reduce == "prod":
        out = flat * ScatterProd.apply(values, shape=flat.shape, index=positions)
    else:
        out = flat + IndexAdd.apply(values, shape=flat.shape, index=positions)
    if reduce == "mean":
        xp = array_module(flat._data)
        count = xp.zeros(flat.shape, dtype=dtype)
        xp.add.at(count, positions, 1)
        count = Tensor(xp.maximum(count + include_self, 1))
        out = out / count if dtype.kind == "f" else div(out, count, rounding_mode="floor")
    return shaped_like(out, input)


# ----------------------------------------------------------------------------- in place


def update_in_place(self: Tensor, op: str, others: tuple, out_of_place) -> Tensor:
    """Run ``out_of_place(self)`` and write its value into ``self`` (see ``inplace.py``)."""

    def update(array):
        array_module(array).copyto(array, out_of_place(self)._data)

    return _inplace(self, op, others, out_of_place, update)


@tensor_method("scatter_")
@whole_if_needed
def scatter_(self: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """In-place :func:`scatter`; returns ``self``."""
    source = value if src is None else src
    return update_in_place(
        self,
        "scatter_",
        (source,),
        lambda t: scatter(t, dim, index, src, value=value, reduce=reduce),
    )


@tensor_method("scatter_add_")
@whole_if_needed
def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In-place :func:`scatter_add`; returns ``self``."""
    return update_in_place(self, "scatter_add_", (src,), lambda t: scatter_add(t, dim, index, src))


@tensor_method("scatter_reduce_")
@whole_if_needed
def scatter_reduce_(
    self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """In-place :func:`scatter_reduce`; returns ``self``."""
    return update_in_place(
        self,
        "scatter_reduce_",
        (src,),
        lambda t: scatter_reduce(t, dim, index, src, reduce, include_self=include_self),
    )
