"""The activations of ``tensorgrad.nn.functional`` (re-exported there): composites of core ops.

Every one maps an input of any shape (*) to an output of the same shape (``glu`` halves one
dim), in the input's dtype. Each piecewise function selects its branches with the same strict or
non-strict comparisons as PyTorch's kernels, so the gradient at a kink (relu6 at 0 and 6,
hardswish at ±3, hardshrink at ±lambd…) is PyTorch's, and a NaN input gives PyTorch's value.
Where PyTorch has no integer kernel, an integer or bool input raises its NotImplementedError
rather than being truncated or silently promoted.
"""

from __future__ import annotations

import math
import warnings

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.ops import fused

__all__ = [
    "relu",
    "relu_",
    "relu6",
    "leaky_relu",
    "leaky_relu_",
    "elu",
    "elu_",
    "celu",
    "celu_",
    "selu",
    "selu_",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "hardtanh",
    "hardtanh_",
    "hardsigmoid",
    "hardswish",
    "softplus",
    "softsign",
    "logsigmoid",
    "tanhshrink",
    "threshold",
    "threshold_",
    "hardshrink",
    "softshrink",
    "prelu",
    "rrelu",
    "rrelu_",
    "glu",
    "softmax",
    "softmin",
    "log_softmax",
]

# SELU's constants (Klambauer et al. 2017), as PyTorch spells them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _apply(function, input: Tensor, inplace: bool) -> Tensor:
    """``function(input)``, written into ``input`` when ``inplace`` (PyTorch's in-place
    activations). The function then sees a clone, so that what its backward saved is not the
    memory being overwritten."""
    if not inplace:
        return function(input)
    return input.copy_(function(input.clone()))


