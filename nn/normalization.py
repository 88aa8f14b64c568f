"""Normalisation layers: ``LayerNorm``, ``BatchNorm1d/2d/3d``, ``GroupNorm`` and
``InstanceNorm1d/2d/3d``."""

from __future__ import annotations

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.module import Module
from tensorgrad.nn.parameter import Parameter

__all__ = [
    "LayerNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
]


def _register_affine(
    module: Module, shape: tuple, affine: bool, bias: bool, dtype, device=None
) -> None:
    """The learned scale ``weight`` (ones) and shift ``bias`` (zeros) of ``shape``, or None."""
    if affine:
        module.weight = Parameter(tensorgrad.ones(shape, dtype=dtype, device=device))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(tensorgrad.zeros(shape, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dims, then apply a learned
    elementwise scale (``weight``, ones) and shift (``bias``, zeros).

    Input (*, *normalized_shape) → output of the same shape; the variance is the biased one.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(
            self, self.normalized_shape, elementwise_affine, bias, dtype, device=device
        )

    def reset_parameters(self) -> None:
        """Scale back to ones, shift back to zeros."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class _BatchNorm(Module):
    """Normalise each channel (dim 1) by batch statistics, then scale and shift per channel.

    In training mode the batch mean and biased variance normalise, and the running mean and
    unbiased variance are updated: ``running = (1 - momentum)·running + momentum·batch``
    (``momentum=None``: the cumulative average over ``num_batches_tracked`` batches). In
    eval mode the running statistics normalise (batch statistics if
    ``track_running_stats=False``). Buffers: ``running_mean``, ``running_var``,
    ``num_batches_tracked`` (int64), as in PyTorch's state dicts.
    """

    _input_dims: tuple = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, (num_features,), affine, bias, dtype, device=device)
        if track_running_stats:
            self.register_buffer(
                "running_mean", tensorgrad.zeros(num_features, dtype=dtype, device=device)
            )
            self.register_buffer(
                "running_var", tensorgrad.ones(num_features, dtype=dtype, device=device)
            )
            self.register_buffer("num_batches_tracked", tensorgrad.tensor(0, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Reset the running statistics and the affine scale (1) and shift (0)."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in self._input_dims:
            expected = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(
                f"expected {expected} input (got {input.dim()}D input of shape "
                f"{tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{self!r}: input has {input.shape[1]} channels in dim 1 (shape "
                f"{tuple(input.shape)}), expected {self.num_features}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with tensorgrad.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / self.num_batches_tracked.item()
        use_batch_stats = self.training or self.running_mean is None
        update = self.training and self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if update or not use_batch_stats else None,
            self.running_var if update or not use_batch_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input (see :class:`_BatchNorm`)."""

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel over N, H and W."""

    _input_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input, per channel over N, D, H and W."""

    _input_dims = (5,)


class GroupNorm(Module):
    """Normalise each sample over groups of channels (and all spatial positions), then scale
    and shift per channel: input (N, C, *) → the same shape; C must divide into
    ``num_groups`` groups. ``weight`` ones and ``bias`` zeros when ``affine``."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        _register_affine(self, (num_channels,), affine, bias, dtype, device=device)

    def reset_parameters(self) -> None:
        """Scale back to ones, shift back to zeros."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_BatchNorm):
    """Normalise each channel of each sample over its spatial positions (PyTorch's defaults:
    no affine parameters, no running statistics). Unbatched input is accepted."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        batched = self._input_dims[-1]
        if input.dim() not in (batched - 1, batched):
            raise ValueError(
                f"expected {batched - 1}D or {batched}D input (got {input.dim()}D input of shape "
                f"{tuple(input.shape)})"
            )
        unbatched = input.dim() == batched - 1
        if unbatched:
            input = input.unsqueeze(0)
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.1 if self.momentum is None else self.momentum
        output = F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats,
            momentum,
            self.eps,
        )
        return output.squeeze(0) if unbatched else output


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input."""

    _input_dims = (3,)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input."""

    _input_dims = (4,)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input."""

    _input_dims = (5,)


class LocalResponseNorm(Module):
    """AlexNet's normalisation over ``size`` neighbouring channels: input (N, C, *) → same."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
