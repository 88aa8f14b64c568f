"""``where``: elementwise selection by a condition. The side that is not selected gets an
exact zero gradient, so a discarded branch's NaN or inf never leaks into the other."""

from __future__ import annotations

from .._dtypes import result_numpy_dtype
from .._registry import op, tensor_method
from ..tensor import Tensor
from ._op import Op
from ._util import apply_elementwise, is_scalar, promote, scalar_tensor
from .comparison import as_condition, nonzero


class Where(Op):
    """out = a where condition else b; the unselected side gets an exact zero gradient."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return ctx.xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[1:]
        xp = ctx.xp
        return (
            None,
            xp.where(condition, grad, 0) if need_a else None,
            xp.where(condition, 0, grad) if need_b else None,
        )


@op("where", methods=(), numpy=("where",))
def where(condition, input=None, other=None):
    """``input`` where ``condition`` is true, else ``other`` (all three broadcast).

    The side that is not selected receives an exact zero gradient, so
    ``where(x > 0, x.sqrt(), 0)`` has a finite gradient everywhere. Two Python numbers give
    the default dtype (float) or int64; ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``.
    """
    condition = as_condition(condition, "where")
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if is_scalar(input) and is_scalar(other):
        input = scalar_tensor(input, result_numpy_dtype((input, other)), condition)
    a, b = promote("where", input, other)
    return apply_elementwise(Where, "where", condition, a, b)


@tensor_method("where")
def where_method(input: Tensor, condition, other) -> Tensor:
    """``x.where(condition, other)``: ``input`` where ``condition``, else ``other``."""
    return where(condition, input, other)
