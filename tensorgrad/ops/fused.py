"""Fused primitives: one graph node where the composite would be several, or where the
composite's gradient is wrong at a point. ``tensorgrad.nn.functional`` builds on them.

Each says in its docstring why it is fused. Their backward formulas are generic like every
op's (see ``_op.py``), so double backward works through all of them.
"""

from __future__ import annotations

import math

from .._backend import array_module
from .._registry import op
from ..tensor import Tensor
from ._op import Op
from ._util import as_floating, require_kind, sum_columns, sum_rows
from .class_targets import counted_targets
from .special import erf_array
from .unary import Sigmoid

__all__ = [
    "linear",
    "erf",
    "softplus",
    "softmax_cross_entropy",
    "class_index_cross_entropy",
    "binary_cross_entropy",
]


class Linear(Op):
    """y = x Wᵀ (+ b): one node instead of transpose, matmul and add (the hot path of an MLP).

    x: (*, in), W: (out, in), b: (out,) → y: (*, out).
    """

    @staticmethod
    def forward(ctx, x, weight, *bias):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, weight)
        if x.ndim > 2:  # one BLAS call on (N, in) rows: NumPy runs a stack as many small ones
            y = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(*x.shape[:-1], weight.shape[0])
        else:
            y = x @ weight.T
        if bias:
            y += bias[0]  # y is a fresh buffer: added in place
        return y

    @staticmethod
    def backward(ctx, grad):  # dx = grad W, dW = gradᵀ x, db = Σ grad over the batch dims
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        shape = grad.shape
        if len(shape) != 2:  # fold the batch dims (a 2-D batch, the usual case, needs nothing)
            grad = grad.reshape(-1, weight.shape[0])
            x = x.reshape(-1, weight.shape[1]) if x is not None else None
        grad_x = None
        if needs[0]:
            grad_x = grad @ weight
            if len(shape) != 2:
                grad_x = grad_x.reshape(*shape[:-1], weight.shape[1])
        grad_weight = grad.mT @ x if needs[1] else None
        grad_bias = sum_rows(grad) if len(needs) == 3 and needs[2] else None
        return (grad_x, grad_weight, grad_bias)[: len(needs)]  # no bias input, no bias grad


