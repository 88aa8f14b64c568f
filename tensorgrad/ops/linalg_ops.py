"""Solvers: the inverse, ``solve`` and the Cholesky factor (``torch.linalg``'s ``inv``,
``inv_ex``, ``solve``, ``solve_ex``, ``cholesky``, ``cholesky_ex``; ``tensorgrad.inverse`` and
``tensorgrad.cholesky``, with their Tensor methods).

Each works on the last two dims and broadcasts or keeps the dims in front as a batch. Forward
is NumPy's LAPACK call with its failures made PyTorch's: a singular or not positive-definite
matrix raises :class:`LinAlgError` naming the op, the batch element and the pivot (the ``_ex``
forms report it in ``info`` instead), and a matrix holding NaN gives NaN. Backward is written
with matrix products and these ops themselves, so it is differentiable again.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

from .._backend import array_module
from .._registry import op
from .._shapes import broadcast_error, broadcast_shape
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._linalg_util import (
    LinAlgError,
    batch_label,
    check_matrix,
    first_zero_pivot,
    lower_masks,
)
from ._op import Op

__all__ = [
    "LinalgInv",
    "LinalgSolve",
    "LinalgCholesky",
    "inv",
    "inv_ex",
    "solve",
    "solve_ex",
    "cholesky",
    "cholesky_ex",
    "inverse",
    "cholesky_old",
]

InvEx = namedtuple("linalg_inv_ex", ["inverse", "info"])
SolveEx = namedtuple("linalg_solve_ex", ["result", "info"])
CholeskyEx = namedtuple("linalg_cholesky_ex", ["L", "info"])

_SINGULAR_INVERSE = "The diagonal element {} is zero, the inversion could not be completed "
_SINGULAR_INVERSE += "because the input matrix is singular."
_SINGULAR_SOLVE = "The solver failed because the input matrix is singular."
_NOT_DEFINITE = "The factorization could not be completed because the input is not "
_NOT_DEFINITE += "positive-definite (the leading minor of order {} is not positive-definite)."


# ----------------------------------------------------------------------------- LAPACK, guarded
def _singular_pivots(xp, a):
    """Per matrix: the 1-based index of LU's first zero pivot, 0 for an invertible matrix or
    one holding NaN or inf (whose result is NaN, as in PyTorch)."""
    singular = (xp.linalg.slogdet(a)[0] == 0) & xp.isfinite(a).all(axis=(-2, -1))
    info = xp.zeros(singular.shape, dtype="int32")
    flat, matrices = info.reshape(-1), a.reshape((-1,) + a.shape[-2:])
    for index in xp.flatnonzero(singular):
        flat[index] = first_zero_pivot(matrices[index])
    return info


def _each_usable(xp, a, compute, info, report, message: str):
    """``compute(a)`` once LAPACK refused the batch: the first failed matrix (``info`` != 0)
    raises PyTorch's error naming ``report`` if given; else failed matrices, and those holding NaN
    or inf, get NaN and the others their result."""
    failed = info != 0
    if report is not None and failed.any():
        index = int(xp.flatnonzero(failed)[0])
        label = batch_label(a.shape[:-2], index)
        raise LinAlgError(f"{report}: {label}{message.format(int(info.reshape(-1)[index]))}")
    unusable = (failed | ~xp.isfinite(a).all(axis=(-2, -1)))[..., None, None]
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    return xp.where(unusable, xp.nan, compute(xp.where(unusable, eye, a)))


def _inverse(xp, a, report):
    with xp.errstate(all="ignore"):
        try:
            return xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            info = _singular_pivots(xp, a)
            return _each_usable(xp, a, xp.linalg.inv, info, report, _SINGULAR_INVERSE)


def _solve(xp, a, b, report):
    with xp.errstate(all="ignore"):
        try:
            return xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            info = _singular_pivots(xp, a)
            return _each_usable(
                xp, a, lambda usable: xp.linalg.solve(usable, b), info, report, _SINGULAR_SOLVE
            )


def _failing_minor(xp, matrix) -> int:
    """The order of the first leading minor that is not positive-definite (0 if none), by
    bisection: once one is not, no larger one is."""

    def fails(order: int) -> bool:
        try:
            return not xp.isfinite(xp.linalg.cholesky(matrix[:order, :order])).all()
        except xp.linalg.LinAlgError:
            return True

    size = matrix.shape[-1]
    if not fails(size):
        return 0
    low, high = 1, size
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fails(middle) else (middle + 1, high)
    return low


def _cholesky_info(xp, a):
    info = xp.zeros(a.shape[:-2], dtype="int32")
    flat, matrices = info.reshape(-1), a.reshape((-1,) + a.shape[-2:])
    for index in range(flat.size):
        flat[index] = _failing_minor(xp, matrices[index])
    return info


def _cholesky(xp, a, report):
    with xp.errstate(all="ignore"):
        try:
            lower = xp.linalg.cholesky(a)
            if xp.isfinite(lower).all():
                return lower
        except xp.linalg.LinAlgError:
            pass
        info = _cholesky_info(xp, a)
        return _each_usable(xp, a, xp.linalg.cholesky, info, report, _NOT_DEFINITE)


# ----------------------------------------------------------------------------- the ops
class LinalgInv(Op):
    """Y = A⁻¹"""

    @staticmethod
    def forward(ctx, a, report="linalg.inv"):
        inverse = _inverse(ctx.xp, a, report)
        ctx.save_for_backward(inverse)
        return inverse

    @staticmethod
    def backward(ctx, grad):  # dY = -Y dA Y, so gA = -Yᵀ G Yᵀ
        (inverse,) = ctx.saved_tensors
        return -(inverse.mT @ grad @ inverse.mT)


class LinalgSolve(Op):
    """X = A⁻¹ B for A (..., n, n) and B (..., n, k), batch dims broadcast"""

    @staticmethod
    def forward(ctx, a, b, report="linalg.solve"):
        solution = _solve(ctx.xp, a, b, report)
        ctx.save_for_backward(a, solution if ctx.needs_input_grad[0] else None)
        return solution

    @staticmethod
    def backward(ctx, grad):  # gB = A⁻ᵀ G, gA = -gB Xᵀ (batch dims: the engine sums)
        a, solution = ctx.saved_tensors
        grad_b = LinalgSolve.apply(a.mT, grad, report=None)
        grad_a = None if solution is None else -(grad_b @ solution.mT)
        return grad_a, grad_b if ctx.needs_input_grad[1] else None


class LinalgCholesky(Op):
    """L = cholesky(A): A = L Lᵀ with L lower triangular (A's lower triangle is read)"""

    @staticmethod
    def forward(ctx, a, report="linalg.cholesky"):
        lower = _cholesky(ctx.xp, a, report)
        ctx.save_for_backward(lower)
        return lower

    @staticmethod
    def backward(ctx, grad):
        # Murray (2016): gA = L⁻ᵀ P L⁻¹ with P = ½(Φ + Φ₋ᵀ), Φ = tril(Lᵀ G) and Φ₋ its strictly
        # lower part; P is symmetric, and so is gA, as PyTorch returns it.
        (lower,) = ctx.saved_tensors
        tril, strictly_lower = lower_masks(lower, lower.shape[-1])
        phi = (lower.mT @ grad) * tril
        p = (phi + (phi * strictly_lower).mT) * 0.5
        half = LinalgSolve.apply(lower.mT, p)  # L⁻ᵀ P
        return LinalgSolve.apply(lower.mT, half.mT)  # L⁻ᵀ (P L⁻¹)


# ----------------------------------------------------------------------------- public functions
def inv(A: Tensor) -> Tensor:
    """``torch.linalg.inv``: the inverse of each square matrix of A (..., n, n).

    Raises :class:`LinAlgError` (a RuntimeError) for a singular matrix; a matrix holding NaN
    gives NaN. Gradient: -A⁻ᵀ G A⁻ᵀ.
    """
    check_matrix("linalg.inv", A)
    return LinalgInv.apply(A, report="linalg.inv")


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvEx:
    """``torch.linalg.inv_ex``: (inverse, info) without raising for a singular matrix.

    ``info`` (int32, A's batch shape) is 0 where the inverse exists, else the 1-based index of
    the first zero pivot of the LU factorisation; there the inverse is NaN (PyTorch leaves
    whatever the factorisation gave). ``check_errors=True`` raises as ``inv`` does.
    """
    check_matrix("linalg.inv", A)
    inverse = LinalgInv.apply(A, report="linalg.inv_ex" if check_errors else None)
    return InvEx(inverse, Tensor(_singular_pivots(_module(A), A._data)))


def _solve_operands(op: str, A: Tensor, B, left: bool):
    """PyTorch's checks, and B as a matrix: B is a batch of vectors if it is 1-D or has A's
    shape without the last dim."""
    check_matrix(op, A, half_error=NotImplementedError)
    if not isinstance(B, Tensor):
        raise TypeError(f"{op}(): argument 'B' must be Tensor, not {type(B).__name__}")
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(
            f"{op}: Expected A and B to have the same dtype, but found A of type {A.dtype} and "
            f"B of type {B.dtype} instead"
        )
    if B.ndim == 0:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    matrix = B.unsqueeze(-1) if vector else B
    size = A.shape[-1]
    fits = matrix.shape[-2] == size if left else matrix.shape[-1] == size
    if not fits:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {equation} "
            f"({A.shape[-2]}x{A.shape[-1]} and {matrix.shape[-2]}x{matrix.shape[-1]})"
        )
    if vector and not left:
        raise RuntimeError(
            f"{op}: Vector broadcasting of the left hand side is not supported for left=False "
            f"(A {A.shape}, B {B.shape}). In this case linalg.solve is equivalent to "
            f"B / A.squeeze(-1)"
        )
    if broadcast_shape(A.shape[:-2], matrix.shape[:-2]) is None:
        raise broadcast_error(op, A.shape[:-2], matrix.shape[:-2])
    return matrix, vector


