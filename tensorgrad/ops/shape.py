"""Shape and layout: reshape/view, permute/transpose, squeeze/unsqueeze, expand, repeat, flip,
clone (joining and splitting tensors is in ``joining.py``).

Views (reshape, permute, expand…) share memory with their input, as NumPy views do, and also
share its version counter, so an in-place change through either is seen by backward.
"""

from __future__ import annotations

import math
import numbers
import operator

from .._memory_format import (
    check_memory_format,
    contiguous_format,
    empty_as,
    preserve_format,
    resolve,
)
from .._registry import op, tensor_method, tensor_property
from .._shapes import broadcast_error, broadcast_shape, normalize_dim, normalize_dims, sum_to_axes
from ..tensor import Tensor
from ._op import Op


class Reshape(Op):
    """out = x with a new shape (a view when NumPy can make one, else a copy)"""

    is_view = True
    view_may_copy = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape)


class Permute(Op):
    """out = x with its dims reordered"""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):  # the inverse permutation
        inverse = [0] * len(ctx.dims)
        for position, dim in enumerate(ctx.dims):
            inverse[dim] = position
        return Permute.apply(grad, dims=tuple(inverse))


class BroadcastTo(Op):
    """out = x repeated (without copying) along size-1 and new leading dims"""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):  # sum over the broadcast dims
        axes = sum_to_axes(grad.shape, ctx.input_shape)
        return grad.sum(axis=axes, keepdims=True).reshape(ctx.input_shape)


class Repeat(Op):
    """out = x tiled ``repeats`` times along each dim (a copy)"""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = x.shape
        return ctx.xp.tile(x, repeats)

    @staticmethod
    def backward(ctx, grad):  # add up the tiles
        input_shape = ctx.input_shape
        lead = grad.ndim - len(input_shape)
        padded = (1,) * lead + tuple(input_shape)
        interleaved = []
        for size, repeated_size in zip(padded, grad.shape):
            interleaved += [repeated_size // size, size]
        tiles = grad.reshape(interleaved)
        summed = tiles.sum(axis=tuple(range(0, 2 * len(padded), 2)))
        return summed.reshape(input_shape)


class Flip(Op):
    """out = x reversed along dims"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dims=ctx.dims)


class Clone(Op):
    """out = a copy of x (row-major, or laid out in ``memory_format``)"""

    @staticmethod
    def forward(ctx, x, memory_format=None):
        if memory_format is None:
            return x.copy()
        out = empty_as(ctx.xp, x.shape, x.dtype, memory_format)
        out[...] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def _shape_argument(shape, op: str = "reshape") -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` like PyTorch; sizes must be ints
    (or integer scalars), not floats: PyTorch's TypeError."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    if all(type(s) is int for s in shape):
        return tuple(shape)
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        bad = next(s for s in shape if not isinstance(s, numbers.Integral))
        raise TypeError(
            f"{op}(): argument 'size' must be tuple of ints, but found element of type "
            f"{type(bad).__name__}"
        ) from None


def _dims_argument(args: tuple, dims, op: str) -> tuple:
    """A method's dims as PyTorch takes them: ``f(0, 1)``, ``f((0, 1))`` or ``f(dims=(0, 1))``."""
    if dims is not None:
        if args:
            raise TypeError(f"{op}() got dims both positionally and as dims=")
        if not isinstance(dims, (tuple, list)):
            raise TypeError(
                f"{op}(): argument 'dims' must be tuple of ints, not {type(dims).__name__}"
            )
        args = (dims,)
    if not args:
        raise TypeError(f"{op}() missing 1 required positional argument: 'dims'")
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if all(type(d) is int for d in args):
        return args
    for d in args:
        if not isinstance(d, numbers.Integral) or isinstance(d, bool):
            raise TypeError(f"{op}(): dims must be ints, got {type(d).__name__}")
    return tuple(int(d) for d in args)


@op("reshape", numpy=("reshape",))
def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dim may be -1)."""
    shape = _shape_argument(shape, "reshape")
    if shape == input.shape:
        return Reshape.apply(input, shape=shape)
    if -1 not in shape and math.prod(shape) == input._data.size:
        return Reshape.apply(input, shape=shape)
    known = math.prod(s for s in shape if s != -1)
    inferred = shape.count(-1)
    size = input._data.size
    if (
        inferred > 1
        or (inferred == 0 and known != size)
        or (inferred == 1 and (known == 0 or size % known))
    ):
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of size {size} "
            f"(input shape {input.shape})"
        )
    return Reshape.apply(input, shape=shape)


@tensor_method("view")
def view(input: Tensor, *shape) -> Tensor:
    """The same memory seen with a new shape; unlike :func:`reshape`, never copies."""
    result = reshape(input, *shape)
    if input._data.size and result._base is None:
        raise RuntimeError(
            f"view: shape {list(result.shape)} is not compatible with the input's memory layout "
            f"(shape {input.shape}, not contiguous); use .reshape(...) instead"
        )
    return result


@tensor_method("view_as", "reshape_as")
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` reshaped to ``other``'s shape."""
    return reshape(input, other.shape)


