"""The spatial half of ``tensorgrad.nn.functional``: padding, channel dropout, resizing,
pixel shuffles, sliding blocks (unfold/fold), max-unpooling and local response norm, plus the
core's convolutions and pools under their ``F`` names. Re-exported by ``functional``.
"""

from __future__ import annotations

import math

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.ops import pooling

conv1d = tensorgrad.conv1d
conv2d = tensorgrad.conv2d
conv3d = tensorgrad.conv3d
conv_transpose1d = tensorgrad.conv_transpose1d
conv_transpose2d = tensorgrad.conv_transpose2d
conv_transpose3d = tensorgrad.conv_transpose3d
max_pool1d, max_pool2d, max_pool3d = pooling.max_pool1d, pooling.max_pool2d, pooling.max_pool3d
avg_pool1d, avg_pool2d, avg_pool3d = pooling.avg_pool1d, pooling.avg_pool2d, pooling.avg_pool3d
adaptive_avg_pool1d = pooling.adaptive_avg_pool1d
adaptive_avg_pool2d = pooling.adaptive_avg_pool2d
adaptive_avg_pool3d = pooling.adaptive_avg_pool3d
adaptive_max_pool1d = pooling.adaptive_max_pool1d
adaptive_max_pool2d = pooling.adaptive_max_pool2d


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None):
    """Pad (or crop, for negative amounts).

    ``pad`` lists (before, after) pairs starting from the LAST dim: ``(1, 2)`` adds one
    column on the left and two on the right; ``(1, 1, 2, 2)`` also adds two rows above and
    below. ``mode``: ``'constant'`` (``value``, default 0, any number of dims), or
    ``'reflect'`` (mirror without repeating the edge), ``'replicate'`` (repeat the edge),
    ``'circular'`` (wrap around) on the last 1, 2 or 3 dims of a (batched or unbatched)
    input, as PyTorch. Differentiable (twice) in every mode.
    """
    if mode in _INDEX_PADDINGS:
        return _pad_by_index(input, tuple(pad), mode)
    if mode != "constant":
        raise NotImplementedError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if len(pad) % 2 or len(pad) // 2 > input.dim():
        raise ValueError(
            f"pad: padding length must be even and at most twice the number of dims "
            f"({input.dim()}), got {len(pad)}"
        )
    crop, place, shape = [], [], list(input.shape)
    for dim in range(input.dim()):
        pair = input.dim() - 1 - dim
        before, after = (pad[2 * pair], pad[2 * pair + 1]) if pair < len(pad) // 2 else (0, 0)
        size = input.shape[dim]
        crop.append(slice(max(-before, 0), size - max(-after, 0)))
        kept = size - max(-before, 0) - max(-after, 0)
        if kept < 0:
            raise RuntimeError(
                f"pad: padding {tuple(pad)} crops more than the size of dim {dim} of input "
                f"shape {tuple(input.shape)}"
            )
        shape[dim] = kept + max(before, 0) + max(after, 0)
        place.append(slice(max(before, 0), max(before, 0) + kept))
    cropped = input[tuple(crop)]
    canvas = tensorgrad.full(
        tuple(shape), 0 if value is None else value, dtype=input.dtype, device=input.device
    )
    return tensorgrad.index_put(canvas, tuple(place), cropped)


_INDEX_PADDINGS = ("reflect", "replicate", "circular")


def _pad_by_index(input: Tensor, pad: tuple, mode: str) -> Tensor:
    """The non-constant paddings, as one ``index_select`` per padded dim: each output
    position reads a source position (mirrored, clamped or wrapped), so the gradient adds
    back into the positions that were read."""
    dims = len(pad) // 2
    if len(pad) % 2 or dims not in (1, 2, 3) or input.dim() not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: mode={mode!r} pads the last 1, 2 or 3 dims of a 2-D to 5-D input with 2, 4 "
            f"or 6 values; got padding of length {len(pad)} for input of shape "
            f"{tuple(input.shape)}"
        )
    output = input
    for pair in range(dims):
        dim = input.dim() - 1 - pair
        before, after = pad[2 * pair], pad[2 * pair + 1]
        size = input.shape[dim]
        limit = size - 1 if mode == "reflect" else size
        if mode != "replicate" and (before > limit or after > limit):
            raise RuntimeError(
                f"pad: {mode} padding ({before}, {after}) of dim {dim} must be "
                f"{'less than' if mode == 'reflect' else 'at most'} its size {size} (input of "
                f"shape {tuple(input.shape)})"
            )
        if size + before + after <= 0:
            raise RuntimeError(
                f"pad: input (size {size} in dim {dim}, shape {tuple(input.shape)}) is too small "
                f"for padding ({before}, {after}): the output would have size "
                f"{size + before + after}"
            )
        positions = range(-before, size + after)
        if mode == "reflect":
            index = [abs(p) if p < size else 2 * (size - 1) - p for p in positions]
        elif mode == "replicate":
            index = [min(max(p, 0), size - 1) for p in positions]
        else:  # PyTorch crops first, then wraps around what is left
            start, stop = max(-before, 0), size - max(-after, 0)
            index = [start + (p - start) % (stop - start) for p in positions]
        output = output.index_select(dim, _positions(index, input))
    return output


