"""Matrix decompositions: QR, the symmetric eigendecomposition and the SVD
(``torch.linalg``'s ``qr``, ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``; ``tensorgrad.qr`` and
``tensorgrad.svd``, PyTorch's older forms, and their Tensor methods).

Each is one node with several outputs, batched over the leading dims. The backward formulas
are PyTorch's (``FunctionsManual.cpp``), written with matrix products, constant masks and the
ops themselves, so they are differentiable again. Eigenvectors and singular vectors are defined
up to sign, and their gradients only where the eigenvalues (singular values) are distinct: a
loss that depends on the sign gets no meaningful gradient, and repeated values give inf or NaN,
as in PyTorch. Eigenvalues and singular values alone (``eigvalsh``, ``svdvals``) have
gradients everywhere they are distinct or not.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

from .._backend import array_module
from .._registry import op
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._linalg_util import LinAlgError, MultiOutputOp, check_matrix, constant_eye, lower_masks
from .linalg_ops import LinalgSolve

__all__ = ["LinalgQr", "LinalgEigh", "LinalgSvd", "qr", "eigh", "eigvalsh", "svd", "svdvals"]

QR = namedtuple("linalg_qr", ["Q", "R"])
Eigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVD = namedtuple("linalg_svd", ["U", "S", "Vh"])
SVDOld = namedtuple("svd", ["U", "S", "V"])
QROld = namedtuple("qr", ["Q", "R"])


class LinalgQr(MultiOutputOp):
    """A = Q R: Q with orthonormal columns, R upper triangular (Householder, LAPACK's signs)"""

    @staticmethod
    def forward(ctx, a, mode="reduced"):
        # CuPy's qr takes batches (..., m, n) only in recent releases; older ones raise for
        # more than 2 dims.
        ctx.mode = mode
        with ctx.xp.errstate(all="ignore"):
            if mode == "r":
                q, r = ctx.xp.empty((0,), dtype=a.dtype), ctx.xp.linalg.qr(a, mode="r")
            else:
                q, r = ctx.xp.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError(
                "linalg.qr: The derivative of linalg.qr depends on Q, which is not computed "
                "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        rows, columns = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and rows > columns:
            raise RuntimeError(
                f"linalg.qr: The QR decomposition is not differentiable when mode='complete' "
                f"and nrows > ncols (input of {rows} by {columns} matrices)."
            )
        if rows >= columns:
            return _qr_backward_tall(q, r, grad_q, grad_r)
        # A = [X | Y] with X = Q U square and Y = Q V: V = Qᵀ Y adds to the gradients of Q
        # and Y; the gradient is [gX | gY], put together with two selection matrices.
        square, rest = r[..., :, :rows], r[..., :, rows:]
        grad_u = None if grad_r is None else grad_r[..., :, :rows]
        grad_x = grad_y = None
        if grad_r is not None:
            grad_v = grad_r[..., :, rows:]
            grad_y = q @ grad_v
            extra = (q @ rest) @ grad_v.mT
            grad_q = extra if grad_q is None else grad_q + extra
        grad_x = _qr_backward_tall(q, square, grad_q, grad_u)
        eye = constant_eye(r, columns)
        result = grad_x @ eye[:rows]
        return result if grad_y is None else result + grad_y @ eye[rows:]


def _qr_backward_tall(q, r, grad_q, grad_r):
    """gA = (gQ + Q copyltu(M)) R⁻ᵀ with M = R gRᵀ - gQᵀ Q, for rows ≥ columns (R square);
    copyltu(M) is the symmetric matrix with M's lower triangle."""
    lower, strictly_lower = lower_masks(r, r.shape[-1])
    if grad_r is None:
        m = -(grad_q.mT @ q)
    else:
        m = r @ grad_r.mT
        if grad_q is not None:
            m = m - grad_q.mT @ q
    symmetric = m * lower + (m * strictly_lower).mT
    b = q @ symmetric if grad_q is None else grad_q + q @ symmetric
    return _solve_upper_right(b, r)


def _solve_upper_right(b, r):
    """b R⁻ᵀ, as (R⁻¹ bᵀ)ᵀ with the solve op (differentiable again)."""
    return LinalgSolve.apply(r, b.mT).mT


class LinalgEigh(MultiOutputOp):
    """A = V diag(λ) Vᵀ for symmetric A: λ ascending, V orthogonal (one triangle is read)"""

    @staticmethod
    def forward(ctx, a, UPLO="L"):
        try:
            with ctx.xp.errstate(all="ignore"):
                values, vectors = ctx.xp.linalg.eigh(a, UPLO=UPLO)
        except ctx.xp.linalg.LinAlgError:
            raise LinAlgError(
                f"linalg.eigh: The algorithm failed to converge because the input matrix of "
                f"shape {a.shape} is ill-conditioned or has too many repeated eigenvalues (or "
                f"contains non-finite values)."
            ) from None
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        # gA = V (diag(gλ) + skew(Vᵀ gV) / E) Vᵀ with E_ij = λ_j - λ_i: symmetric, like PyTorch's
        values, vectors = ctx.saved_tensors
        eye = constant_eye(values, values.shape[-1])
        inner = None
        if grad_vectors is not None:
            projected = vectors.mT @ grad_vectors
            skew = (projected - projected.mT) * 0.5
            inner = skew / (values[..., None, :] - values[..., :, None] + eye)
        if grad_values is not None:
            diagonal = grad_values[..., None, :] * eye
            inner = diagonal if inner is None else inner + diagonal
        return vectors @ inner @ vectors.mT


class LinalgSvd(MultiOutputOp):
    """A = U diag(S) Vh: S descending and non-negative, U and Vh with orthonormal columns/rows"""

    @staticmethod
    def forward(ctx, a, full_matrices=True):
        try:
            with ctx.xp.errstate(all="ignore"):
                u, s, vh = ctx.xp.linalg.svd(a, full_matrices=full_matrices)
        except ctx.xp.linalg.LinAlgError:
            raise LinAlgError(
                f"linalg.svd: The algorithm failed to converge because the input matrix of "
                f"shape {a.shape} is ill-conditioned or has too many repeated singular values "
                f"(or contains non-finite values)."
            ) from None
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.saved_tensors
        rows, columns, size = u.shape[-2], vh.shape[-1], s.shape[-1]
        # With full_matrices the extra columns of U (rows of Vh) are any basis of a subspace:
        # their gradients are ignored, as in PyTorch.
        if u.shape[-1] != size:
            u = u[..., :, :size]
            grad_u = None if grad_u is None else grad_u[..., :, :size]
        if vh.shape[-2] != size:
            vh = vh[..., :size, :]
            grad_vh = None if grad_vh is None else grad_vh[..., :size, :]
        if grad_u is None and grad_vh is None:  # the singular values alone: U diag(gS) Vh
            return (u * grad_s[..., None, :]) @ vh
        s_row, s_column = s[..., None, :], s[..., :, None]
        eye = constant_eye(s, size)
        gaps = (s * s)[..., None, :] - (s * s)[..., :, None] + eye  # S_j² - S_i², 1 on the diagonal
        if grad_u is not None:
            left = u.mT @ grad_u
            left = left - left.mT
        if grad_vh is not None:
            right = vh @ grad_vh.mT
            right = right - right.mT
        if grad_u is not None and grad_vh is not None:
            inner = (left * s_row + s_column * right) / gaps
        elif grad_u is not None:
            inner = left * (s_row / gaps)
        else:
            inner = s_column * (right / gaps)
        if grad_s is not None:
            inner = inner + grad_s[..., None, :] * eye
        if rows > columns and grad_u is not None:  # + (I - U Uᵀ) gU S⁻¹, then times Vh
            scaled = grad_u / s_row
            return (u @ inner + scaled - u @ (u.mT @ scaled)) @ vh
        if rows < columns and grad_vh is not None:  # U times + S⁻¹ gVh (I - Vhᵀ Vh)
            scaled = grad_vh / s_column
            return u @ (inner @ vh + scaled - (scaled @ vh.mT) @ vh)
        return u @ inner @ vh


# ----------------------------------------------------------------------------- public functions
def qr(A: Tensor, mode: str = "reduced") -> QR:
    """``torch.linalg.qr``: A = Q R for A (..., m, n), k = min(m, n).

    ``mode``: ``'reduced'`` → Q (..., m, k), R (..., k, n); ``'complete'`` → Q (..., m, m),
    R (..., m, n); ``'r'`` → an empty Q and R (..., k, n). Differentiable except for
    ``'r'`` and for ``'complete'`` with m > n (PyTorch's errors, raised by backward).
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            f"'r', or 'complete'"
        )
    check_matrix("linalg.qr", A, square=False, half_error=NotImplementedError)
    return QR(*LinalgQr.apply(A, mode=mode))


def eigh(A: Tensor, UPLO: str = "L") -> Eigh:
    """``torch.linalg.eigh``: eigenvalues (..., n), ascending, and orthonormal eigenvectors
    (..., n, n) as columns, of symmetric matrices A (..., n, n). Only the lower triangle
    (``UPLO='L'``) or the upper one (``'U'``) is read; the gradient is the symmetric one
    PyTorch returns, and exists where the eigenvalues are distinct."""
    _check_uplo(UPLO)
    check_matrix(
        "linalg.eigh", A, integer_error=NotImplementedError, half_error=NotImplementedError
    )
    return Eigh(*LinalgEigh.apply(A, UPLO=UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """``torch.linalg.eigvalsh``: the eigenvalues (..., n), ascending, of symmetric A
    (..., n, n); differentiable everywhere (repeated eigenvalues included)."""
    _check_uplo(UPLO)
    check_matrix(
        "linalg.eigvalsh", A, integer_error=NotImplementedError, half_error=NotImplementedError
    )
    if A.requires_grad:
        return LinalgEigh.apply(A, UPLO=UPLO)[0]
    try:
        with _quiet(A):
            return Tensor(_module(A).linalg.eigvalsh(A._data, UPLO=UPLO))
    except _module(A).linalg.LinAlgError:
        return LinalgEigh.apply(A, UPLO=UPLO)[0]  # raises PyTorch's error


def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> SVD:
    """``torch.linalg.svd``: A = U diag(S) Vh for A (..., m, n), k = min(m, n).

    Returns U (..., m, m), S (..., k) descending, Vh (..., n, n) with ``full_matrices``
    (the default), else U (..., m, k) and Vh (..., k, n). Gradients need distinct singular
    values (and nonzero ones for the U of a tall or the Vh of a wide matrix).
    """
    _check_driver("linalg.svd", driver)
    check_matrix("linalg.svd", A, square=False, half_error=NotImplementedError)
    return SVD(*LinalgSvd.apply(A, full_matrices=bool(full_matrices)))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """``torch.linalg.svdvals``: the singular values (..., min(m, n)) of A (..., m, n),
    descending; differentiable everywhere (repeated values included)."""
    _check_driver("linalg.svdvals", driver)
    check_matrix("linalg.svd", A, square=False, half_error=NotImplementedError)
    if A.requires_grad:
        return LinalgSvd.apply(A, full_matrices=False)[1]
    try:
        with _quiet(A):
            return Tensor(_module(A).linalg.svd(A._data, compute_uv=False))
    except _module(A).linalg.LinAlgError:
        return LinalgSvd.apply(A, full_matrices=False)[1]  # raises PyTorch's error


@op("qr")
@whole_if_needed
def qr_old(input: Tensor, some: bool = True) -> QROld:
    """``torch.qr`` (deprecated in PyTorch for ``linalg.qr``): Q, R, reduced if ``some``."""
    warnings.warn(
        "torch.qr is deprecated in favor of torch.linalg.qr: use "
        "linalg.qr(A, 'reduced' if some else 'complete')",
        UserWarning,
        stacklevel=2,
    )
    return QROld(*qr(input, "reduced" if some else "complete"))


@op("svd")
@whole_if_needed
def svd_old(input: Tensor, some: bool = True, compute_uv: bool = True) -> SVDOld:
    """``torch.svd`` (PyTorch's older form of ``linalg.svd``): returns U, S and **V**, not Vh;
    reduced if ``some`` (the default). Without ``compute_uv`` U and V are zero matrices of
    shapes (..., m, m) and (..., n, n)."""
    if not compute_uv:
        values = svdvals(input)
        rows, columns = input.shape[-2], input.shape[-1]
        xp = _module(input)
        batch = input.shape[:-2]
        zeros = [
            xp.zeros(batch + (side, side), dtype=input._data.dtype) for side in (rows, columns)
        ]
        return SVDOld(Tensor(zeros[0]), values, Tensor(zeros[1]))
    u, s, vh = svd(input, full_matrices=not some)
    return SVDOld(u, s, vh.mT)


def _check_uplo(UPLO) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _check_driver(name: str, driver) -> None:
    if driver is not None:
        raise RuntimeError(
            f"{name}: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER "
            f"backend (got driver={driver!r} on the CPU)."
        )


def _module(A: Tensor):
    return array_module(A._data)


def _quiet(A: Tensor):
    return _module(A).errstate(all="ignore")
