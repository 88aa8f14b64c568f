"""``CosineSimilarity`` and ``PairwiseDistance``: modules over ``nn.functional``'s distances."""

from __future__ import annotations

from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim`` (norms clamped at ``eps``).

    x1, x2 broadcast to a common shape (*, D, *) → (*, *), ``dim`` removed.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p along the last dim: (*, D) and (*, D) → (*) ((*, 1) with
    ``keepdim``). The p of the norm is stored as ``norm``, as in PyTorch."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