def _positions(index: list[int], like: Tensor) -> Tensor:
    """``index`` as an int64 tensor on ``like``'s device (for ``index_select``)."""
    return tensorgrad.tensor(index, dtype=tensorgrad.int64, device=like.device)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool, dims: int, name: str):
    """Zero whole channels (all positions of one sample's channel) with probability ``p``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    batched = dims + 2
    if input.dim() not in (batched - 1, batched):
        raise RuntimeError(
            f"{name}: Expected {batched - 1}D or {batched}D input, but received a "
            f"{input.dim()}D input of shape {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    unbatched = input.dim() == batched - 1
    channels = input.shape[:1] if unbatched else input.shape[:2]
    mask_shape = tuple(channels) + (1,) * dims
    keep = (tensorgrad.rand(mask_shape, dtype=input.dtype, device=input.device) >= p).to(
        input.dtype
    )
    mask = keep * (1.0 / (1.0 - p)) if p < 1.0 else keep
    return input.mul_(mask) if inplace else input * mask


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``; scale the
    rest by 1/(1-p) (training only)."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 3, "dropout3d")


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    ``mode``: 'nearest', or 'linear' (3-D input), 'bilinear' (4-D), 'trilinear' (5-D), with
    ``align_corners`` as in PyTorch. Each output position reads (and, in the linear modes,
    blends) input positions along one dim at a time, so it is differentiable twice.
    """
    linear_dims = {"linear": 1, "bilinear": 2, "trilinear": 3}
    dims = input.dim() - 2
    if mode not in ("nearest", *linear_dims):
        raise NotImplementedError(
            f"interpolate: mode must be 'nearest', 'linear', 'bilinear' or 'trilinear', got "
            f"{mode!r}"
        )
    if mode in linear_dims and linear_dims[mode] != dims:
        raise NotImplementedError(
            f"interpolate: mode={mode!r} takes a {linear_dims[mode] + 2}-D input, got input of "
            f"shape {tuple(input.shape)}"
        )
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        out = (size,) * dims if isinstance(size, int) else tuple(size)
        scales = [None] * dims
    else:
        factors = (
            (scale_factor,) * dims
            if isinstance(scale_factor, (int, float))
            else tuple(scale_factor)
        )
        out = tuple(int(s * f) for s, f in zip(spatial, factors, strict=True))
        scales = [None if recompute_scale_factor else 1.0 / f for f in factors]
    if len(out) != dims:
        raise ValueError(
            f"interpolate: size {size!r} does not match the {dims} spatial dims of input of "
            f"shape {tuple(input.shape)}"
        )
    if any(s <= 0 for s in spatial + out):
        raise RuntimeError(
            f"interpolate: input and output sizes should be greater than 0, but got input "
            f"{spatial} and output {out}"
        )
    output = input
    for axis, (size_in, size_out, scale) in enumerate(zip(spatial, out, scales, strict=True)):
        scale = size_in / size_out if scale is None else scale
        dim = 2 + axis
        positions = range(size_out)
        if mode == "nearest":
            index = [min(int(math.floor(o * scale)), size_in - 1) for o in positions]
            output = output.index_select(dim, _positions(index, input))
            continue
        if align_corners:
            sources = [
                o * (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0 for o in positions
            ]
        else:
            sources = [max((o + 0.5) * scale - 0.5, 0.0) for o in positions]
        low = [min(int(math.floor(s)), size_in - 1) for s in sources]
        high = [min(i + 1, size_in - 1) for i in low]
        weights = tensorgrad.tensor(
            [s - i for s, i in zip(sources, low, strict=True)],
            dtype=input.dtype,
            device=input.device,
        )
        weights = weights.reshape((-1,) + (1,) * (input.dim() - 1 - dim))
        below = output.index_select(dim, _positions(low, input))
        above = output.index_select(dim, _positions(high, input))
        output = below + (above - below) * weights
    return output


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r), r = ``upscale_factor`` (sub-pixel convolution)."""
    return tensorgrad.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of :func:`pixel_shuffle`."""
    return tensorgrad.pixel_unshuffle(input, downscale_factor)