def _require_floating(input: Tensor, name: str) -> None:
    """PyTorch has no integer or bool kernel for ``name``: raise its NotImplementedError."""
    if not input.is_floating_point():
        raise NotImplementedError(
            f"{name}: expected a floating-point tensor, got dtype {input.dtype} (PyTorch "
            f"implements {name} for floating-point tensors only)"
        )


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0); the gradient at 0 is 0."""
    return _apply(tensorgrad.relu, input, inplace)


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(input, min_val, max_val); the gradient is 1 strictly inside, 0 at and beyond
    the bounds. Integer inputs are clamped to the bounds cast to int (PyTorch's rule)."""
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val}, "
            f"max_val={max_val}"
        )
    if input.dtype == tensorgrad.bool:
        raise RuntimeError("hardtanh: Bool inputs not supported for hardtanh")
    if not input.is_floating_point():
        return _apply(lambda x: x.clamp(int(min_val), int(max_val)), input, inplace)

    def clamped(x):
        inside = (x > min_val) & (x < max_val)
        return tensorgrad.where(inside, x, x.detach().clamp(min_val, max_val))

    return _apply(clamped, input, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6): ``hardtanh(input, 0, 6)``."""
    if input.dtype == tensorgrad.bool:
        raise RuntimeError("relu6: Bool inputs not supported for relu6")
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where input > 0, else negative_slope·input."""
    _require_floating(input, "leaky_relu")
    return _apply(lambda x: tensorgrad.where(x > 0, x, x * negative_slope), input, inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale·x where x > 0, else alpha·scale·(e^(input_scale·x) - 1): PyTorch's one kernel
    behind elu, celu and selu (so the gradient at 0 is the negative branch's, as there)."""
    # expm1 sees only the non-positive part, so a large input cannot overflow into a NaN grad.
    negative = x.clamp(max=0)
    if input_scale != 1:
        negative = negative * input_scale
    negative = negative.expm1() * (alpha * scale)
    return tensorgrad.where(x > 0, x * scale if scale != 1 else x, negative)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where input > 0, else alpha·(e^input - 1)."""
    _require_floating(input, "elu")
    return _apply(lambda x: _elu(x, alpha, 1.0, 1.0), input, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha·(e^(x/alpha) - 1)): an ELU that is C¹ for every alpha."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    _require_floating(input, "celu")
    return _apply(lambda x: _elu(x, alpha, 1.0, 1.0 / alpha), input, inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·(max(0, x) + min(0, alpha·(eˣ - 1))) with PyTorch's alpha ≈ 1.6733 and
    scale ≈ 1.0507 (self-normalising networks)."""
    _require_floating(input, "selu")
    return _apply(lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0), input, inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (``approximate='none'``, via erf) or its tanh approximation (``'tanh'``)."""
    _require_floating(input, "gelu")
    if approximate == "none":
        return 0.5 * input * (1 + fused.erf(input * (1 / math.sqrt(2))))
    if approximate == "tanh":
        # PyTorch's kernel: its constant and order of operations (NumPy's tanh and PyTorch's
        # can still differ in the last bit).
        inner = _GELU_BETA * (input + 0.044715 * (input * input * input))
        return 0.5 * input * (1 + inner.tanh())
    raise RuntimeError(
        f"gelu: approximate argument must be either none or tanh, got {approximate!r}"
    )


_GELU_BETA = 1.41421356237309504880 * 1.12837916709551257390 * 0.5  # M_SQRT2·M_2_SQRTPI/2


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·sigmoid(x) (also called swish)."""
    _require_floating(input, "silu")
    return _apply(lambda x: x * x.sigmoid(), input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x)), with softplus as logaddexp(0, x) (no overflow)."""
    _require_floating(input, "mish")
    return _apply(lambda x: x * fused.softplus(x).tanh(), input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-input), stable for any input."""
    return tensorgrad.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent."""
    return tensorgrad.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 where x ≤ -3, 1 where x ≥ 3, else x/6 + 1/2 (gradient 1/6 strictly inside).

    *Decision:* the gradient is 1/6 in the input's precision; PyTorch's float64 kernel uses
    a float32 1/6 (0.16666667163…).
    """
    _require_floating(input, "hardsigmoid")

    def function(x):
        return tensorgrad.where(x <= -3, 0.0, tensorgrad.where(x >= 3, 1.0, (x + 3) / 6))

    return _apply(function, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·hardsigmoid(x): 0 where x ≤ -3, x where x ≥ 3, else x·(x + 3)/6 (MobileNetV3)."""
    _require_floating(input, "hardswish")

    def function(x):
        return tensorgrad.where(x <= -3, 0.0, tensorgrad.where(x < 3, x * (x + 3) / 6, x))

    return _apply(function, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta·x)) / beta, and x itself where beta·x > threshold (PyTorch's rule)."""
    _require_floating(input, "softplus")
    scaled = input * beta if beta != 1 else input
    smooth = fused.softplus(scaled)
    if beta != 1:
        smooth = smooth / beta
    return tensorgrad.where(scaled > threshold, input, smooth)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); an integer input gives the default float dtype (as in PyTorch)."""
    if input.dtype == tensorgrad.bool:
        raise NotImplementedError("softsign: not implemented for bool tensors (abs of bool)")
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for any input; floating-point input only
    (PyTorch raises NotImplementedError for integers rather than truncating)."""
    _require_floating(input, "logsigmoid")
    return -fused.softplus(-input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); an integer input gives the default float dtype (as in PyTorch)."""
    if input.dtype == tensorgrad.bool:
        raise RuntimeError("tanhshrink: subtraction with a bool tensor is not supported")
    return input - tensorgrad.tanh(input)


def _threshold(input: Tensor, bound: float, value: float, inplace: bool) -> Tensor:
    if input.dtype == tensorgrad.bool:
        raise NotImplementedError("threshold: not implemented for bool tensors")
    if not input.is_floating_point():
        value = int(value)  # PyTorch casts the scalar to the input's integer dtype
    return _apply(lambda x: tensorgrad.where(x <= bound, value, x), input, inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """input where input > threshold, else ``value`` (a NaN input stays NaN)."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _threshold(input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where -lambd ≤ x ≤ lambd, else x."""
    _require_floating(input, "hardshrink")
    return tensorgrad.where((input >= -lambd) & (input <= lambd), 0.0, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0 (lambd ≥ 0)."""
    _require_floating(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be non-negative, but found {lambd}")
    shifted = tensorgrad.where(input > lambd, input - lambd, input + lambd)  # NaN stays NaN
    return tensorgrad.where((input >= -lambd) & (input <= lambd), 0.0, shifted)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """input where input > 0, else weight·input, with one learned slope per channel.

    input: (*) with channels at dim 1 (a 0-d or 1-D input has one channel); weight: () or
    (1,) shared by all channels, or (C,) one per channel. Same shape as ``input``.
    """
    if weight.dim() > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
            f"{weight.dim()} (weight of shape {tuple(weight.shape)})"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {input.dtype} input and "
            f"{weight.dtype} weight"
        )
    _require_floating(input, "prelu")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            f"prelu: Mismatch of parameter numbers and input channel size. Found parameter "
            f"numbers = {weight.numel()} and channel size = {channels} (input of shape "
            f"{tuple(input.shape)})"
        )
    if weight.numel() == 1:
        slope = weight.reshape(())
    else:
        slope = weight.reshape((channels,) + (1,) * (input.dim() - 2))
    return tensorgrad.where(input > 0, input, slope * input)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: input where input > 0, else a·input.

    In training each element draws its slope a ~ U(lower, upper) (from tensorgrad's global
    generator, so the draws differ from PyTorch's); in evaluation a = (lower + upper) / 2.
    """
    _require_floating(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)

    def function(x):
        slope = tensorgrad.rand(x.shape, dtype=x.dtype, device=x.device) * (upper - lower) + lower
        return tensorgrad.where(x > 0, x, x * slope)

    return _apply(function, input, inplace)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a·sigmoid(b), where a and b are the two halves of ``input``
    along ``dim``. input: (*, 2n, *) → (*, n, *)."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    _require_floating(input, "glu")
    if not -input.dim() <= dim < input.dim():
        raise IndexError(
            f"glu: Dimension out of range (expected to be in range of [{-input.dim()}, "
            f"{input.dim() - 1}], but got {dim})"
        )
    axis = dim % input.dim()
    if input.shape[axis] % 2:
        raise RuntimeError(
            f"glu: Halving dimension must be even, but dimension {axis} is size "
            f"{input.shape[axis]} (input of shape {tuple(input.shape)})"
        )
    first, second = input.chunk(2, axis)
    return first * second.sigmoid()


def _softmax_dim(input: Tensor, dim: int | None, op: str, stacklevel: int = 3) -> int:
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {op} has been deprecated. Change the call to "
            f"include dim=X as an argument.",
            stacklevel=stacklevel,
        )
        return 0 if input.dim() in (0, 1, 3) else 1
    return dim


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """e^x / Σ e^x along ``dim`` (``tensorgrad.softmax``: stable and accurate for any logits)."""
    return tensorgrad.softmax(input, _softmax_dim(input, dim, "softmax"), dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``: each slice sums to 1, the smallest entry weighs most.

    Same shape as ``input``; ``dtype`` casts the input first (needed for integer input).
    """
    if input.dtype == tensorgrad.bool:
        raise RuntimeError("softmin: negation of a bool tensor is not supported")
    if dtype is None:
        _require_floating(input, "softmin")
    dim = _softmax_dim(input, dim, "softmin", _stacklevel)
    return tensorgrad.softmax(-input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``: the log of :func:`softmax`, without underflow."""
    return tensorgrad.log_softmax(input, _softmax_dim(input, dim, "log_softmax"), dtype)
