"""``Linear`` (a fully connected layer), ``Identity`` and ``Flatten``."""

from __future__ import annotations

import math

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.module import Module
from tensorgrad.nn.parameter import Parameter

__all__ = ["Linear", "Identity", "Flatten"]


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features: size of each input sample (the input's last dim).
        out_features: size of each output sample.
        bias: whether to learn the additive bias b.
        dtype: the parameters' dtype (the default float type, float32, if None).

    Shapes: input (*, in_features) → output (*, out_features). ``weight`` is
    (out_features, in_features), initialised like PyTorch: kaiming_uniform_(a=√5), i.e.
    U(-1/√in_features, 1/√in_features), and so is ``bias``.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(
            tensorgrad.empty(out_features, in_features, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(tensorgrad.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the weights with PyTorch's default initialisation."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        try:
            return F.linear(input, self.weight, self.bias)
        except RuntimeError as error:  # name the layer, not just the functional form
            if input.dim() == 0 or input.shape[-1] != self.in_features:
                raise RuntimeError(
                    f"{self!r}: input has {input.shape[-1] if input.dim() else 0} features "
                    f"(shape {tuple(input.shape)}), expected {self.in_features} in the last dim"
                ) from error
            raise

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged (accepts and ignores any constructor arguments)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Flatten dims ``start_dim`` … ``end_dim`` into one: (N, C, H, W) → (N, C·H·W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