class Erf(Op):
    """y = erf x = 2/√π ∫₀ˣ e^(-t²) dt (for the exact GELU)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_array(ctx.xp, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 2/√π e^(-x²)
        (x,) = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi)) * ctx.xp.exp(-(x * x))


class Softplus(Op):
    """y = log(1 + eˣ), computed as logaddexp(0, x): never overflows, and its gradient
    sigmoid(x) is exact everywhere (the stable composite ``relu(x) + log1p(e^-|x|)`` gets 0
    instead of ½ at x = 0)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.logaddexp(0, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = sigmoid(x)
        (x,) = ctx.saved_tensors
        return grad * Sigmoid.apply(x)


class SoftmaxCrossEntropy(Op):
    """Cross-entropy of logits against per-class weights, fused: one node, stable, and the
    gradient is the classic ``softmax·Σq - q`` instead of a chain through log_softmax.

    logits, q: (M, C) → loss_i = -Σ_c q_ic · log_softmax(logits)_ic, shape (M,); with
    ``scale`` set, the scalar ``scale · Σ_i loss_i`` instead (the mean/sum reductions); with a
    third input, the 0-d count, the scalar ``Σ_i loss_i / count`` (a weighted mean).
    For class-index targets q is the (smoothed, weighted, masked) one-hot matrix; for
    probability targets it is the target itself and receives a gradient too.
    """

    @staticmethod
    def forward(ctx, logits, q, *count, scale):
        xp = ctx.xp
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - xp.log(sum_columns(xp.exp(shifted)))
        ctx.counted = bool(count)
        if count:  # the mean over a count the targets decide: 0/0 is NaN, with zero gradient
            scale = 1.0 / count[0] if count[0] else 0.0
        ctx.scale = scale
        ctx.save_for_backward(logits, q, log_probs)
        losses = -sum_columns(q * log_probs)[:, 0]
        if xp.isnan(losses).any():
            # Classes with zero weight contribute 0 even at a -inf logit (0·-inf is NaN); the
            # masked product is only worth its cost when that happened.
            losses = -sum_columns(xp.where(q != 0, q * log_probs, 0))[:, 0]
        if scale is None:
            return losses
        if count:
            return xp.asarray(losses.sum() / count[0], dtype=logits.dtype)
        return xp.asarray(losses.sum() * scale, dtype=logits.dtype)

    @staticmethod
    def backward(ctx, grad):  # d/dlogits = softmax·Σ_c q - q, d/dq = -log_softmax
        logits, q, log_probs = ctx.saved_tensors
        xp = ctx.xp
        if isinstance(logits, Tensor):  # create_graph: log_softmax as a function of logits
            log_probs = logits - logits.logsumexp(1, keepdim=True)
        grad = grad * ctx.scale if ctx.scale is not None else xp.expand_dims(grad, 1)
        needs = ctx.needs_input_grad
        grad_logits = None
        if needs[0]:
            grad_logits = grad * (xp.exp(log_probs) * sum_columns(q) - q)
        grad_q = -grad * log_probs if needs[1] else None
        return (grad_logits, grad_q, None) if ctx.counted else (grad_logits, grad_q)


class ClassIndexCrossEntropy(Op):
    """Cross-entropy of logits (M, C) against class indices (M,), without class weights or
    label smoothing (the usual classifier): ``log Σ_c e^z_c - z_t`` per row, and the gradient
    ``softmax - onehot``, computed as the hand-written NumPy step does it, with no one-hot
    matrix. Rows whose target is ``ignore_index`` count 0; ``reduction`` is ``"none"`` (M,),
    ``"sum"`` or ``"mean"`` over the counted rows (none counted: NaN with a zero gradient).
    A target outside ``[0, C)`` raises IndexError naming ``name`` and the input's ``shape``.
    """

    @staticmethod
    def forward(ctx, logits, target, *, ignore_index, reduction, name, shape):
        xp = ctx.xp
        rows, classes = logits.shape
        target, valid = counted_targets(xp, target.reshape(-1), classes, ignore_index, name, shape)
        ctx.save_for_backward(logits)
        # The ufuncs' reduce, not the array methods: those go through a Python wrapper.
        shifted = logits - xp.maximum.reduce(logits, axis=1, keepdims=True)
        exp = xp.exp(shifted)
        total = sum_columns(exp)
        picked = xp.arange(rows), target
        losses = xp.log(total[:, 0]) - shifted[picked]
        if valid is not None:
            losses = xp.where(valid, losses, 0)
        count = rows if valid is None else int(valid.sum())
        ctx.parts, ctx.picked, ctx.valid = (exp, total), picked, valid
        ctx.reduction, ctx.count = reduction, count
        if reduction == "none":
            return losses
        total_loss = xp.add.reduce(losses)
        if reduction == "mean":
            total_loss = total_loss / count if count else xp.nan
        return xp.asarray(total_loss, dtype=logits.dtype)

    @staticmethod
    def backward(ctx, grad):  # d/dlogits = softmax - onehot(target), per counted row
        (logits,) = ctx.saved_tensors
        xp = ctx.xp
        if isinstance(logits, Tensor):  # create_graph: softmax as a function of logits
            # ctx.xp records Tensor ops here; the one-hot is a constant of logits' arrays
            onehot = array_module(logits._data).zeros(logits.shape, logits.dtype.numpy_dtype)
            onehot[ctx.picked] = 1
            if ctx.valid is not None:
                onehot *= ctx.valid[:, None]
            onehot = Tensor(onehot)
            gradient = logits.softmax(1) * onehot.sum(1, keepdim=True) - onehot
        else:
            exp, total = ctx.parts
            gradient = exp / total
            gradient[ctx.picked] -= 1
            if ctx.valid is not None:
                gradient *= ctx.valid[:, None]
        if ctx.reduction == "none":
            return gradient * xp.expand_dims(grad, 1), None
        if ctx.reduction == "mean":
            grad = grad * (1.0 / ctx.count) if ctx.count else grad * 0.0
        return gradient * grad, None


_EPSILON = 9.999999960041972e-13  # PyTorch's 1e-12, a float32 constant there


class BinaryCrossEntropy(Op):
    """loss = -(y·log x + (1-y)·log(1-x)) elementwise, each log clamped at -100 (PyTorch's).

    Fused for its gradient: d/dx = (x - y) / max(x(1-x), 1e-12), PyTorch's formula, which
    still pushes a saturated wrong prediction (x = 0, y = 1) back, where the gradient of the
    clamped composite is 0. The forward checks that x and y lie in [0, 1] (an op, so that a
    compiled replay checks every new batch too).
    """

    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        _check_probabilities(x, y)
        ctx.save_for_backward(x, y)
        log_p = xp.maximum(xp.log(x), -100)
        log_not_p = xp.maximum(xp.log1p(-x), -100)
        return -(y * log_p + (1 - y) * log_not_p)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        xp = ctx.xp
        needs = ctx.needs_input_grad
        grad_x = None
        if needs[0]:
            grad_x = grad * (x - y) / xp.where(x * (1 - x) < _EPSILON, _EPSILON, x * (1 - x))
        grad_y = grad * (xp.log1p(-x) - xp.log(x)) if needs[1] else None
        return grad_x, grad_y


def _check_probabilities(x, y) -> None:
    """PyTorch's check, element by element in order: the first element whose input ``x`` or
    target ``y`` lies outside [0, 1] (NaN included) names which of the two is wrong."""
    bad_input = ~((x >= 0) & (x <= 1))
    bad = bad_input | ~((y >= 0) & (y <= 1))
    if not bad.any():
        return
    first = int(bad.reshape(-1).argmax())
    label, values = ("input", x) if bad_input.reshape(-1)[first] else ("target", y)
    raise RuntimeError(
        f"binary_cross_entropy: all elements of {label} should be between 0 and 1, got "
        f"{values.reshape(-1)[first].item()} at flat index {first} (shape {tuple(x.shape)})"
    )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one node. input (*, in), weight (out, in), bias (out,)."""
    return Linear.apply(input, weight) if bias is None else Linear.apply(input, weight, bias)


@op("erf")
def erf(input: Tensor) -> Tensor:
    """The error function, elementwise (SciPy's when installed); integers compute in the
    default float dtype."""
    return Erf.apply(as_floating(input))


def softplus(input: Tensor) -> Tensor:
    """``log(1 + exp(input))`` without overflow; its gradient is ``sigmoid(input)``.

    Floating-point tensors only: an integer result would be truncated, so integers are refused
    with PyTorch's NotImplementedError.
    """
    require_kind(input, "softplus", "f", NotImplementedError)
    return Softplus.apply(input)


def softmax_cross_entropy(logits: Tensor, weights: Tensor, scale=None, count=None) -> Tensor:
    """``-Σ_c weights · log_softmax(logits)`` per row: (M, C), (M, C) → (M,), or the scalar
    ``scale · Σ`` of that when ``scale`` is given, or ``Σ / count`` for a 0-d ``count``
    tensor (a weighted mean; NaN with a zero gradient when ``count`` is 0). See
    :class:`SoftmaxCrossEntropy`."""
    if count is not None:
        return SoftmaxCrossEntropy.apply(logits, weights, count, scale=1.0)
    return SoftmaxCrossEntropy.apply(logits, weights, scale=scale)


def class_index_cross_entropy(
    logits: Tensor,
    target: Tensor,
    reduction: str,
    ignore_index: int = -100,
    name: str = "cross_entropy",
    input_shape: tuple | None = None,
) -> Tensor:
    """Cross-entropy of ``logits`` (M, C) against class indices ``target`` (any shape, M
    elements): (M,) for ``reduction="none"``, else a scalar (see
    :class:`ClassIndexCrossEntropy`). ``input_shape`` is what errors quote (default: the
    logits' shape)."""
    return ClassIndexCrossEntropy.apply(
        logits,
        target,
        ignore_index=ignore_index,
        reduction=reduction,
        name=name,
        shape=tuple(logits.shape if input_shape is None else input_shape),
    )


def binary_cross_entropy(input: Tensor, target: Tensor) -> Tensor:
    """Elementwise ``-(t·log x + (1-t)·log(1-x))``, logs clamped at -100, PyTorch's gradient."""
    return BinaryCrossEntropy.apply(input, target)
