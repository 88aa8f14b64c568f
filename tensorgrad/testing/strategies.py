"""Hypothesis strategies for tensors: shapes, values in an op's domain, broadcasting, layouts.

    from hypothesis import given
    from tensorgrad.testing import strategies as tst

    @given(tst.tensors(shape=tst.shapes(max_dims=3), elements=tst.positive(), requires_grad=True))
    def test_log(x): ...

Element strategies (``reals``, ``positive``, ``unit_interval``, ``away_from``, ``grid``,
``edge_values``) draw Python floats; array strategies draw float64 Tensors by default, because
gradients are checked in float64.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "tensorgrad.testing.strategies needs hypothesis: pip install hypothesis "
        "(or pip install 'tensorgrad[test]')"
    ) from error
import numpy as np

from .._creation import from_numpy
from .._dtypes import float64, to_numpy_dtype

__all__ = [
    "reals",
    "positive",
    "unit_interval",
    "away_from",
    "grid",
    "edge_values",
    "shapes",
    "tensors",
    "broadcastable_tensors",
    "matmul_operands",
    "axes",
    "dims",
    "basic_indices",
    "integer_indices",
    "MATMUL",
]

#: ``numpy.matmul``'s signature: 1-D or 2-D operands, broadcast batch dimensions in front.
MATMUL = np.matmul.signature


# ---------------------------------------------------------------------- element domains
def reals(low: float = -3.0, high: float = 3.0) -> st.SearchStrategy[float]:
    """Finite floats in ``[low, high]`` (no subnormals): the default domain of smooth ops."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def positive(low: float = 0.1, high: float = 4.0) -> st.SearchStrategy[float]:
    """Floats in ``[low, high]`` with ``low > 0``: the domain of ``log``, ``sqrt``, ``rsqrt``."""
    if low <= 0:
        raise ValueError(f"positive: low must be > 0, got {low}")
    return reals(low, high)


def unit_interval(margin: float = 0.05) -> st.SearchStrategy[float]:
    """Floats in ``[margin, 1 - margin]``: probabilities kept off 0 and 1."""
    return reals(margin, 1.0 - margin)


def away_from(
    points: Sequence[float], margin: float = 0.1, low: float = -3.0, high: float = 3.0
) -> st.SearchStrategy[float]:
    """Floats in ``[low, high]`` at least ``margin`` from every point (kinks of abs, relu, clamp).

    A draw that lands within ``margin`` of a point is pushed out to ``point ± margin`` (mapping,
    not filtering, so hypothesis never gives up); points should be ``2 * margin`` apart.
    """
    points = tuple(float(p) for p in points)

    def push(value: float) -> float:
        for point in points:
            if abs(value - point) < margin:
                return point + math.copysign(margin, value - point)
        return value

    return reals(low, high).map(push)


def grid(
    step: float = 0.25, offset: float = 0.0, low: float = -4.0, high: float = 4.0
) -> st.SearchStrategy[float]:
    """Values ``offset + k * step`` in ``[low, high]``: exact in binary when ``step`` is a power
    of two, so two grids with different offsets never tie (``maximum``, ``clamp`` bounds), and
    ``unique=True`` arrays on a grid have gaps of at least ``step`` (``max``, ``amax``)."""
    first = math.ceil((low - offset) / step)
    last = math.floor((high - offset) / step)
    return st.integers(first, last).map(lambda k: offset + k * step)


def edge_values(large: float = 1e3, include_infinity: bool = False) -> st.SearchStrategy[float]:
    """A mix of ``±0``, ``±large``, tiny and ordinary values, for numerical-stability tests."""
    special = [0.0, -0.0, large, -large, 1e-300, -1e-300, 1.0, -1.0]
    if include_infinity:
        special += [math.inf, -math.inf]
    return st.one_of(st.sampled_from(special), reals(-large, large))


