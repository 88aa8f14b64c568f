"""Memory formats: ``contiguous_format``, ``channels_last``, ``channels_last_3d`` and
``preserve_format``, the order in which a tensor's elements lie in memory.

*Decision:* the layout is real, not a flag. A channels-last tensor's array is a NumPy view
of an (N, H, W, C)-ordered buffer, so ``stride()`` and ``is_contiguous(...)`` are read from
the array and equal PyTorch's, and NumPy's elementwise ops keep the layout as PyTorch's do.
Values never depend on the layout. ``preserve_format`` keeps a channels-last layout (a
tensor that ``is_contiguous(memory_format=channels_last)`` but not plainly contiguous) and
otherwise makes a row-major result; PyTorch also keeps other dense layouts (a transposed
tensor's strides), tensorgrad does not.
"""

from __future__ import annotations

__all__ = [
    "memory_format",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "check_memory_format",
    "check_rank",
    "is_contiguous_as",
    "resolve",
    "empty_as",
]


class memory_format:  # noqa: N801 - PyTorch's name
    """A memory layout; the four instances are ``tensorgrad.contiguous_format``,
    ``channels_last``, ``channels_last_3d`` and ``preserve_format`` (no others can be made)."""

    __slots__ = ("_name", "_rank", "_order")

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'tensorgrad.memory_format' instances")

    @classmethod
    def _make(cls, name: str, rank: int | None, order: tuple[int, ...] | None):
        # rank/order: channels-last formats need that rank, and lay dims out in that order
        # (outermost first); None for the formats that fit any rank.
        instance = object.__new__(cls)
        instance._name, instance._rank, instance._order = name, rank, order
        return instance

    def __repr__(self) -> str:
        return f"tensorgrad.{self._name}"

    def __reduce__(self):
        return self._name  # pickles as the module-level name, so it loads as the same object


contiguous_format = memory_format._make("contiguous_format", None, None)
channels_last = memory_format._make("channels_last", 4, (0, 2, 3, 1))
channels_last_3d = memory_format._make("channels_last_3d", 5, (0, 2, 3, 4, 1))
preserve_format = memory_format._make("preserve_format", None, None)


def check_memory_format(value, op: str) -> memory_format:
    """``value`` if it is a memory format, else PyTorch's TypeError naming ``op``."""
    if not isinstance(value, memory_format):
        raise TypeError(
            f"{op}(): argument 'memory_format' must be tensorgrad.memory_format, not "
            f"{type(value).__name__}"
        )
    return value


def check_rank(shape: tuple, fmt: memory_format) -> None:
    """Raise PyTorch's RuntimeError when a channels-last format meets the wrong rank."""
    if fmt._rank is not None and len(shape) != fmt._rank:
        raise RuntimeError(
            f"required rank {fmt._rank} tensor to use {fmt._name} format (got a tensor of "
            f"shape {tuple(shape)})"
        )


def is_contiguous_as(array, fmt: memory_format) -> bool:
    """Whether ``array`` is dense in ``fmt``'s dim order (size-1 dims may have any stride, as
    in PyTorch); a channels-last format and the wrong rank give False."""
    if fmt._order is None:
        return bool(array.flags.c_contiguous)
    if array.ndim != fmt._rank:
        return False
    expected = array.itemsize
    for axis in reversed(fmt._order):  # innermost first
        size = array.shape[axis]
        if size != 1:
            if array.strides[axis] != expected:
                return False
            expected *= size
    return True


def resolve(array, fmt: memory_format) -> memory_format:
    """The concrete format ``fmt`` asks for with ``array`` as the input: ``preserve_format``
    becomes the channels-last format ``array`` is in, else ``contiguous_format``. Checks the
    rank of a channels-last request."""
    if fmt is preserve_format:
        if array.flags.c_contiguous:
            return contiguous_format
        for candidate in (channels_last, channels_last_3d):
            if is_contiguous_as(array, candidate):
                return candidate
        return contiguous_format
    check_rank(array.shape, fmt)
    return fmt


def empty_as(xp, shape: tuple, dtype, fmt: memory_format):
    """An uninitialised array of ``shape`` laid out in the concrete format ``fmt``."""
    if fmt._order is None:
        return xp.empty(shape, dtype=dtype)
    order = fmt._order
    buffer = xp.empty(tuple(shape[axis] for axis in order), dtype=dtype)
    # The buffer holds dims in ``order``; transposing by the inverse permutation gives the
    # logical shape back with channels-last strides (and PyTorch's strides for size-0 dims).
    inverse = tuple(order.index(axis) for axis in range(len(order)))
    return buffer.transpose(inverse)