@op("flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` … ``end_dim`` into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    start = normalize_dim(start_dim, input.ndim, "flatten")
    end = normalize_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    shape = input.shape
    merged = math.prod(shape[start : end + 1])
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


@op("unflatten")
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    axis = normalize_dim(dim, input.ndim, "unflatten")
    shape = input.shape
    return reshape(input, shape[:axis] + tuple(sizes) + shape[axis + 1 :])


@op("permute")
def permute(input: Tensor, *args, dims=None) -> Tensor:
    """Reorder the dims: ``x.permute(2, 0, 1)``, ``x.permute((2, 0, 1))``,
    ``tensorgrad.permute(x, (2, 0, 1))``."""
    dims = _dims_argument(args, dims, "permute")
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute: number of dims in {list(dims)} does not match the tensor's {input.ndim}"
        )
    normalized = tuple(normalize_dim(d, input.ndim, "permute") for d in dims)
    if len(set(normalized)) != len(normalized):
        raise RuntimeError(f"permute: dims {list(dims)} repeat a dimension")
    return Permute.apply(input, dims=normalized)


@op("transpose")
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    order = list(range(input.ndim))
    a = normalize_dim(dim0, input.ndim, "transpose")
    b = normalize_dim(dim1, input.ndim, "transpose")
    if input.ndim < 2:
        return reshape(input, input.shape)
    order[a], order[b] = order[b], order[a]
    return Permute.apply(input, dims=tuple(order))


@op("swapaxes")
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Swap two dims (NumPy's name for :func:`transpose`)."""
    return transpose(input, axis0, axis1)


@op("swapdims")
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (another name for :func:`transpose`)."""
    return transpose(input, dim0, dim1)


@op("movedim", "moveaxis")
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dim ``source`` to position ``destination``; or several: ``source`` and
    ``destination`` as sequences of the same length (the other dims keep their order)."""
    several = isinstance(source, (tuple, list))
    if several != isinstance(destination, (tuple, list)):
        raise TypeError(
            f"movedim(): source and destination must both be ints or both be sequences of "
            f"ints, got {type(source).__name__} and {type(destination).__name__}"
        )
    sources = tuple(source) if several else (source,)
    destinations = tuple(destination) if several else (destination,)
    if len(sources) != len(destinations):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(sources)} dims) "
            f"should contain the same number of dims as destination ({list(destinations)} dims)"
        )
    rank = input.ndim
    sources = tuple(normalize_dim(d, rank, "movedim") for d in sources)
    destinations = tuple(normalize_dim(d, rank, "movedim") for d in destinations)
    for name, dims in (("source", sources), ("destination", destinations)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(dims)})")
    if rank == 0:
        return reshape(input, ())
    order = [d for d in range(rank) if d not in sources]
    for target, moved in sorted(zip(destinations, sources)):
        order.insert(target, moved)
    return Permute.apply(input, dims=tuple(order))


@op("t")
def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dims, got {input.ndim} dims")
    return transpose(input, 0, -1) if input.ndim == 2 else input


@tensor_property("T", "The tensor with all dims reversed.")
def reversed_dims(input: Tensor) -> Tensor:
    """All dims reversed (``x.T``)."""
    return Permute.apply(input, dims=tuple(reversed(range(input.ndim))))


@tensor_property("mT", "The last two dims swapped (batched matrix transpose).")
def matrix_transpose(input: Tensor) -> Tensor:
    """The last two dims swapped (``x.mT``, batched matrix transpose)."""
    if input.ndim < 2:
        raise RuntimeError(f"mT: expects a tensor with >= 2 dims, got shape {input.shape}")
    return transpose(input, -2, -1)


@op("unsqueeze")
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in ``[-ndim-1, ndim]``)."""
    axis = normalize_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return Reshape.apply(input, shape=shape[:axis] + (1,) + shape[axis:])


@op("squeeze")
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims (all of them, or only those in ``dim``)."""
    if dim is None:
        dims = tuple(i for i, s in enumerate(input.shape) if s == 1)
    else:
        dims = tuple(d for d in normalize_dims(dim, input.ndim, "squeeze") if input.shape[d] == 1)
    shape = tuple(s for i, s in enumerate(input.shape) if i not in dims)
    return Reshape.apply(input, shape=shape)


