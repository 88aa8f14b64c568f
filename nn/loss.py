"""Loss modules: each holds its options and calls the matching ``nn.functional`` loss.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` (one loss per element or
sample); PyTorch's deprecated ``size_average``/``reduce`` flags are accepted too. A class
weight passed to a loss is registered as a buffer named ``weight`` (``pos_weight`` too), as
in PyTorch, so it moves with ``to(dtype)`` and appears in ``state_dict``.
"""

from __future__ import annotations

from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn._functional_loss_common import _reduction
from tensorgrad.nn.module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "KLDivLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "CosineEmbeddingLoss",
    "MultiMarginLoss",
    "MultiLabelSoftMarginLoss",
    "TripletMarginLoss",
    "SoftMarginLoss",
]


# The options of a loss that are tensors: buffers, so that they move with the module.
_BUFFERS = ("weight", "pos_weight")


class _Loss(Module):
    """A loss module: it keeps ``reduction`` and the options given to ``_keep``, and ``_loss``
    hands them all to the ``nn.functional`` loss."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(type(self).__name__, reduction, size_average, reduce)
        self._options: tuple[str, ...] = ()

    def _keep(self, **options) -> None:
        """Keep ``options`` for ``_loss``: as attributes, or as buffers for the weights."""
        self._options += tuple(options)
        for name, value in options.items():
            if name in _BUFFERS:
                self.register_buffer(name, value)
            else:
                setattr(self, name, value)

    def _loss(self, function, *inputs: Tensor) -> Tensor:
        """``function(*inputs)`` with this module's options and reduction by keyword."""
        options = {name: getattr(self, name) for name in self._options}
        return function(*inputs, **options, reduction=self.reduction)


class _WeightedLoss(_Loss):
    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._keep(weight=weight)


class _MarginLoss(_Loss):
    """A loss whose one option is ``margin`` (PyTorch's signature: margin first)."""

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._keep(margin=margin)


class MSELoss(_Loss):
    """Mean squared error: (input - target)², reduced. Input and target: same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.mse_loss, input, target)


class L1Loss(_Loss):
    """Mean absolute error: |input - target|, reduced."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.l1_loss, input, target)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above: 0.5·d²/beta if d < beta else d - 0.5·beta."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._keep(beta=beta)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.smooth_l1_loss, input, target)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear above: 0.5·d² if d < delta else delta·(d - delta/2)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self._keep(delta=delta)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.huber_loss, input, target)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1] (logs clamped at -100)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.binary_cross_entropy, input, target)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(input), computed stably from the logits.

    ``weight`` rescales each element; ``pos_weight`` (e.g. one value per class, broadcast
    along the last dim) rescales the positive term.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._keep(weight=weight, pos_weight=pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.binary_cross_entropy_with_logits, input, target)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits (N, C, …) against class indices (N, …) or probabilities.

    ``weight`` (C,) rescales classes, targets equal to ``ignore_index`` are skipped, and
    ``label_smoothing`` mixes the target with the uniform distribution over classes.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self._keep(ignore_index=ignore_index, label_smoothing=label_smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.cross_entropy, input, target)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C, …) at class indices (N, …)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self._keep(ignore_index=ignore_index)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.nll_loss, input, target)


class KLDivLoss(_Loss):
    """KL divergence of the log-probabilities ``input`` from ``target`` (probabilities, or
    log-probabilities with ``log_target``); ``reduction='batchmean'`` gives the true KL
    divergence per sample (sum / batch size). Input and target broadcast together."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        batchmean = reduction == "batchmean" and size_average is None and reduce is None
        super().__init__(size_average, reduce, "mean" if batchmean else reduction)
        if batchmean:
            self.reduction = "batchmean"
        self._keep(log_target=log_target)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.kl_div, input, target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood of ``target`` counts; ``input`` is the log-rate
    (``log_input``) or the rate; ``full`` adds Stirling's term for log(target!)."""

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._keep(log_input=log_input, full=full, eps=eps)

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.poisson_nll_loss, log_input, target)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of ``target`` under N(input, var); ``forward(input,
    target, var)`` takes var of the input's shape, without its last dim, with one dim of size
    1, or a number (see ``F.gaussian_nll_loss``)."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self._keep(full=full, eps=eps)

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return self._loss(F.gaussian_nll_loss, input, target, var)


class MarginRankingLoss(_MarginLoss):
    """max(0, -target·(input1 - input2) + margin) for targets ±1."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.margin_ranking_loss, input1, input2, target)


class HingeEmbeddingLoss(_MarginLoss):
    """x where target is 1, max(0, margin - x) where target is -1 (x usually a distance)."""

    def __init__(
        self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.hinge_embedding_loss, input, target)


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1; inputs
    (N, D) with target (N,), or (D,) with a 0-d target."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.cosine_embedding_loss, input1, input2, target)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge (SVM) loss of scores (N, C) or (C,) at int64 class indices (N,) or
    (): Σ_{j≠y} w[y]·max(0, margin - x[y] + x[j])^p / C, with p 1 or 2."""

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got p={p}")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                f"{weight.dim()}D instead"
            )
        self._keep(p=p, margin=margin)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.multi_margin_loss, input, target)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class logistic loss of logits (N, C) against 0/1 labels, averaged over classes;
    ``weight`` rescales each class."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.multilabel_soft_margin_loss, input, target)


class TripletMarginLoss(_Loss):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with the p-norm pairwise
    distance d; ``swap`` takes min(d(a, n), d(p, n)) as the negative distance."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self._keep(margin=margin, p=p, eps=eps, swap=swap)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return self._loss(F.triplet_margin_loss, anchor, positive, negative)


class SoftMarginLoss(_Loss):
    """log(1 + e^(-target·input)) for targets ±1 (two-class logistic loss)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._loss(F.soft_margin_loss, input, target)