def _identity_kernel(kernel: tuple, like: Tensor) -> Tensor:
    """(Πkernel, 1, *kernel): one-hot kernels that copy each window position to a channel,
    of ``like``'s dtype and on its device."""
    count = math.prod(kernel)
    identity = tensorgrad.eye(count, dtype=like.dtype, device=like.device)
    return identity.reshape((count, 1) + kernel)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks (im2col): (N, C, H, W) or (C, H, W) → (N, C·Πkernel_size, L), L the
    number of blocks. A convolution with one-hot kernels, so it is differentiable twice."""
    unbatched = input.dim() == 3
    if input.dim() not in (3, 4):
        raise RuntimeError(
            f"unfold: expected a 3-D (unbatched) or 4-D (batched) input, got input of shape "
            f"{tuple(input.shape)}"
        )
    if unbatched:
        input = input.unsqueeze(0)
    kernel = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
    n, channels, height, width = input.shape
    blocks = tensorgrad.conv2d(
        input.reshape(n * channels, 1, height, width),
        _identity_kernel(kernel, input),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    columns = blocks.reshape(n, channels * math.prod(kernel), -1)
    return columns.squeeze(0) if unbatched else columns


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding local blocks back into an image (col2im), the adjoint of :func:`unfold`:
    (N, C·Πkernel_size, L) or unbatched → (N, C, *output_size)."""
    unbatched = input.dim() == 2
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"fold: expected a 2-D (unbatched) or 3-D (batched) input, got input of shape "
            f"{tuple(input.shape)}"
        )
    if unbatched:
        input = input.unsqueeze(0)
    kernel = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    pair = lambda value: (value,) * 2 if isinstance(value, int) else tuple(value)  # noqa: E731
    stride, padding, dilation = pair(stride), pair(padding), pair(dilation)
    blocks_per_dim = [
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, p, d, k, st in zip(size, padding, dilation, kernel, stride, strict=True)
    ]
    count = math.prod(kernel)
    n, rows, length = input.shape
    if rows % count or length != math.prod(blocks_per_dim):
        raise RuntimeError(
            f"fold: expected input of shape (N, C·{count}, {math.prod(blocks_per_dim)}) for "
            f"output_size={size} and kernel_size={kernel}, got {tuple(input.shape)}"
        )
    channels = rows // count
    blocks = input.reshape(n * channels, count, *blocks_per_dim)
    # The rows and columns past the last block (zeros) are the transposed conv's output padding.
    extra = tuple(
        (s + 2 * p - d * (k - 1) - 1) % st
        for s, p, d, k, st in zip(size, padding, dilation, kernel, stride, strict=True)
    )
    image = tensorgrad.conv_transpose2d(
        blocks,
        _identity_kernel(kernel, input),
        stride=stride,
        padding=padding,
        output_padding=extra,
        dilation=dilation,
    )
    image = image.reshape(n, channels, *size)
    return image.squeeze(0) if unbatched else image


def _max_unpool(name: str, dims: int, input, indices, kernel_size, stride, padding, output_size):
    """Put each value back at the flat position ``indices`` recorded by max pooling; zeros
    elsewhere. Differentiable in the values (an index_put)."""
    pair = lambda value: (value,) * dims if isinstance(value, int) else tuple(value)  # noqa: E731
    kernel = pair(kernel_size)
    stride = kernel if stride is None else pair(stride)
    padding = pair(padding)
    unbatched = input.dim() == dims + 1
    if input.dim() not in (dims + 1, dims + 2) or tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"{name}: expected a {dims + 1}-D or {dims + 2}-D input and indices of the same shape, "
            f"got {tuple(input.shape)} and {tuple(indices.shape)}"
        )
    if unbatched:
        input, indices = input.unsqueeze(0), indices.unsqueeze(0)
    spatial = input.shape[2:]
    if output_size is None:
        size = tuple(
            (s - 1) * st - 2 * p + k
            for s, st, p, k in zip(spatial, stride, padding, kernel, strict=True)
        )
    else:
        size = tuple(output_size)[-dims:]
    n, channels = input.shape[:2]
    flat = indices.reshape(n, channels, -1)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= math.prod(size)):
        raise RuntimeError(f"{name}: found an invalid max index for an output of size {size}")
    where = input.device
    rows = tensorgrad.arange(n, device=where).reshape(n, 1, 1).expand(flat.shape)
    columns = tensorgrad.arange(channels, device=where).reshape(1, channels, 1).expand(flat.shape)
    canvas = tensorgrad.zeros((n, channels, math.prod(size)), dtype=input.dtype, device=where)
    output = tensorgrad.index_put(canvas, (rows, columns, flat), input.reshape(n, channels, -1))
    output = output.reshape((n, channels) + size)
    return output.squeeze(0) if unbatched else output


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool1d`: (N, C, L) values at their indices."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d`: (N, C, H, W) values at their indices."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool3d`."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def local_response_norm(input: Tensor, size: int, alpha=1e-4, beta=0.75, k=1.0) -> Tensor:
    """Divide each element by (k + alpha/size · Σ of squares over ``size`` neighbouring
    channels)^beta, AlexNet's normalisation: input (N, C, *) → the same shape."""
    if input.dim() < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)"
        )
    n, channels = input.shape[:2]
    squares = (input * input).reshape(n, 1, channels, -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    average = tensorgrad.ops.pooling.avg_pool2d(squares, (size, 1), stride=1)
    scale = (average.reshape(input.shape) * alpha + k) ** beta
    return input / scale