@tensor_method("expand")
def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying; -1 keeps a dim's size."""
    if not sizes:
        raise TypeError("expand() missing 1 required positional argument: 'size'")
    sizes = _shape_argument(sizes, "expand")
    if sizes == input._data.shape:
        return input
    if -1 not in sizes:
        try:  # NumPy's rules are PyTorch's here; the loop below only explains a failure
            return BroadcastTo.apply(input, shape=sizes)
        except ValueError:
            pass
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes ({len(sizes)}) must be at least the tensor's number "
            f"of dims ({input.ndim}); shape {input.shape}"
        )
    target = []
    for i, size in enumerate(sizes):
        current = input.shape[i - lead] if i >= lead else None
        if size == -1:
            if current is None:
                raise RuntimeError("expand: -1 is not allowed for a new leading dim")
            size = current
        if current is not None and current != 1 and current != size:
            raise RuntimeError(
                f"expand: the expanded size ({size}) must match the existing size ({current}) "
                f"at non-singleton dim {i - lead}; target {list(sizes)}, shape {input.shape}"
            )
        if size < 0:
            raise RuntimeError(
                f"expand: invalid size {size} at dim {i} (sizes are non-negative, or -1 to keep "
                f"an existing dim); target {list(sizes)}, shape {input.shape}"
            )
        target.append(size)
    target = tuple(target)
    if target == input.shape:
        return input
    return BroadcastTo.apply(input, shape=target)


@op("broadcast_to")
def broadcast_to(input: Tensor, shape) -> Tensor:
    """Broadcast to ``shape`` (same as :func:`expand`)."""
    return expand(input, tuple(shape))


@tensor_method("expand_as")
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """Broadcast to ``other``'s shape."""
    return expand(input, other.shape)


@tensor_method("repeat")
def repeat(input: Tensor, *repeats) -> Tensor:
    """Tile the tensor ``repeats[i]`` times along dim i (a copy; more repeats than dims adds
    leading dims)."""
    repeats = _shape_argument(repeats, "repeat")
    if any(r < 0 for r in repeats):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(repeats)}")
    if len(repeats) < input.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(repeats)}) cannot be smaller than the "
            f"tensor's number of dims ({input.ndim})"
        )
    return Repeat.apply(input, repeats=repeats)


@op("flip")
def flip(input: Tensor, *args, dims=None) -> Tensor:
    """Reverse the order of elements along ``dims``: ``x.flip(0, 1)``, ``x.flip((0, 1))``,
    ``tensorgrad.flip(x, (0, 1))``."""
    dims = _dims_argument(args, dims, "flip")
    axes = tuple(normalize_dim(d, input.ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        repeated = next(d for d in axes if axes.count(d) > 1)
        raise RuntimeError(f"flip: dim {repeated} appears multiple times in the list of dims")
    if input.ndim == 0 or not axes:
        return Clone.apply(input)
    return Flip.apply(input, dims=tuple(sorted(axes)))


@op("broadcast_tensors", methods=())
def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape (views, no copies)."""
    target = broadcast_shape(*(t.shape for t in tensors))
    if target is None:
        raise broadcast_error("broadcast_tensors", *(t.shape for t in tensors))
    return tuple(expand(t, target) for t in tensors)


@op("clone")
def clone(input: Tensor, *, memory_format=preserve_format) -> Tensor:
    """A copy that does not share memory (still in the graph), laid out in ``memory_format``
    (by default as ``input`` is: channels-last stays channels-last, see ``memory_format``)."""
    fmt = resolve(input._data, check_memory_format(memory_format or preserve_format, "clone"))
    if fmt is contiguous_format:
        return Clone.apply(input)
    return Clone.apply(input, memory_format=fmt)


@op("pixel_shuffle", methods=())
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r) with r = ``upscale_factor`` (sub-pixel upscaling)."""
    r = upscale_factor
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor ({r * r}), got input of shape {input.shape}"
        )
    *lead, channels, height, width = input.shape
    c = channels // (r * r)
    blocks = input.reshape((*lead, c, r, r, height, width))
    n = len(lead)
    order = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, r, W, r)
    return blocks.permute(order).reshape((*lead, c, height * r, width * r))


@op("pixel_unshuffle", methods=())
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W) with r = ``downscale_factor``: the inverse of
    :func:`pixel_shuffle`."""
    r = downscale_factor
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor "
            f"({r}), got input of shape {input.shape}"
        )
    *lead, channels, height, width = input.shape
    blocks = input.reshape((*lead, channels, height // r, r, width // r, r))
    n = len(lead)
    order = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)  # (*, C, r, r, H, W)
    return blocks.permute(order).reshape((*lead, channels * r * r, height // r, width // r))
