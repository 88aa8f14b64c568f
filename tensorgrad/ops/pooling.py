"""Pooling over 1, 2 or 3 spatial dims: max (with indices, dilation, ceil mode), average
(``count_include_pad``, ceil mode, ``divisor_override``) and their adaptive forms.

Each is a composite of differentiable ops, so double backward works:

* max pooling finds each window's maximum on the arrays (a strided view of the padded input,
  no copy) and then *gathers* those input positions — the gradient goes to the chosen element,
  as in PyTorch, and ``return_indices`` gives the same flat indices PyTorch does;
* average pooling is a convolution of each channel with a kernel of ones (one BLAS call),
  divided by PyTorch's window counts;
* adaptive average pooling multiplies each spatial dim by a fixed (out, in) averaging matrix.
"""

from __future__ import annotations

import math

import numpy

from .._backend import array_module
from .._registry import op
from .._tracing import constant, whole_if_needed
from ..tensor import Tensor
from ._util import int_tuple
from .convolution import Convolution, Geometry
from .indexing import Index


def _batched(input: Tensor, dims: int, op_name: str) -> tuple[Tensor, bool]:
    """``input`` with a batch dim (and whether one was added), checking its rank."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op_name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{op_name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, got "
            f"input of shape {tuple(input.shape)}"
        )
    unbatched = input.ndim == dims + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _windows_geometry(op_name, input, dims, kernel_size, stride, padding, dilation, ceil_mode):
    """kernel, stride, padding, dilation tuples and the output size, checked as PyTorch does."""
    kernel = int_tuple(kernel_size, dims, "kernel_size", op_name)
    stride = (
        kernel
        if stride is None or stride == () or stride == []
        else int_tuple(stride, dims, "stride", op_name)
    )
    padding = int_tuple(padding, dims, "padding", op_name)
    dilation = int_tuple(dilation, dims, "dilation", op_name)
    if any(k < 1 for k in kernel) or any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise RuntimeError(
            f"{op_name}: kernel_size {kernel}, stride {stride} and dilation {dilation} must be "
            f"positive"
        )
    for k, p in zip(kernel, padding):
        if p < 0 or p > k // 2:
            raise RuntimeError(
                f"{op_name}: pad should be at most half of kernel size, but got pad={p} and "
                f"kernel_size={k}"
            )
    spatial = tuple(input.shape[2:])
    out = []
    for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        count = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (count - 1) * s >= size + p:  # the last window must start inside
            count -= 1
        out.append(count)
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"{op_name}: given input of shape {tuple(input.shape)}, the calculated output size "
            f"{tuple(out)} is too small"
        )
    return kernel, stride, padding, dilation, tuple(out)


class MaxPool(Index):
    """Max pooling's read of each window's maximum: an ``Index`` that knows its window, so
    graph drawings show the kernel, stride and padding (``description``)."""

    @property
    def description(self) -> str:
        return self.window.describe()

    @staticmethod
    def forward(ctx, x, index, unique=False, window=None):
        ctx.window = window
        return Index.forward(ctx, x, index, unique)


class AvgPool(Convolution):
    """Average pooling's window sums: a convolution of each channel with a kernel of ones,
    named for what it is in graph drawings (which show its kernel, stride and padding)."""


def _window_maxima(xp, padded, kernel, stride, dilation, out, inside=None):
    """Which kernel position (in row-major order) holds each window's maximum of ``padded``
    (N, C, *spatial): an (N, C, *out) array.

    One strided view per kernel position, folded with comparisons: for the small kernels of a
    CNN this is several times faster than ``argmax`` over a window axis of 4 or 9 elements.
    The first maximum wins ties and the last NaN wins over everything, as in PyTorch's CPU
    kernel. ``inside`` (padded like the input, True on real elements) is given when a real
    element may equal the padding's fill: a real element then wins a tie with the padding.
    """
    has_nan = padded.dtype.kind == "f" and bool(xp.isnan(padded).any())
    best = choice = best_inside = None
    for index, position in enumerate(numpy.ndindex(*kernel)):
        window = (slice(None), slice(None)) + tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, o, s in zip(position, dilation, out, stride)
        )
        view = padded[window]
        if best is None:
            best, choice = view.copy(), xp.zeros(view.shape, dtype=numpy.intp)
            best_inside = inside[window].copy() if inside is not None else None
            continue
        better = view > best
        if inside is not None:
            better |= inside[window] & ~best_inside
            best_inside |= better
        if has_nan:
            better |= view != view  # PyTorch's kernel: every NaN takes over
            xp.copyto(best, view, where=better)
        else:  # maximum and the arithmetic select are several times faster than copyto
            xp.maximum(best, view, out=best)
        choice += better * (index - choice)
    return choice


def _max_pool(
    op_name, dims, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
):
    input, unbatched = _batched(input, dims, op_name)
    kernel, stride, padding, dilation, out = _windows_geometry(
        op_name, input, dims, kernel_size, stride, padding, dilation, ceil_mode
    )
    data = input._data
    xp = array_module(data)
    spatial = data.shape[2:]
    extra = [
        max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
        for o, s, d, k, size, p in zip(out, stride, dilation, kernel, spatial, padding)
    ]
    padded, inside = data, None
    if any(padding) or any(extra):
        fill = -numpy.inf if data.dtype.kind == "f" else numpy.iinfo(data.dtype).min
        widths = ((0, 0), (0, 0)) + tuple((p, p + e) for p, e in zip(padding, extra))
        padded = xp.pad(data, widths, constant_values=fill)
        if (data == fill).any():  # a real -inf ties with the padding: the real one must win
            inside = xp.pad(xp.ones(data.shape, dtype=bool), widths)
    choice = _window_maxima(xp, padded, kernel, stride, dilation, out, inside)
    # The flat input position of each window's maximum: its window's start plus the chosen
    # kernel position's offset (one small table lookup).
    steps = [math.prod(spatial[axis + 1 :]) for axis in range(dims)]
    start = 0
    for axis in range(dims):
        first = (xp.arange(out[axis]) * stride[axis] - padding[axis]) * steps[axis]
        start = start + first.reshape(tuple(-1 if a == axis else 1 for a in range(dims)))
    offsets = xp.asarray(
        [
            sum(k * d * step for k, d, step in zip(position, dilation, steps))
            for position in numpy.ndindex(*kernel)
        ]
    )
    indices = start + offsets[choice]
    n, channels = data.shape[:2]
    batch = xp.arange(n).reshape((n, 1) + (1,) * dims)
    channel = xp.arange(channels).reshape((1, channels) + (1,) * dims)
    # Windows that do not overlap never pick a position twice: the backward then writes the
    # gradient instead of accumulating it, several times faster.
    disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
    where = (batch, channel, indices)  # (N, C, *out) reads of the flattened input
    window = Geometry(tuple(spatial), kernel, stride, tuple((p, p) for p in padding), dilation, 1)
    values = MaxPool.apply(input.flatten(2), index=where, unique=disjoint, window=window)
    if unbatched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    index_tensor = Tensor(indices.astype(numpy.int64))
    return values, (index_tensor.squeeze(0) if unbatched else index_tensor)


@op("max_pool1d", methods=())
@whole_if_needed
def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over windows of the last dim: (N, C, L) or (C, L) → (N, C, L_out); with
    ``return_indices`` also the flat position of each maximum (for ``max_unpool1d``)."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


@op("max_pool2d", methods=())
@whole_if_needed
def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over windows of the last two dims: (N, C, H, W) or (C, H, W) → (N, C, H_out, W_out).
    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) pads with
    -inf; ``ceil_mode`` keeps a last, partial window."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


@op("max_pool3d", methods=())
@whole_if_needed
def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over windows of the last three dims: (N, C, D, H, W) or unbatched."""
    return _max_pool(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _window_counts(sizes, kernel, stride, padding, out, include_pad: bool):
    """PyTorch's divisor of each average-pooling window, as an array of shape ``out``."""
    counts = numpy.ones((), dtype=numpy.float64)
    for size, k, s, p, o in zip(sizes, kernel, stride, padding, out):
        start = numpy.arange(o) * s - p
        end = numpy.minimum(start + k, size + p)
        if not include_pad:
            end, start = numpy.minimum(end, size), numpy.maximum(start, 0)
        counts = numpy.multiply.outer(counts, end - start)
    return counts


def _avg_pool(
    op_name,
    dims,
    input,
    kernel_size,
    stride,
    padding,
    ceil_mode,
    count_include_pad,
    divisor_override,
):
    input, unbatched = _batched(input, dims, op_name)
    if not input.is_floating_point():
        raise RuntimeError(f"{op_name}: expected a floating-point input, got {input.dtype}")
    kernel, stride, padding, _, out = _windows_geometry(
        op_name, input, dims, kernel_size, stride, padding, 1, ceil_mode
    )
    n, channels = input.shape[:2]
    spatial = tuple(input.shape[2:])
    pads = tuple(
        (p, max(p, (o - 1) * s + k - size - p))
        for p, o, s, k, size in zip(padding, out, stride, kernel, spatial)
    )
    geometry = Geometry(spatial, kernel, stride, pads, (1,) * dims, 1)
    xp = array_module(input._data)
    ones = constant(Tensor(xp.ones((1, 1) + kernel, dtype=input._data.dtype)))
    sums = AvgPool.apply(input.reshape((n * channels, 1) + spatial), ones, geometry=geometry)
    sums = sums[(slice(None), 0) + tuple(slice(0, o) for o in out)].reshape((n, channels) + out)
    if divisor_override:
        result = sums / divisor_override
    else:
        counts = _window_counts(spatial, kernel, stride, padding, out, count_include_pad)
        counts = xp.asarray(counts.astype(input._data.dtype))  # to the input's device
        result = sums / constant(Tensor(counts))
    return result.squeeze(0) if unbatched else result


@op("avg_pool1d", methods=())
@whole_if_needed
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of the last dim: (N, C, L) or (C, L) → (N, C, L_out)."""
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


@whole_if_needed
def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over windows of the last two dims: (N, C, H, W) or (C, H, W) → (N, C, H_out,
    W_out). The divisor counts the zero padding when ``count_include_pad`` (PyTorch's default),
    or is ``divisor_override``."""
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


@whole_if_needed
def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over windows of the last three dims: (N, C, D, H, W) or unbatched."""
    return _avg_pool(
        "avg_pool3d",
        3,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows: [⌊i·size/out⌋, ⌈(i+1)·size/out⌉) for each output i."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _output_size(output_size, dims: int, spatial: tuple, op_name: str) -> tuple[int, ...]:
    sizes = (
        (output_size,) * dims
        if isinstance(output_size, int) or output_size is None
        else tuple(output_size)
    )
    if len(sizes) == 1:
        sizes = sizes * dims
    if len(sizes) != dims:
        raise RuntimeError(f"{op_name}: output_size must have {dims} elements, got {output_size!r}")
    return tuple(s if s is not None else size for s, size in zip(sizes, spatial))


def _adaptive_avg_pool(op_name, dims, input, output_size):
    input, unbatched = _batched(input, dims, op_name)
    spatial = tuple(input.shape[2:])
    out = _output_size(output_size, dims, spatial, op_name)
    if any(s < 1 for s in spatial) or any(o < 0 for o in out):
        raise RuntimeError(f"{op_name}: input of shape {tuple(input.shape)}, output size {out}")
    xp = array_module(input._data)
    result = input
    for axis, (size, target) in enumerate(zip(spatial, out)):
        averaging = numpy.zeros((size, target), dtype=input._data.dtype)
        for column, (start, stop) in enumerate(_adaptive_bounds(size, target)):
            averaging[start:stop, column] = 1 / (stop - start)
        averaging = constant(Tensor(xp.asarray(averaging)))  # to the input's device
        moved = result.movedim(2 + axis, -1) @ averaging  # average along this dim
        result = moved.movedim(-1, 2 + axis)
    return result.squeeze(0) if unbatched else result


@op("adaptive_avg_pool1d", methods=())
@whole_if_needed
def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average pooling to a fixed output length: (N, C, L) → (N, C, output_size)."""
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


@whole_if_needed
def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size (an int, a pair, None keeping a dim):
    (N, C, H, W) → (N, C, *output_size); ``output_size=1`` is global average pooling."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


@whole_if_needed
def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size over the last three dims."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def _adaptive_max_pool(op_name, dims, input, output_size, return_indices):
    input, unbatched = _batched(input, dims, op_name)
    spatial = tuple(input.shape[2:])
    out = _output_size(output_size, dims, spatial, op_name)
    data = input._data
    xp = array_module(data)
    n, channels = data.shape[:2]
    indices = xp.zeros((n, channels) + out, dtype=numpy.int64)
    grids = [_adaptive_bounds(size, target) for size, target in zip(spatial, out)]
    for cell in numpy.ndindex(*out):  # one window per output element: outputs are small
        box = tuple(slice(*grids[axis][i]) for axis, i in enumerate(cell))
        window = data[(slice(None), slice(None)) + box].reshape(n, channels, -1)
        offsets = xp.unravel_index(window.argmax(axis=-1), tuple(b.stop - b.start for b in box))
        position = tuple(o + b.start for o, b in zip(offsets, box))
        indices[(slice(None), slice(None)) + cell] = xp.ravel_multi_index(position, spatial)
    values = (
        input.flatten(2)
        .gather(2, Tensor(indices.reshape(n, channels, -1)))
        .reshape((n, channels) + out)
    )
    if unbatched:
        values, indices = values.squeeze(0), indices[0]
    return (values, Tensor(indices)) if return_indices else values


@op("adaptive_max_pool1d", methods=())
@whole_if_needed
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length: (N, C, L) → (N, C, output_size)."""
    return _adaptive_max_pool("adaptive_max_pool1d", 1, input, output_size, return_indices)


@whole_if_needed
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size: (N, C, H, W) → (N, C, *output_size)."""
    return _adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


__all__ = [
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
]
