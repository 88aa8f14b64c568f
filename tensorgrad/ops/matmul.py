"""Matrix products: ``matmul`` (``@``) and its special cases ``mm``, ``bmm``, ``mv``, ``dot``,
``outer``.

One primitive, ``MatMul``, handles operands of two or more dims with broadcast batch dims;
1-D operands are promoted to matrices and back with views, as PyTorch and NumPy define them.
"""

from __future__ import annotations

from .._registry import op
from .._shapes import broadcast_shape
from ..tensor import Tensor
from ._op import Op
from ._util import promote


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