# ---------------------------------------------------------------------- shapes and dims
def shapes(
    *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes with ``min_dims..max_dims`` dimensions of ``min_side..max_side`` each."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def axes(ndim: int, *, min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy:
    """Tuples of distinct valid dimensions (possibly negative) of an ``ndim``-dimensional tensor."""
    return hnp.valid_tuple_axes(ndim, min_size=min_size, max_size=max_size)


def dims(ndim: int, *, allow_none: bool = True, allow_tuple: bool = True) -> st.SearchStrategy:
    """What a reduction's ``dim=`` accepts: None, an int in ``[-ndim, ndim)`` or a tuple of them.

    A 0-d tensor accepts ``dim=0`` and ``dim=-1``, as in PyTorch.
    """
    options = [st.integers(-max(ndim, 1), max(ndim, 1) - 1)]
    if allow_none:
        options.append(st.none())
    if allow_tuple and ndim > 0:
        options.append(axes(ndim, min_size=1))
    return st.one_of(options)


def basic_indices(shape: tuple[int, ...], *, allow_negative_steps: bool = False):
    """Indices made of ints, slices, ``None`` and ``...`` valid for ``shape``.

    PyTorch rejects negative slice steps, so by default they are turned positive.
    """

    def positive_steps(index):
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(
            slice(p.start, p.stop, -p.step) if isinstance(p, slice) and p.step and p.step < 0 else p
            for p in parts
        )
        return parts if isinstance(index, tuple) else parts[0]

    indices = hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True)
    return indices if allow_negative_steps else indices.map(positive_steps)


def integer_indices(shape: tuple[int, ...], *, max_dims: int = 2, max_side: int = 4):
    """Tuples of int64 arrays (broadcast together, repeats and negatives included) that index
    the leading dimensions of ``shape``."""
    return hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=max_side)
    )


# ---------------------------------------------------------------------- tensors
def _default_elements(np_dtype: np.dtype) -> st.SearchStrategy:
    if np_dtype.kind == "f":
        return reals()
    if np_dtype.kind == "b":
        return st.booleans()
    return st.integers(-10, 10)


_LAYOUTS = ("permuted", "strided", "reversed")


def _laid_out(draw, array: np.ndarray, contiguous: bool | None) -> np.ndarray:
    """``array``'s values in a contiguous array, or in a permuted, strided or reversed view."""
    if contiguous or array.ndim == 0:
        return array
    # Permuting axes changes the memory order only when two of them are longer than 1.
    layouts = _LAYOUTS if sum(side > 1 for side in array.shape) > 1 else _LAYOUTS[1:]
    if contiguous is None:
        layouts = ("contiguous", *layouts)
    layout = draw(st.sampled_from(layouts))
    if layout == "contiguous":
        return array
    if layout == "permuted":
        # Reorder the axes longer than 1 (never the identity), keep the others in place.
        long_axes = [axis for axis, side in enumerate(array.shape) if side > 1]
        shuffled = draw(st.permutations(long_axes))
        if shuffled == long_axes:
            shuffled = long_axes[::-1]
        order = list(range(array.ndim))
        for axis, replacement in zip(long_axes, shuffled, strict=True):
            order[axis] = replacement
        storage = np.empty([array.shape[axis] for axis in order], array.dtype)
        view = storage.transpose(np.argsort(order))
    elif layout == "strided":
        storage = np.empty([2 * side for side in array.shape], array.dtype)
        view = storage[(slice(None, None, 2),) * array.ndim]
    else:
        view = np.empty_like(array)[(slice(None, None, -1),) * array.ndim]
    view[...] = array
    return view


def tensors(
    shape=None,
    *,
    dtype=float64,
    elements: st.SearchStrategy | None = None,
    requires_grad: bool = False,
    unique: bool = False,
    contiguous: bool | None = True,
) -> st.SearchStrategy:
    """Tensors of ``shape`` (a tuple, a strategy of tuples, or None for :func:`shapes`).

    Args:
        dtype: a tensorgrad or NumPy dtype (float64 by default: gradient checks need it).
        elements: a strategy for the values (default: :func:`reals`, integers, booleans).
        requires_grad: whether the drawn tensor is a leaf that requires grad.
        unique: all elements distinct (use a :func:`grid` for gaps wider than rounding).
        contiguous: True for contiguous storage; False for a non-contiguous view of it
            (permuted, strided or reversed axes, when ``ndim > 0``); None to draw either.
    """
    if isinstance(shape, list):
        shape = tuple(shape)
    return _tensor_strategy(
        shape, np.dtype(to_numpy_dtype(dtype)), elements, requires_grad, unique, contiguous
    )


