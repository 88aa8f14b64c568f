"""Shape arithmetic shared by every layer: dims, broadcasting, and the errors for both."""

from __future__ import annotations

import operator

__all__ = [
    "normalize_dim",
    "normalize_dims",
    "broadcast_shape",
    "broadcast_error",
    "sum_to_axes",
]


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """Turn a possibly negative ``dim`` into an index, raising PyTorch's IndexError if invalid."""
    rank = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, like PyTorch
    if not -rank <= dim < rank:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return dim % rank


def _dim_index(dim, op: str) -> int:
    """An int (or integer tensor) dim as an int; anything else is PyTorch's TypeError."""
    try:
        return operator.index(dim)
    except TypeError:
        raise TypeError(
            f"{op}: dim must be an int or a tuple of ints, got {type(dim).__name__}"
        ) from None


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """``None`` → every dim; an int or a sequence → sorted, non-negative, without repeats."""
    if dim is None:
        return tuple(range(ndim))
    if not isinstance(dim, (tuple, list)):
        dims = (normalize_dim(_dim_index(dim, op), ndim, op),)
    else:
        dims = tuple(normalize_dim(_dim_index(d, op), ndim, op) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dim {tuple(dim)} names a dimension more than once")
    if ndim == 0:
        return ()
    return tuple(sorted(dims))


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    """The broadcast of ``shapes``, or None if they are incompatible."""
    ndim = max(len(s) for s in shapes)
    result = []
    for axis in range(-ndim, 0):
        size = 1
        for shape in shapes:
            if -axis > len(shape):
                continue
            s = shape[axis]
            if s != 1:
                if size != 1 and s != size:
                    return None
                size = s
        result.append(size)
    return tuple(result)


def broadcast_error(op: str, *shapes: tuple[int, ...]) -> RuntimeError:
    """The error for shapes that do not broadcast, naming the op, the shapes and the dim."""
    ndim = max(len(s) for s in shapes)
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if -axis <= len(s)} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(s) for s in shapes)
            sizes_text = " and ".join(str(s[axis]) for s in shapes if -axis <= len(s))
            return RuntimeError(
                f"{op}: shapes {listed} cannot be broadcast together: dimension {axis} has "
                f"sizes {sizes_text}"
            )
    return RuntimeError(f"{op}: shapes {shapes} cannot be broadcast together")


def sum_to_axes(shape: tuple, target: tuple) -> tuple[int, ...] | None:
    """The axes of ``shape`` to sum (keeping dims) so that it reshapes to ``target``.

    None if ``target`` does not broadcast to ``shape`` (the reduction would be meaningless).
    """
    lead = len(shape) - len(target)
    if lead < 0:
        return None
    axes = list(range(lead))
    for i, size in enumerate(target):
        full = shape[lead + i]
        if size != full:
            if size != 1:
                return None
            axes.append(lead + i)
    return tuple(axes)
