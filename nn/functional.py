"""``tensorgrad.nn.functional``: the stateless forms of the layers, activations and losses.

Composites of the core's ops unless noted; the activations live in
``_functional_activation.py``, the classification losses in
``_functional_loss_classification.py``, the regression and likelihood losses in
``_functional_loss_regression.py`` (their shared reduction helpers in
``_functional_loss_common.py``), the distances and the margin and embedding losses in
``_functional_distance.py``, the spatial functions (padding, resizing, unfold/fold,
convolutions and pools) in ``_functional_spatial.py`` and attention
(``scaled_dot_product_attention``, ``multi_head_attention_forward``) in
``_functional_attention.py``; all are re-exported here, so ``F.cross_entropy`` and
``F.conv2d`` work as in PyTorch.
"""

from __future__ import annotations

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn._functional_activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from tensorgrad.nn._functional_attention import (
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from tensorgrad.nn._functional_distance import (
    cosine_embedding_loss,
    cosine_similarity,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    pairwise_distance,
    soft_margin_loss,
    triplet_margin_loss,
)
from tensorgrad.nn._functional_loss_classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    kl_div,
    nll_loss,
)
from tensorgrad.nn._functional_loss_regression import (
    gaussian_nll_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)
from tensorgrad.nn._functional_spatial import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    dropout1d,
    dropout2d,
    dropout3d,
    fold,
    interpolate,
    local_response_norm,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    unfold,
)
from tensorgrad.ops import fused

