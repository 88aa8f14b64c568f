"""Matrix products: ``matmul`` (``@``) and its special cases ``mm``, ``bmm``, ``mv``, ``dot``,
``outer``; ``addmm``, ``baddbmm`` and ``addbmm`` (β·input + α·product) built on them.

One primitive, ``MatMul``, handles operands of two or more dims with broadcast batch dims;
1-D operands are promoted to matrices and back with views, as PyTorch and NumPy define them.
"""

from __future__ import annotations

from .. import _backend
from .._registry import op
from .._shapes import broadcast_shape
from .._tracing import constant
from ..tensor import Tensor
from ._op import Op
from ._util import promote
from .conditional import where


class MatMul(Op):
    """out = a @ b for a of shape (..., n, k) and b of shape (..., k, m)"""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):  # d/da = grad @ bᵀ, d/db = aᵀ @ grad (batch dims: engine sums)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = MatMul.apply(grad, b.mT) if need_a else None
        grad_b = MatMul.apply(a.mT, grad) if need_b else None
        return grad_a, grad_b


def _matmul_error(a: Tensor, b: Tensor, reason: str) -> RuntimeError:
    return RuntimeError(f"matmul: {a.shape} @ {b.shape}: {reason}")


@op("matmul", numpy=("matmul", "dot"), operator="matmul")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics.

    Shapes: (k,) @ (k,) → (); (n, k) @ (k,) → (n,); (k,) @ (k, m) → (m,);
    (..., n, k) @ (..., k, m) → (..., n, m) with the batch dims broadcast.
    """
    a, b = promote("matmul", input, other)
    a_shape, b_shape = a._data.shape, b._data.shape
    if len(a_shape) == 2 and len(b_shape) == 2 and a_shape[1] == b_shape[0]:
        return MatMul.apply(a, b)  # the common case, checks done
    if a.ndim == 0 or b.ndim == 0:
        raise _matmul_error(a, b, "both arguments need at least 1 dimension")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise _matmul_error(a, b, f"inner dimensions {inner_a} and {inner_b} differ")
    if a.ndim > 2 or b.ndim > 2:
        batch_a, batch_b = a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ()
        if broadcast_shape(batch_a, batch_b) is None:
            raise _matmul_error(a, b, f"batch dimensions {batch_a} and {batch_b} do not broadcast")
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul.apply(a, b)
    if a.ndim == 1 and b.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b.unsqueeze(-1)).reshape(())
    if a.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)


@op("mm")
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """(n, k) @ (k, m) → (n, m); both must be 2-D."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expects 2-D tensors, got shapes {input.shape} and {mat2.shape}")
    return matmul(input, mat2)


@op("bmm")
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """(b, n, k) @ (b, k, m) → (b, n, m); both 3-D with the same batch size."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expects 3-D tensors, got shapes {input.shape} and {mat2.shape}")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(
            f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]} "
            f"(shapes {input.shape} and {mat2.shape})"
        )
    return matmul(input, mat2)


@op("mv")
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """(n, k) @ (k,) → (n,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expects a matrix and a vector, got {input.shape} and {vec.shape}")
    return matmul(input, vec)


@op("dot", "inner")
def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same length → a 0-d tensor."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expects 1-D tensors, got shapes {input.shape} and {other.shape}")
    if input.shape != other.shape:
        raise RuntimeError(
            f"dot: tensors must have the same number of elements, got {input.shape[0]} and "
            f"{other.shape[0]}"
        )
    return matmul(input, other)


