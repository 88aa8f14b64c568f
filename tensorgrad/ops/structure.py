"""Structural ops: ``diagonal``, ``diag_embed``, ``diag``, ``trace``, ``roll``, ``kron``,
``tensordot``, ``cross`` and ``cdist``.

Two primitives cover the diagonals: ``Diagonal`` (a strided view, as in PyTorch) and
``DiagEmbed`` (zeros with a diagonal written), each the other's gradient. The rest are
composites of views, products and reductions, so they differentiate twice for free.
"""

from __future__ import annotations

import math
import numbers
import warnings

from .._backend import array_module
from .._registry import op
from .._shapes import broadcast_shape, normalize_dim
from .._tracing import constant
from ..tensor import Tensor
from ._op import Op
from ._util import promote, require_floating
from .conditional import where
from .joining import cat
from .matmul import matmul
from .statistics import norm


def _diagonal_view(xp, x, offset: int, dim1: int, dim2: int):
    """A writable view of the ``offset`` diagonal of ``x`` over ``dim1``/``dim2``, last (NumPy's
    ``diagonal`` returns a read-only view)."""
    window = [slice(None)] * x.ndim
    window[dim2 if offset >= 0 else dim1] = slice(abs(offset), None)
    shifted = x[tuple(window)]
    kept = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    length = min(shifted.shape[dim1], shifted.shape[dim2])
    shape = tuple(shifted.shape[d] for d in kept) + (length,)
    strides = tuple(shifted.strides[d] for d in kept) + (
        shifted.strides[dim1] + shifted.strides[dim2],
    )
    return xp.lib.stride_tricks.as_strided(shifted, shape, strides)


class Diagonal(Op):
    """out = the ``offset`` diagonal of x over dims ``dim1``, ``dim2``, as the last dim (a view)"""

    is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.offset, ctx.dims = x.shape, offset, (dim1, dim2)
        return _diagonal_view(ctx.xp, x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):  # the gradient written back on the diagonal of zeros
        dim1, dim2 = ctx.dims
        return DiagEmbed.apply(grad, shape=ctx.shape, offset=ctx.offset, dim1=dim1, dim2=dim2)


class DiagEmbed(Op):
    """out = zeros(shape) with x written on its ``offset`` diagonal over ``dim1``, ``dim2``"""

    @staticmethod
    def forward(ctx, x, shape, offset, dim1, dim2):
        ctx.offset, ctx.dims = offset, (dim1, dim2)
        out = ctx.xp.zeros(shape, dtype=x.dtype)
        _diagonal_view(ctx.xp, out, offset, dim1, dim2)[...] = x
        return out

    @staticmethod
    def backward(ctx, grad):  # read the diagonal back
        dim1, dim2 = ctx.dims
        return Diagonal.apply(grad, offset=ctx.offset, dim1=dim1, dim2=dim2)


def _two_dims(dim1: int, dim2: int, ndim: int, op: str) -> tuple[int, int]:
    first, second = normalize_dim(dim1, ndim, op), normalize_dim(dim2, ndim, op)
    if first == second:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical ({dim1}, {dim2})")
    return first, second


@op("diagonal")
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal (above the main one for offset > 0) of each matrix over dims
    ``dim1`` and ``dim2``, as a new last dim: (…, n, m) → (…, min(n, m - offset)) for the last
    two dims. A view: writing into it writes into ``input``."""
    first, second = _two_dims(dim1, dim2, input.ndim, "diagonal")
    return Diagonal.apply(input, offset=offset, dim1=first, dim2=second)


@op("diag_embed")
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (over the new dims ``dim1``, ``dim2``) whose ``offset`` diagonal is the last dim
    of ``input``, zeros elsewhere: (…, n) → (…, n + |offset|, n + |offset|) for the defaults."""
    first, second = _two_dims(dim1, dim2, input.ndim + 1, "diag_embed")
    side = input.shape[-1] + abs(offset)
    others = iter(input.shape[:-1])
    shape = tuple(side if d in (first, second) else next(others) for d in range(input.ndim + 1))
    return DiagEmbed.apply(input, shape=shape, offset=offset, dim1=first, dim2=second)


@op("diag")
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D (n,) → the (n + |diagonal|)² matrix with ``input`` on its ``diagonal``; 2-D → that
    diagonal of the matrix, as a 1-D copy."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, offset=diagonal, dim1=0, dim2=1).clone()
    raise RuntimeError(f"diag: supports 1-D or 2-D tensors, got shape {input.shape}")


