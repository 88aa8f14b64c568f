"""Determinants: ``torch.linalg``'s ``det`` and ``slogdet``; ``tensorgrad.det``, ``slogdet`` and
``logdet`` with their Tensor methods. Batched over the leading dims.

*Decision:* the gradient of ``det`` at an exactly singular matrix is the true derivative, the
transposed adjugate (from the SVD), as PyTorch gives it under ``create_graph=True``; an
ordinary PyTorch backward returns zeros there.
"""

from __future__ import annotations

from collections import namedtuple

from .._registry import op
from ..tensor import Tensor
from ._linalg_util import MultiOutputOp, check_matrix, constant_eye
from ._op import Op
from .conditional import where
from .decompositions import LinalgSvd
from .linalg_ops import LinalgInv
from .reduction import Prod

__all__ = ["LinalgDet", "LinalgSlogdet", "det", "slogdet", "logdet"]

Slogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
SlogdetOld = namedtuple("slogdet", ["sign", "logabsdet"])


def _holds_nan(xp, a):
    return xp.isnan(a).any(axis=(-2, -1))


class LinalgDet(Op):
    """d = det A"""

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        with xp.errstate(all="ignore"):
            # LAPACK's LU can meet a zero pivot in a matrix holding NaN: det 0, not NaN
            determinant = xp.asarray(xp.where(_holds_nan(xp, a), xp.nan, xp.linalg.det(a)))
        ctx.save_for_backward(a, determinant)
        return determinant

    @staticmethod
    def backward(ctx, grad):  # d det/dA = adj(A)ᵀ, which is det · A⁻ᵀ when A is invertible
        a, determinant = ctx.saved_tensors
        data = determinant._data if isinstance(determinant, Tensor) else determinant
        if not (data == 0).any():
            return (grad * determinant)[..., None, None] * LinalgInv.apply(a).mT
        return grad[..., None, None] * _adjugate_transposed(a)


def _adjugate_transposed(a):
    """adj(A)ᵀ = det(U) det(Vh) · U diag(Π_{j≠i} s_j) Vh, defined for singular A too."""
    u, s, vh = LinalgSvd.apply(a, full_matrices=False)
    size = s.shape[-1]
    eye = constant_eye(s, size)
    others = s[..., None, :] * (1 - eye) + eye  # row i: s with s_i replaced by 1
    products = Prod.apply(others, dims=(others.ndim - 1,), keepdim=False)
    orientation = LinalgDet.apply(u) * LinalgDet.apply(vh)
    return orientation[..., None, None] * ((u * products[..., None, :]) @ vh)


class LinalgSlogdet(MultiOutputOp):
    """(sign, log|det A|); the sign is piecewise constant, so only log|det| has a gradient"""

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        with xp.errstate(all="ignore"):
            sign, logabsdet = xp.linalg.slogdet(a)
            nan = _holds_nan(xp, a)  # PyTorch: sign 0, log|det| NaN
            sign = xp.asarray(xp.where(nan, 0, sign), dtype=a.dtype)
            logabsdet = xp.asarray(xp.where(nan, xp.nan, logabsdet), dtype=a.dtype)
        ctx.save_for_backward(a)
        return sign, logabsdet

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):  # d log|det A|/dA = A⁻ᵀ
        (a,) = ctx.saved_tensors
        if grad_logabsdet is None:
            return None
        # a singular matrix: log|det| is -inf and its gradient NaN (PyTorch's is inf or NaN)
        return grad_logabsdet[..., None, None] * LinalgInv.apply(a, report=None).mT


def _check(op_name: str, A: Tensor, half_error=RuntimeError) -> None:
    check_matrix(op_name, A, half_error=half_error)


def det(A: Tensor) -> Tensor:
    """``torch.linalg.det``: the determinant (...,) of each matrix of A (..., n, n); 1 for
    0×0 matrices, NaN for one holding NaN. Gradient: det · A⁻ᵀ (the adjugate at a singular
    matrix, see the module)."""
    _check("linalg.det", A, NotImplementedError)
    return LinalgDet.apply(A)


def slogdet(A: Tensor) -> Slogdet:
    """``torch.linalg.slogdet``: (sign, logabsdet), each (...,), with det A = sign ·
    exp(logabsdet): sign is ±1, or 0 with logabsdet -inf for a singular matrix. More
    accurate than ``det`` when the determinant under- or overflows. Gradient (of logabsdet):
    A⁻ᵀ."""
    _check("linalg.slogdet", A)
    return Slogdet(*LinalgSlogdet.apply(A))


@op("det")
def det_function(input: Tensor) -> Tensor:
    """``torch.det``: :func:`tensorgrad.linalg.det`, the determinant of each matrix."""
    return det(input)


@op("slogdet")
def slogdet_function(input: Tensor) -> SlogdetOld:
    """``torch.slogdet``: :func:`tensorgrad.linalg.slogdet`, (sign, logabsdet)."""
    return SlogdetOld(*slogdet(input))


@op("logdet")
def logdet(input: Tensor) -> Tensor:
    """``torch.logdet``: log det A of each matrix of ``input`` (..., n, n): NaN where the
    determinant is negative, -inf where it is 0. Gradient: A⁻ᵀ."""
    _check("logdet", input)
    sign, logabsdet = LinalgSlogdet.apply(input)
    return where(sign < 0, float("nan"), logabsdet)