@op("outer")
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """(n,) ⊗ (m,) → (n, m)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expects 1-D tensors, got shapes {input.shape} and {vec2.shape}")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


# ----------------------------------------------------------------------------- β·input + α·AB
def _check_same_dtype(op: str, first: Tensor, second: Tensor, names: str) -> None:
    if first._data.dtype != second._data.dtype:
        raise RuntimeError(
            f"{op}: {names} must have the same dtype, but got {first.dtype} and {second.dtype}"
        )


def _check_expandable(op: str, input: Tensor, shape: tuple) -> None:
    """``input`` must broadcast to ``shape`` without changing it (PyTorch expands it)."""
    lead = len(shape) - input.ndim
    if lead < 0 or any(
        side not in (1, target) for side, target in zip(input.shape, shape[lead:], strict=True)
    ):
        raise RuntimeError(f"{op}: input of shape {input.shape} cannot be expanded to {shape}")


def _scaled_sum(op: str, input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """beta·input + alpha·product, and with beta == 0 the input ignored (NaN and inf too)."""
    _check_expandable(op, input, product.shape)
    if input._data.dtype.kind != "f":  # the scalars take an integer tensor's type
        beta, alpha = int(beta), int(alpha)
    term = product if alpha == 1 else product * alpha
    if beta == 0:
        if input.requires_grad:  # PyTorch's gradient is beta·grad: zeros, and no NaN
            false = _backend.array_module(input._data).asarray(False)  # on input's device
            term = term + where(constant(Tensor(false)), input, 0)
        return term
    return (input if beta == 1 else input * beta) + term


@op("addmm")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta·input + alpha·(mat1 @ mat2): mat1 (n, k), mat2 (k, m), input broadcastable to
    (n, m) → (n, m). With ``beta=0`` ``input`` is ignored, NaN and inf included."""
    for name, matrix in (("mat1", mat1), ("mat2", mat2)):
        if matrix.ndim != 2:
            raise RuntimeError(f"addmm: {name} must be a matrix, got {matrix.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"addmm: mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} "
            f"and {mat2.shape[0]}x{mat2.shape[1]})"
        )
    _check_same_dtype("addmm", mat1, mat2, "mat1 and mat2")
    _check_same_dtype("addmm", input, mat2, "input and mat2")
    return _scaled_sum("addmm", input, MatMul.apply(mat1, mat2), beta, alpha)


def _check_batches(op: str, batch1: Tensor, batch2: Tensor) -> None:
    for name, batch in (("batch1", batch1), ("batch2", batch2)):
        if batch.ndim != 3:
            raise RuntimeError(f"{op}: {name} must be a 3D tensor, got shape {batch.shape}")
    expected = (batch1.shape[0], batch1.shape[2])
    if batch2.shape[:2] != expected:
        raise RuntimeError(
            f"{op}: expected size for first two dimensions of batch2 tensor to be: "
            f"{list(expected)} but got: {list(batch2.shape[:2])} (batch1 {batch1.shape})"
        )
    _check_same_dtype(op, batch1, batch2, "batch1 and batch2")


@op("baddbmm")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta·input + alpha·(batch1 @ batch2) per batch: batch1 (b, n, k), batch2 (b, k, m),
    input broadcastable to (b, n, m) → (b, n, m). With ``beta=0`` ``input`` is ignored."""
    _check_batches("baddbmm", batch1, batch2)
    _check_same_dtype("baddbmm", input, batch2, "input and batch2")
    return _scaled_sum("baddbmm", input, MatMul.apply(batch1, batch2), beta, alpha)


@op("addbmm")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta·input + alpha·Σ_b batch1[b] @ batch2[b]: batch1 (b, n, k), batch2 (b, k, m),
    input broadcastable to (n, m) → (n, m). With ``beta=0`` ``input`` is ignored."""
    _check_batches("addbmm", batch1, batch2)
    _check_same_dtype("addbmm", input, batch2, "input and batch2")
    batches, rows, inner = batch1.shape
    # Σ_b A_b B_b as one product: (n, b·k) @ (b·k, m)
    left = batch1.permute(1, 0, 2).reshape(rows, batches * inner)
    product = MatMul.apply(left, batch2.reshape(batches * inner, batch2.shape[2]))
    return _scaled_sum("addbmm", input, product, beta, alpha)