@op("trace")
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor (integers sum to int64)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got a tensor of shape {input.shape}")
    if input._data.dtype.kind == "b":
        raise NotImplementedError("trace: not implemented for bool tensors")
    return Diagonal.apply(input, offset=0, dim1=0, dim2=1).sum()


def _as_tuple(value) -> tuple:
    return (value,) if isinstance(value, int) else tuple(value)


@op("roll")
def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Rotate elements along ``dims`` by ``shifts`` (ints or tuples of equal length): what
    leaves one end comes back at the other. Without ``dims`` the tensor is flattened, rolled
    and reshaped back."""
    shifts, dims = _as_tuple(shifts), () if dims is None else _as_tuple(dims)
    if not shifts:
        raise RuntimeError("roll: `shifts` required")
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {shifts} and dims () must align (one shift)")
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must align")
    if input.ndim == 0:
        raise IndexError(f"roll: dimension specified as {dims[0]} but tensor has no dimensions")
    out = input
    for shift, dim in zip(shifts, dims):
        axis = normalize_dim(dim, input.ndim, "roll")
        size = input.shape[axis]
        split = size - shift % size if size else 0
        if split in (0, size):
            continue
        lead = (slice(None),) * axis
        out = cat([out[lead + (slice(split, None),)], out[lead + (slice(0, split),)]], axis)
    return input.clone() if out is input else out


@op("kron")
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: for shapes (a₀, a₁, …) and (b₀, b₁, …) (the shorter padded with
    leading 1s) the result has shape (a₀b₀, a₁b₁, …) with block [i, j, …] = input[i, j, …]·other."""
    a, b = promote("kron", input, other)
    ndim = max(a.ndim, b.ndim)
    a_shape = (1,) * (ndim - a.ndim) + a.shape
    b_shape = (1,) * (ndim - b.ndim) + b.shape
    spread_a = a.reshape(tuple(s for side in a_shape for s in (side, 1)))
    spread_b = b.reshape(tuple(s for side in b_shape for s in (1, side)))
    return (spread_a * spread_b).reshape(tuple(p * q for p, q in zip(a_shape, b_shape)))


def _tensordot_dims(dims, a: Tensor, b: Tensor) -> tuple[list, list]:
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.ndim == 0 else dims.tolist()
    if isinstance(dims, numbers.Integral):
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(
                f"tensordot: expects dims <= the number of dims of both inputs, got dims={dims} "
                f"for shapes {a.shape} and {b.shape}"
            )
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if len(dims) != 2 or not all(isinstance(d, (list, tuple)) for d in dims):
        raise TypeError(f"tensordot: dims must be an int or a pair of lists of dims, got {dims!r}")
    first, second = (
        [normalize_dim(d, t.ndim, "tensordot") for d in ds] for ds, t in zip(dims, (a, b))
    )
    if len(first) != len(second):
        raise RuntimeError(
            f"tensordot: both dimension lists should have the same length, got {dims!r}"
        )
    for listed in (first, second):
        if len(set(listed)) != len(listed):
            raise RuntimeError(f"tensordot: a dim appears more than once in {listed}")
    return first, second


@op("tensordot", methods=())
def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract ``a`` and ``b`` over dims: an int n (the last n of ``a`` with the first n of
    ``b``) or a pair of lists (``([1, 2], [0, 1])``). The result has ``a``'s free dims then
    ``b``'s. Both inputs must have the same dtype, as in PyTorch."""
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"tensordot: both inputs should have the same dtype, got {a.dtype} and {b.dtype}"
        )
    first, second = _tensordot_dims(dims, a, b)
    for d, e in zip(first, second):
        if a.shape[d] != b.shape[e]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but a has size {a.shape[d]} "
                f"in dim {d} and b has size {b.shape[e]} in dim {e} (shapes {a.shape}, {b.shape})"
            )
    free_a = [d for d in range(a.ndim) if d not in first]
    free_b = [d for d in range(b.ndim) if d not in second]
    kept_a, kept_b = [a.shape[d] for d in free_a], [b.shape[d] for d in free_b]
    inner = math.prod(a.shape[d] for d in first)
    left = a.permute(free_a + first).reshape(math.prod(kept_a), inner)
    right = b.permute(second + free_b).reshape(inner, math.prod(kept_b))
    return matmul(left, right).reshape(tuple(kept_a + kept_b))


