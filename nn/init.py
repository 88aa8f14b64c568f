"""Weight initialisation (``tensorgrad.nn.init``): fill a tensor in place, outside the graph.

Every function runs under ``no_grad``, writes into the given tensor, returns it, and accepts
an optional ``generator`` (a ``tensorgrad.Generator``; the global one otherwise). Formulas and
defaults are PyTorch's; the random streams are NumPy's, so values differ from PyTorch's for
the same seed while their distributions match.
"""

from __future__ import annotations

import math
import warnings

import tensorgrad
from tensorgrad import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of weights feeding ``nonlinearity`` (PyTorch's table).

    linear/conv/sigmoid: 1, tanh: 5/3, relu: √2, leaky_relu: √(2 / (1 + slope²)) with
    ``param`` the slope (default 0.01), selu: 3/4.
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity}")


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    """(fan_in, fan_out): dim 1 and dim 0 times the receptive-field size (dims 2…)."""
    if tensor.dim() < 2:
        raise ValueError(
            f"{op}: fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions (got shape {tuple(tensor.shape)})"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, op: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _fans(tensor, op)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Tensor) -> Tensor:
    # The values are drawn and scaled on the host, then copied over: a seed gives the same
    # weights on every device.
    with tensorgrad.no_grad():
        return tensor.copy_(values.to(tensor.device))


def _nonempty(tensor: Tensor, op: str) -> bool:
    if tensor.numel() == 0:
        warnings.warn(f"{op}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return False
    return True


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from U(a, b)."""
    sample = tensorgrad.rand(tensor.shape, generator=generator, dtype=tensorgrad.float64)
    return _fill(tensor, sample * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from N(mean, std²)."""
    sample = tensorgrad.randn(tensor.shape, generator=generator, dtype=tensorgrad.float64)
    return _fill(tensor, sample * std + mean)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with tensorgrad.no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal)."""
    if tensor.dim() != 2:
        raise ValueError(
            f"eye_: only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}"
        )
    return _fill(tensor, tensorgrad.eye(*tensor.shape, dtype=tensor.dtype))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain·√(3 / fan), gain from ``nonlinearity``.

    ``a`` is the negative slope for ``leaky_relu``; ``mode`` picks fan_in (preserves the
    forward pass's variance) or fan_out (the backward pass's).
    """
    if not _nonempty(tensor, "kaiming_uniform_"):
        return tensor
    fan = _fan(tensor, mode, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He normal: N(0, std²) with std = gain / √fan, gain from ``nonlinearity``."""
    if not _nonempty(tensor, "kaiming_normal_"):
        return tensor
    fan = _fan(tensor, mode, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)
