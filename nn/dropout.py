"""``Dropout``: inverted dropout in training mode, the identity in evaluation mode."""

from __future__ import annotations

from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the survivors by 1/(1-p).

    Active only while ``module.training``; ``eval()`` turns it into the identity. The masks
    come from the global generator (``tensorgrad.manual_seed``).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _ChannelDropout(Dropout):
    _function = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, self.p, self.training, self.inplace)


class Dropout1d(_ChannelDropout):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` (training)."""

    _function = staticmethod(F.dropout1d)


class Dropout2d(_ChannelDropout):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""

    _function = staticmethod(F.dropout2d)


class Dropout3d(_ChannelDropout):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""

    _function = staticmethod(F.dropout3d)