__all__ = [
    "linear",
    "conv1d",
    "dropout1d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "local_response_norm",
    "unfold",
    "fold",
    "dropout2d",
    "dropout3d",
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "group_norm",
    "instance_norm",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "relu",
    "relu_",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "softplus",
    "logsigmoid",
    "softmax",
    "log_softmax",
    "dropout",
    "embedding",
    "one_hot",
    "layer_norm",
    "batch_norm",
    "normalize",
    "pad",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "cosine_similarity",
    "pairwise_distance",
    "relu6",
    "hardtanh",
    "hardtanh_",
    "hardsigmoid",
    "hardswish",
    "celu",
    "celu_",
    "selu",
    "selu_",
    "elu_",
    "leaky_relu_",
    "mish",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
    "hardshrink",
    "softshrink",
    "prelu",
    "rrelu",
    "rrelu_",
    "glu",
    "softmin",
    "scaled_dot_product_attention",
    "multi_head_attention_forward",
]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one graph node.

    input: (*, in_features), weight: (out_features, in_features), bias: (out_features,)
    → (*, out_features). All three must share one floating dtype (as in PyTorch).
    """
    if weight.dim() != 2 or input.dim() < 1 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(input.shape)} and weight of shape "
            f"{tuple(weight.shape)} cannot be multiplied (the input's last dim must equal "
            f"weight.shape[1])"
        )
    tensors = (input, weight) if bias is None else (input, weight, bias)
    if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), ()):
        raise RuntimeError(
            f"linear: bias of shape {tuple(bias.shape)} does not match weight of shape "
            f"{tuple(weight.shape)} (expected ({weight.shape[0]},))"
        )
    dtype = weight.dtype
    if (
        input.dtype is not dtype
        or (bias is not None and bias.dtype is not dtype)
        or not weight.is_floating_point()
    ):
        raise RuntimeError(
            "linear: input, weight and bias must have the same floating dtype, got "
            + ", ".join(str(t.dtype) for t in tensors)
        )
    return fused.linear(*tensors)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only).

    Uses the global random generator (``tensorgrad.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    # Drawn on the host and copied over: a seed gives the same mask on every device.
    keep = tensorgrad.rand(input.shape, dtype=input.dtype, device=input.device) >= p
    mask = keep.to(input.dtype) * (1.0 / (1.0 - p)) if p < 1.0 else keep.to(input.dtype)
    return input.mul_(mask) if inplace else input * mask


@tensorgrad.compiler.allow_in_graph  # its index check reads the indices: one replayed call
def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input`` (*) → (*, dim).

    The row at ``padding_idx`` receives no gradient. With ``max_norm``, the looked-up rows
    whose ``norm_type``-norm exceeds it are rescaled in place first (PyTorch's behaviour).
    """
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if not isinstance(input, Tensor) or input.dtype not in (tensorgrad.int64, tensorgrad.int32):
        kind = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"embedding: indices must be an int64 or int32 tensor, got {kind}")
    rows = weight.shape[0]
    if padding_idx is not None and not -rows <= padding_idx < rows:
        raise AssertionError(  # PyTorch's exception type for this check
            f"Padding_idx must be within num_embeddings: got {padding_idx} for {rows} rows"
        )
    if input.numel() and (input.min().item() < 0 or input.max().item() >= rows):
        raise IndexError(
            f"embedding: index out of range: indices span [{input.min().item()}, "
            f"{input.max().item()}] but the table has {rows} rows"
        )
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    looked_up = weight[input]
    if padding_idx is None or not weight.requires_grad:
        return looked_up
    padding = padding_idx % rows
    return tensorgrad.where((input != padding).unsqueeze(-1), looked_up, looked_up.detach())


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    with tensorgrad.no_grad():
        used = tensorgrad.tensor(
            sorted(set(input.reshape(-1).tolist())), dtype=tensorgrad.int64, device=weight.device
        )
        selected = weight[used]
        # The norm in the weight's dtype, the scale in float64 (PyTorch's embedding_renorm_).
        norms = selected.norm(p=norm_type, dim=1, keepdim=True).double()
        scale = tensorgrad.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[used] = selected * scale.to(weight.dtype)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (*, num_classes): 1 at each index of the integer ``tensor``, 0 elsewhere.

    ``num_classes=-1`` uses ``tensor.max() + 1``.
    """
    if tensor.is_floating_point() or tensor.dtype == tensorgrad.bool:
        raise RuntimeError(f"one_hot is only applicable to index tensor, got {tensor.dtype}")
    if tensor.numel() and tensor.min().item() < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if num_classes == -1:
        num_classes = tensor.max().item() + 1 if tensor.numel() else 0
    elif tensor.numel() and tensor.max().item() >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes ({num_classes}), got "
            f"{tensor.max().item()}"
        )
    classes = tensorgrad.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims (biased variance), then scale
    by ``weight`` and shift by ``bias`` (both of ``normalized_shape``)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape) :]) != shape or input.dim() < len(shape):
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )
    dims = tuple(range(-len(shape), 0))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    variance = (centered * centered).mean(dims, keepdim=True)
    output = centered * (variance + eps).rsqrt()
    if weight is not None:
        output = output * weight
    if bias is not None:
        output = output + bias
    return output


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of (N, C) or (N, C, L) by batch statistics (``training``) or by
    the running ones; in training, update the running mean and unbiased variance in place:
    ``running = (1 - momentum)·running + momentum·batch``."""
    channels = input.shape[1] if input.dim() > 1 else None
    for name, tensor in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if tensor is not None and tensor.numel() != channels:
            raise RuntimeError(
                f"batch_norm: {name} should contain {channels} elements not {tensor.numel()} "
                f"(input of shape {tuple(input.shape)})"
            )
    dims = (0,) + tuple(range(2, input.dim()))
    view = (-1,) + (1,) * (input.dim() - 2)
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{tuple(input.shape)}"
            )
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        variance = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None:
            with tensorgrad.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.reshape(-1) * momentum)
                unbiased = variance.reshape(-1) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        mean, variance = running_mean.reshape(view), running_var.reshape(view)
        centered = input - mean
    output = centered * (variance + eps).rsqrt()
    if weight is not None:
        output = output * weight.reshape(view)
    if bias is not None:
        output = output + bias.reshape(view)
    return output


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``: same shape as ``input`` (floating-point),
    each slice along ``dim`` of p-norm 1 (or 0 if it was 0). ``out`` receives the result."""
    if not input.is_floating_point():
        raise RuntimeError(
            f"normalize: expected a floating-point tensor, got dtype {input.dtype} (input of "
            f"shape {tuple(input.shape)})"
        )
    result = input / input.norm(p=p, dim=dim, keepdim=True).clamp(min=eps)
    return result if out is None else out.copy_(result)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise (N, C, *) input over each group of C / ``num_groups`` channels and all
    positions (biased variance), then scale and shift per channel."""
    if input.dim() < 2 or input.shape[1] % num_groups:
        raise RuntimeError(
            f"group_norm: expected input of shape (N, C, *) with C divisible by num_groups="
            f"{num_groups}, got input of shape {tuple(input.shape)}"
        )
    n, channels = input.shape[:2]
    grouped = input.reshape(n, num_groups, -1)
    mean = grouped.mean(2, keepdim=True)
    centered = grouped - mean
    variance = (centered * centered).mean(2, keepdim=True)
    output = (centered * (variance + eps).rsqrt()).reshape(input.shape)
    view = (channels,) + (1,) * (input.dim() - 2)
    if weight is not None:
        output = output * weight.reshape(view)
    if bias is not None:
        output = output + bias.reshape(view)
    return output


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) input over its positions; with
    running statistics, update them with the mean over the batch of the per-sample ones
    (PyTorch's rule), or normalise by them when ``use_input_stats`` is False."""
    n, channels = input.shape[:2]
    folded = input.reshape((1, n * channels) + tuple(input.shape[2:]))
    repeated_mean = running_mean.repeat(n) if running_mean is not None else None
    repeated_var = running_var.repeat(n) if running_var is not None else None
    output = batch_norm(
        folded, repeated_mean, repeated_var, None, None, use_input_stats, momentum, eps
    ).reshape(input.shape)
    if use_input_stats and running_mean is not None:
        with tensorgrad.no_grad():
            running_mean.copy_(repeated_mean.reshape(n, channels).mean(0))
            running_var.copy_(repeated_var.reshape(n, channels).mean(0))
    view = (channels,) + (1,) * (input.dim() - 2)
    if weight is not None:
        output = output * weight.reshape(view)
    if bias is not None:
        output = output + bias.reshape(view)
    return output


def __getattr__(name: str):
    # A PyTorch name tensorgrad.nn.functional lacks says so, instead of a bare AttributeError.
    if name.startswith("_"):
        raise AttributeError(f"module 'tensorgrad.nn.functional' has no attribute {name!r}")
    raise AttributeError(
        f"tensorgrad.nn.functional has no {name!r} (PyTorch's torch.nn.functional.{name}, if "
        f"it exists, is not implemented yet)",
        name=name,
    )
