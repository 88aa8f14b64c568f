"""``tensorgrad.linalg``: PyTorch's ``torch.linalg`` namespace, for what tensorgrad has.

Norms (vector norms of any order; matrix norms ``'fro'``, 1, -1, inf, -inf), ``matmul`` and
``vecdot``. Decompositions and solvers (``svd``, ``inv``, ``solve``, the nuclear and spectral
norms that need them) are not implemented and raise NotImplementedError.
"""

from __future__ import annotations

import math

from .ops import amax, amin, matmul, sum
from .ops import norm as _vector_norm
from .tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "matmul", "vecdot"]


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

    ``ord``: ``'fro'`` (default), 1 / -1 (largest / smallest column sum of magnitudes),
    ``inf`` / ``-inf`` (largest / smallest row sum).
    """
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: expected a tensor of 2 or more dims, got {A.shape}"
        )
    rows, cols = (d % A.ndim for d in dim)
    if ord == "fro":
        return _vector_norm(A, 2, (rows, cols), keepdim, dtype=dtype)
    if ord not in (1, -1, math.inf, -math.inf):
        raise NotImplementedError(
            f"linalg.matrix_norm: ord={ord!r} needs a singular value decomposition, which "
            f"tensorgrad does not have; use 'fro', 1, -1, inf or -inf"
        )
    summed_dim, kept_dim = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = sum(A.abs() if dtype is None else A.abs().to(dtype), summed_dim, keepdim=True)
    extreme = amax if ord > 0 else amin
    result = extreme(sums, kept_dim, keepdim=True)
    return result if keepdim else result.squeeze((rows, cols))


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


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the other dims."""
    return sum(x * y, dim)