# Building and validating a hypothesis strategy costs far more than drawing from it, and
# composite strategies ask for tensors of a freshly drawn shape on every example: so values are
# drawn flat, from one cached strategy per size, and reshaped.
@functools.lru_cache(maxsize=4096)
def _flat_values(np_dtype, size, elements, unique):
    return hnp.arrays(np_dtype, (size,), elements=elements, unique=unique)


@functools.lru_cache(maxsize=4096)
def _tensor_strategy(shape, np_dtype, elements, requires_grad, unique, contiguous):
    values = _default_elements(np_dtype) if elements is None else elements
    if shape is None:
        shape = shapes()
    shape_strategy = st.just(shape) if isinstance(shape, tuple) else shape

    @st.composite
    def draw_tensor(draw):
        drawn = draw(shape_strategy)
        flat = draw(_flat_values(np_dtype, math.prod(drawn), values, unique))
        array = _laid_out(draw, flat.reshape(drawn), contiguous)
        return from_numpy(array).requires_grad_(requires_grad)

    return draw_tensor()


def _per_operand(value, count: int, what: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{what}: expected {count} entries, got {len(value)}")
        return list(value)
    return [value] * count


def _tensors_of_shapes(shape_strategy, count, dtype, elements, requires_grad, contiguous):
    element_list = _per_operand(elements, count, "elements")

    @st.composite
    def draw_tensors(draw):
        drawn = draw(shape_strategy).input_shapes
        return tuple(
            draw(
                tensors(
                    shape,
                    dtype=dtype,
                    elements=element,
                    requires_grad=requires_grad,
                    contiguous=contiguous,
                )
            )
            for shape, element in zip(drawn, element_list, strict=True)
        )

    return draw_tensors()


def broadcastable_tensors(
    n: int = 2,
    *,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
    dtype=float64,
    elements: st.SearchStrategy | Sequence[st.SearchStrategy] | None = None,
    requires_grad: bool = False,
    contiguous: bool | None = True,
) -> st.SearchStrategy:
    """Tuples of ``n`` tensors whose shapes broadcast together (size-1 and missing dims mixed).

    ``elements`` may be one strategy or one per operand (e.g. a denominator kept off zero).
    """
    shape_strategy = hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )
    return _tensors_of_shapes(shape_strategy, n, dtype, elements, requires_grad, contiguous)


def matmul_operands(
    signature: str = MATMUL,
    *,
    max_batch_dims: int = 2,
    min_side: int = 1,
    max_side: int = 4,
    dtype=float64,
    elements: st.SearchStrategy | Sequence[st.SearchStrategy] | None = None,
    requires_grad: bool = False,
    contiguous: bool | None = True,
) -> st.SearchStrategy:
    """Operand tuples for a matrix product with the given gufunc ``signature``.

    The default, ``matmul``'s ``(n?,k),(k,m?)->(n?,m?)``, mixes 1-D, 2-D and broadcast-batched
    operands; ``"(n,k),(k,m)->(n,m)"`` gives ``mm``'s, ``"(b,n,k),(b,k,m)->(b,n,m)"`` ``bmm``'s,
    ``"(k),(k)->()"`` ``dot``'s and ``"(n),(m)->(n,m)"`` ``outer``'s (use ``max_batch_dims=0``).
    """
    operand_count = signature.split("->")[0].count("(")
    shape_strategy = hnp.mutually_broadcastable_shapes(
        signature=signature, max_dims=max_batch_dims, min_side=min_side, max_side=max_side
    )
    return _tensors_of_shapes(
        shape_strategy, operand_count, dtype, elements, requires_grad, contiguous
    )