def _solve_public(op: str, A: Tensor, B: Tensor, left: bool, report):
    matrix, vector = _solve_operands(op, A, B, left)
    if left:
        solution = LinalgSolve.apply(A, matrix, report=report)
    else:  # X A = B  ⇔  Aᵀ Xᵀ = Bᵀ
        solution = LinalgSolve.apply(A.mT, matrix.mT, report=report).mT
    return solution.squeeze(-1) if vector else solution


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``torch.linalg.solve``: X with A X = B (or X A = B with ``left=False``).

    Shapes: A (..., n, n); B (..., n, k), or a batch of vectors (..., n) when B is 1-D or has
    A's shape without its last dim; batch dims broadcast. Raises :class:`LinAlgError` for a
    singular A. Gradients: gB = A⁻ᵀ G, gA = -gB Xᵀ.
    """
    return _solve_public("linalg.solve", A, B, left, "linalg.solve")


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> SolveEx:
    """``torch.linalg.solve_ex``: (result, info) without raising for a singular A; ``info``
    (int32, A's batch shape) is the first zero pivot of the LU factorisation (0: solved), and
    the result is NaN there."""
    result = _solve_public(
        "linalg.solve_ex", A, B, left, "linalg.solve_ex" if check_errors else None
    )
    return SolveEx(result, Tensor(_singular_pivots(_module(A), A._data)))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """``torch.linalg.cholesky``: L lower triangular with A = L Lᵀ, for symmetric
    positive-definite A (..., n, n), reading its lower triangle; with ``upper=True`` U = Lᵀ
    (A = Uᵀ U), reading the upper triangle. Raises :class:`LinAlgError` when A is not
    positive-definite. The gradient is symmetric, as PyTorch's."""
    check_matrix("linalg.cholesky", A, half_error=NotImplementedError)
    return _cholesky_public(A, upper, "linalg.cholesky")


def _cholesky_public(A: Tensor, upper: bool, report) -> Tensor:
    if upper:
        return LinalgCholesky.apply(A.mT, report=report).mT
    return LinalgCholesky.apply(A, report=report)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyEx:
    """``torch.linalg.cholesky_ex``: (L, info) without raising; ``info`` (int32, A's batch
    shape) is the order of the first leading minor that is not positive-definite (0:
    factorised), and L is NaN there (PyTorch leaves a partial factor)."""
    check_matrix("linalg.cholesky", A, half_error=NotImplementedError)
    factor = _cholesky_public(A, upper, "linalg.cholesky_ex" if check_errors else None)
    xp = _module(A)
    if xp.isfinite(factor._data).all():
        info = xp.zeros(A.shape[:-2], dtype="int32")
    else:
        info = _cholesky_info(xp, A._data.swapaxes(-1, -2) if upper else A._data)
    return CholeskyEx(factor, Tensor(info))


def _module(A: Tensor):
    return array_module(A._data)


@op("inverse")
@whole_if_needed
def inverse(input: Tensor) -> Tensor:
    """``torch.inverse``: :func:`tensorgrad.linalg.inv` under its older name."""
    return inv(input)


@op("cholesky")
@whole_if_needed
def cholesky_old(input: Tensor, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch for ``linalg.cholesky``): the lower factor L,
    or U = Lᵀ with ``upper=True``."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky: L = "
        "linalg.cholesky(A), and U = linalg.cholesky(A).mH for upper=True",
        UserWarning,
        stacklevel=2,
    )
    check_matrix(
        "cholesky", input, integer_error=NotImplementedError, half_error=NotImplementedError
    )
    return _cholesky_public(input, upper, "linalg.cholesky")