def _cross(input: Tensor, other: Tensor, dim: int, op: str) -> Tensor:
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"{op}: inputs must have the same number of dims, got shapes {input.shape} and "
            f"{other.shape}"
        )
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"{op}: inputs must have the same dtype, got {input.dtype} and {other.dtype}"
        )
    axis = normalize_dim(dim, input.ndim, op)
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(
            f"{op}: inputs dimension {dim} must have length 3, got {input.shape[axis]} "
            f"and {other.shape[axis]} (shapes {input.shape} and {other.shape})"
        )
    if broadcast_shape(input.shape, other.shape) is None:
        raise RuntimeError(f"{op}: shapes {input.shape} and {other.shape} do not broadcast")
    xp = array_module(input._data)
    lead = (slice(None),) * axis
    next_one = lead + (constant(Tensor(xp.asarray([1, 2, 0]))),)  # (a₁, a₂, a₀)
    next_two = lead + (constant(Tensor(xp.asarray([2, 0, 1]))),)  # (a₂, a₀, a₁)
    return input[next_one] * other[next_two] - input[next_two] * other[next_one]


@op("cross")
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (shapes broadcast, same number of dims and
    dtype). Without ``dim`` PyTorch takes the first dim of size 3 and warns that this is
    deprecated; tensorgrad does the same (pass ``dim`` or use ``linalg.cross``)."""
    if dim is None:
        warnings.warn(
            "cross: calling without dim is deprecated (as in PyTorch); pass dim explicitly or "
            "use tensorgrad.linalg.cross",
            UserWarning,
            stacklevel=2,
        )
        sizes = broadcast_shape(input.shape, other.shape) or input.shape
        dim = next((d for d, size in enumerate(sizes) if size == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {input.shape}")
    return _cross(input, other, dim, "cross")


_COMPUTE_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def _check_cdist(x1: Tensor, x2: Tensor, p: float, compute_mode: str) -> None:
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim < 2:
            raise RuntimeError(
                f"cdist: only supports at least 2-D tensors, {name} has shape {x.shape}"
            )
        require_floating(x, "cdist")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: x1 and x2 must have the same number of columns, got shapes {x1.shape} "
            f"and {x2.shape}"
        )
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(
            f"cdist: x1 and x2 must have the same dtype, got {x1.dtype} and {x2.dtype}"
        )
    if p < 0:
        raise RuntimeError(f"cdist: only supports non-negative p values, got {p}")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"cdist: {compute_mode} is not a valid value for compute_mode")
    if broadcast_shape(x1.shape[:-2], x2.shape[:-2]) is None:
        raise RuntimeError(
            f"cdist: batch dims of shapes {x1.shape} and {x2.shape} do not broadcast"
        )


@op("cdist", methods=())
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = _COMPUTE_MODES[0]) -> Tensor:
    """The p-norm distance between every row of ``x1`` (…, P, M) and of ``x2`` (…, R, M):
    (…, P, R), batch dims broadcast. The gradient at a zero distance is 0 (as PyTorch's).

    For p = 2 with more than 25 rows on either side (or ``compute_mode="use_mm_for_euclid_dist"``)
    the squared distance is |x1|² + |x2|² - 2·x1·x2ᵀ, one matrix product, as in PyTorch: faster,
    less memory, a little less exact. Otherwise the differences are formed. *Decision:* for
    p = inf a tie between coordinates splits the gradient (PyTorch gives each the whole).
    """
    _check_cdist(x1, x2, p, compute_mode)
    rows = max(x1.shape[-2], x2.shape[-2])
    if p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == _COMPUTE_MODES[0] and rows > 25)
    ):
        return _euclidean_by_product(x1, x2)
    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p in (0, 2, 1) or difference.shape[-1] == 0:
        return norm(difference, p if p in (0, 1) else 2, dim=-1)
    magnitude = difference.abs()
    if p == math.inf:
        return magnitude.amax(-1)
    # Σ|d|^p, then ^(1/p): both guarded at 0, where the derivative is infinite or undefined.
    positive = magnitude > 0
    powered = where(positive, where(positive, magnitude, 1) ** p, 0).sum(-1)
    nonzero = powered > 0
    return where(nonzero, where(nonzero, powered, 1) ** (1 / p), 0)


def _euclidean_by_product(x1: Tensor, x2: Tensor) -> Tensor:
    """PyTorch's matrix-product formulation of the 2-norm distance, with its rounding."""
    x1_norm = (x1 * x1).sum(-1, keepdim=True)
    x2_norm = (x2 * x2).sum(-1, keepdim=True)
    xp = array_module(x1._data)
    ones_1 = constant(Tensor(xp.ones_like(x1_norm._data)))
    ones_2 = constant(Tensor(xp.ones_like(x2_norm._data)))
    left = cat([x1 * -2, x1_norm, ones_1], -1)
    right = cat([x2, ones_2, x2_norm], -1)
    squared = matmul(left, right.mT)
    positive = squared > 0
    return where(positive, where(positive, squared, 1).sqrt(), 0)
