"""``tensorgrad.linalg``: PyTorch's ``torch.linalg`` namespace, for what tensorgrad has.

Norms (vector norms of any order; matrix norms ``'fro'``, ``'nuc'``, 2, -2, 1, -1, inf, -inf),
``matmul`` and ``vecdot``; solvers ``inv``, ``solve``, ``cholesky`` (and their ``_ex`` forms);
``det`` and ``slogdet``; decompositions ``qr``, ``eigh``/``eigvalsh`` and ``svd``/``svdvals``.
All work on batches of matrices (the last two dims) and are differentiable where PyTorch's
are, twice too. A singular or not positive-definite matrix raises :class:`LinAlgError`.
"""

from __future__ import annotations

import math

from .ops import amax, amin, matmul, permute, sum
from .ops import norm as _vector_norm
from .ops.decompositions import eigh, eigvalsh, qr, svd, svdvals
from .ops.determinants import det, slogdet
from .ops.linalg_ops import (
    LinAlgError,
    check_matrix,
    cholesky,
    cholesky_ex,
    inv,
    inv_ex,
    solve,
    solve_ex,
)
from .tensor import Tensor

__all__ = [
    "LinAlgError",
    "vector_norm",
    "matrix_norm",
    "norm",
    "matmul",
    "vecdot",
    "inv",
    "inv_ex",
    "det",
    "slogdet",
    "solve",
    "solve_ex",
    "cholesky",
    "cholesky_ex",
    "qr",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "cross",
]


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements, flattened, if None).

    ``ord``: any real number, ``inf`` or ``-inf`` (0 counts non-zeros). The 2-norm's gradient
    at the zero vector is 0.
    """
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """The matrix norm of each matrix in ``A`` (..., m, n) over the two dims ``dim``.

    ``ord``: ``'fro'`` (default), ``'nuc'`` (sum of the singular values), 2 / -2 (largest /
    smallest singular value), 1 / -1 (largest / smallest column sum of magnitudes),
    ``inf`` / ``-inf`` (largest / smallest row sum).
    """
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: expected a tensor of 2 or more dims, got {A.shape}"
        )
    rows, cols = (d % A.ndim for d in dim)
    if ord == "fro":
        return _vector_norm(A, 2, (rows, cols), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        return _singular_value_norm(A, ord, (rows, cols), keepdim, dtype)
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    summed_dim, kept_dim = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = sum(A.abs() if dtype is None else A.abs().to(dtype), summed_dim, keepdim=True)
    extreme = amax if ord > 0 else amin
    result = extreme(sums, kept_dim, keepdim=True)
    return result if keepdim else result.squeeze((rows, cols))


def _singular_value_norm(A: Tensor, ord, dims: tuple, keepdim: bool, dtype) -> Tensor:
    """The nuclear norm, or the largest (2) or smallest (-2) singular value."""
    check_matrix("linalg.matrix_norm", A, square=False)
    if dtype is not None:
        A = A.to(dtype)
    rows, cols = dims
    order = [d for d in range(A.ndim) if d not in dims] + [rows, cols]
    values = svdvals(permute(A, tuple(order)))
    result = sum(values, -1) if ord == "nuc" else (amax if ord == 2 else amin)(values, -1)
    if keepdim:
        for d in sorted(dims):
            result = result.unsqueeze(d)
    return result


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``vector_norm`` or ``matrix_norm``, as PyTorch chooses: a matrix norm when ``dim`` is a
    pair, or when ``ord`` is given with ``dim`` None and ``A`` is 2-D; the 2-norm of the
    flattened input when both are None."""
    if ord is None:
        return _vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if (isinstance(dim, (tuple, list)) and len(dim) == 2) or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if dim is None and A.ndim != 1:
        raise RuntimeError(
            f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or 2-D, got "
            f"shape {A.shape}"
        )
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def __getattr__(name: str):
    # A torch.linalg name tensorgrad lacks says so, instead of a bare AttributeError.
    if name.startswith("_"):
        raise AttributeError(f"module 'tensorgrad.linalg' has no attribute {name!r}")
    raise AttributeError(
        f"tensorgrad.linalg has no {name!r} (PyTorch's torch.linalg.{name}, if it exists, is "
        f"not implemented yet)",
        name=name,
    )


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the other dims."""
    return sum(x * y, dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default the last): same number of dims
    and dtype, other dims broadcast; ``tensorgrad.cross`` with a default dim."""
    return input.cross(other, dim=dim)
