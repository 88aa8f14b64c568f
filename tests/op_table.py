"""The op table: every differentiable op, how to draw its inputs, and the domain they live in.

Each entry's ``call(lib, *tensors, **params)`` is written once against the PyTorch API, so the
same line runs with ``lib=tensorgrad`` and ``lib=torch``. ``case`` draws ``(tensors, params)``:
the floating tensors require grad (they are what gets differentiated), integer and boolean ones
are indices and masks. Inputs stay off the points where an op has no derivative (kinks, ties,
poles) by drawing from ``away_from`` or from offset ``grid``s, which also keeps them away from
the spots where tensorgrad deliberately differs from PyTorch (NaN hygiene, tie splitting).
Shapes stay small (at most 3 dims of size at most 4) so the whole table runs in seconds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad import from_numpy
from tensorgrad.testing import strategies as tst


@dataclass(frozen=True)
class OpSpec:
    """One row: ``call(lib, *tensors, **params)`` and the strategy drawing its arguments."""

    name: str
    call: Callable
    case: st.SearchStrategy
    second_order: bool = True  # second derivatives are checked (zero for piecewise-linear ops)

    def bind(self, lib, params: dict) -> Callable:
        """``call`` with the library and the drawn non-tensor parameters fixed."""
        return lambda *tensors: self.call(lib, *tensors, **params)


MAX_DIMS, MAX_SIDE = 3, 4
KINK = tst.away_from([0.0], margin=0.2)  # abs, relu, norms: stay off 0
OFF_GRID = tst.grid(0.25, offset=0.125, low=-3, high=3)  # never equal to a point of GRID
GRID = tst.grid(0.25, low=-3, high=3)
DISTINCT = tst.grid(0.125, low=-8, high=8)  # with unique=True: gaps of 0.125 for max/argmax


@functools.cache  # composites call this on every draw: build each once
def _leaf(
    elements=None, *, min_dims=0, max_dims=MAX_DIMS, min_side=1, unique=False, contiguous=None
):
    """One float64 leaf that requires grad, in any memory layout unless told otherwise."""
    shape = tst.shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=MAX_SIDE)
    return tst.tensors(
        shape, elements=elements, requires_grad=True, unique=unique, contiguous=contiguous
    )


def _index(values: np.ndarray):
    return from_numpy(np.asarray(values, dtype=np.int64))


def unary(elements=None, *, unique=False, min_dims=0, max_dims=MAX_DIMS, **params):
    """One tensor in the op's domain; ``params`` map names to strategies."""
    leaf = _leaf(elements, unique=unique, min_dims=min_dims, max_dims=max_dims)
    return st.tuples(leaf.map(lambda x: (x,)), st.fixed_dictionaries(params))


def binary(first=None, second=None, count: int = 2) -> st.SearchStrategy:
    """Tensors with mutually broadcastable shapes (a scalar, size-1 and missing dims included)."""
    elements = [first, second, second][:count]
    return st.tuples(
        tst.broadcastable_tensors(
            count,
            max_dims=MAX_DIMS,
            max_side=MAX_SIDE,
            elements=elements,
            requires_grad=True,
            contiguous=None,
        ),
        st.just({}),
    )


def products(signature: str, batch_dims: int) -> st.SearchStrategy:
    operands = tst.matmul_operands(signature, max_batch_dims=batch_dims, requires_grad=True)
    return st.tuples(operands, st.just({}))


@st.composite
def reduction(
    draw,
    elements=None,
    *,
    dim=True,
    none=True,
    tuple_dims=True,
    keepdim=True,
    min_dims=0,
    min_side=1,
    unique=False,
    **params,
):
    """A tensor, a valid ``dim`` (None, int or tuple), ``keepdim`` and other ``params``."""
    x = draw(_leaf(elements, min_dims=min_dims, min_side=min_side, unique=unique))
    drawn = {name: draw(strategy) for name, strategy in params.items()}
    if dim:
        chosen = draw(tst.dims(x.ndim, allow_none=none, allow_tuple=tuple_dims))
        if chosen is not None:
            drawn["dim"] = chosen
    if keepdim and "dim" in drawn:
        drawn["keepdim"] = draw(st.booleans())
    return (x,), drawn


@st.composite
def norm_case(draw):
    """Distinct nonzero magnitudes with random signs: no kink and no tie for any p."""
    (x,), params = draw(
        reduction(
            tst.grid(0.0625, offset=0.03125, low=0, high=8),
            unique=True,
            p=st.sampled_from([2, 1, math.inf, 3]),
        )
    )
    signs = draw(tst.tensors(x.shape, dtype=bool))._data
    x._data[signs] *= -1
    return (x,), params


def _dim(draw, ndim: int, extra: int = 0) -> int:
    return draw(st.integers(-ndim - extra, ndim - 1 + extra))


@st.composite
def where_case(draw):
    condition, a, b = draw(binary(count=3))[0]
    return (from_numpy(np.asarray(condition._data > 0)), a, b), {}


@st.composite
def clamp_scalars(draw):
    bounds = draw(st.sampled_from([(-1.0, 1.0), (-0.5, None), (None, 0.5), (-2.0, 0.0)]))
    x = draw(_leaf(OFF_GRID))
    return (x,), {"min": bounds[0], "max": bounds[1]}


def _broadcasting_to(draw, shape: tuple) -> tuple:
    """A shape that broadcasts to ``shape``: a suffix of it, some sides set to 1."""
    suffix = shape[len(shape) - draw(st.integers(0, len(shape))) :]
    return tuple(draw(st.sampled_from([1, side])) for side in suffix)


@st.composite
def clamp_tensors(draw):
    """Tensor bounds, low < high, broadcasting to x's shape (PyTorch does not broadcast x up)."""
    x = draw(_leaf(OFF_GRID))
    low, high = (
        draw(
            tst.tensors(
                _broadcasting_to(draw, x.shape),
                elements=tst.grid(0.25, low=lo, high=hi),
                requires_grad=True,
            )
        )
        for lo, hi in ((-2, 0), (0.25, 2))
    )
    return (x, low, high), {}


@st.composite
def reshape_case(draw, contiguous=None):
    x = draw(_leaf(contiguous=contiguous))
    sides = [side for side in x.shape if side > 1]
    order = draw(st.permutations(sides + [1] * draw(st.integers(0, 2))))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(order) - 1, 1)), max_size=len(order))))
    shape = [math.prod(order[a:b]) for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    shape = [s for s in shape if s] or ([1] if x.ndim else [])
    if shape and draw(st.booleans()):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return (x,), {"shape": tuple(shape)}


@st.composite
def flatten_case(draw):
    x = draw(_leaf())
    ndim = max(x.ndim, 1)
    start, end = sorted(draw(st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2)))
    return (x,), {"start_dim": start - ndim * draw(st.booleans()), "end_dim": end}


@st.composite
def permute_case(draw):
    x = draw(_leaf())
    return (x,), {"dims": tuple(draw(st.permutations(range(x.ndim))))}


@st.composite
def transpose_case(draw):
    x = draw(_leaf(min_dims=1))
    return (x,), {"dim0": _dim(draw, x.ndim), "dim1": _dim(draw, x.ndim)}


@st.composite
def unsqueeze_case(draw):
    x = draw(_leaf())
    return (x,), {"dim": draw(st.integers(-x.ndim - 1, x.ndim))}


@st.composite
def squeeze_case(draw):
    x = draw(_leaf(tst.reals(), min_dims=1))
    dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return (x,), ({} if dim is None else {"dim": dim})


@st.composite
def expand_case(draw, allow_minus_one=True):
    x = draw(_leaf())
    sizes = [draw(st.integers(1, 3)) if s == 1 else s for s in x.shape]
    if allow_minus_one:
        sizes = [
            -1 if draw(st.booleans()) and s == old else s
            for s, old in zip(sizes, x.shape, strict=True)
        ]
    leading = draw(st.lists(st.integers(1, 3), max_size=2))
    return (x,), {"sizes": tuple(leading + sizes)}


@st.composite
def repeat_case(draw):
    x = draw(_leaf())
    count = draw(st.integers(max(x.ndim, 1), x.ndim + 1))
    return (x,), {
        "repeats": tuple(draw(st.lists(st.integers(1, 3), min_size=count, max_size=count)))
    }


@st.composite
def flip_case(draw):
    x = draw(_leaf(min_dims=1))
    return (x,), {"dims": draw(tst.axes(x.ndim, min_size=1))}


@st.composite
def joined(draw, stack=False):
    """2 or 3 tensors for cat (sizes differ along ``dim``) or stack (equal shapes)."""
    base = list(draw(tst.shapes(min_dims=0 if stack else 1, max_dims=MAX_DIMS, max_side=3)))
    dim = _dim(draw, len(base), extra=1 if stack else 0)
    if stack:
        dim = min(dim, len(base))
    shapes = []
    for _ in range(draw(st.integers(2, 3))):
        shape = list(base)
        if not stack:
            shape[dim] = draw(st.integers(1, 3))
        shapes.append(tuple(shape))
    return tuple(draw(tst.tensors(s, requires_grad=True)) for s in shapes), {"dim": dim}


@st.composite
def split_case(draw, chunk=False):
    x = draw(_leaf(min_dims=1))
    dim = _dim(draw, x.ndim)
    size = x.shape[dim]
    if chunk:
        return (x,), {"chunks": draw(st.integers(1, 4)), "dim": dim}
    sections = draw(
        st.one_of(
            st.integers(1, size),
            st.permutations(range(size)).map(lambda p: _sections(p, size)),
        )
    )
    return (x,), {"split_size_or_sections": sections, "dim": dim}


def _sections(cuts: list, size: int) -> list:
    points = sorted({0, size, *cuts[: len(cuts) // 2]})
    return [b - a for a, b in zip(points, points[1:], strict=False)]


@st.composite
def gather_case(draw):
    x = draw(_leaf(min_dims=1))
    dim = _dim(draw, x.ndim)
    shape = [draw(st.integers(1, side)) for side in x.shape]
    shape[dim] = draw(st.integers(1, 4))
    index = draw(
        tst.tensors(tuple(shape), dtype=np.int64, elements=st.integers(0, x.shape[dim] - 1))
    )
    return (x, index), {"dim": dim}


@st.composite
def index_select_case(draw):
    x = draw(_leaf(min_dims=1))
    dim = _dim(draw, x.ndim)
    index = draw(st.lists(st.integers(0, x.shape[dim] - 1), min_size=1, max_size=5))
    return (x, _index(index)), {"dim": dim}


@st.composite
def masked_fill_case(draw):
    x = draw(_leaf())
    mask = draw(tst.tensors(_broadcasting_to(draw, x.shape), dtype=bool))
    return (x, mask), {"value": draw(st.sampled_from([0.0, -1.5, 2.0]))}


@st.composite
def basic_index_case(draw):
    x = draw(_leaf())
    index = draw(tst.basic_indices(x.shape))
    return (x,), {"index": index}


@st.composite
def integer_index_case(draw):
    """A tuple of integer tensors (broadcast together, repeats included) for the leading dims."""
    x = draw(_leaf(min_dims=1))
    arrays = draw(tst.integer_indices(x.shape))
    return (x, *(_index(a) for a in arrays)), {}


@st.composite
def mixed_index_case(draw):
    """``x[..., index]`` and ``x[index, 1:]``: an integer tensor next to basic indexing."""
    x = draw(_leaf(min_dims=2))
    last = draw(st.booleans())
    side = x.shape[-1] if last else x.shape[0]
    index = _index(draw(st.lists(st.integers(-side, side - 1), min_size=1, max_size=5)))
    return (x, index), {"last": last}


@st.composite
def mask_index_case(draw):
    x = draw(_leaf(min_dims=1))
    k = draw(st.integers(1, x.ndim))
    return (x, draw(tst.tensors(x.shape[:k], dtype=bool))), {}


def _get(lib, x, *indices, **params):
    return x[indices if len(indices) != 1 else indices[0]]


def _get_mixed(lib, x, index, last):
    return x[..., index] if last else x[index, 1:]


_ELEMENTWISE = [
    OpSpec("add", lambda lib, a, b: lib.add(a, b), binary()),
    OpSpec("sub", lambda lib, a, b: lib.sub(a, b), binary()),
    OpSpec("mul", lambda lib, a, b: lib.mul(a, b), binary()),
    OpSpec("div", lambda lib, a, b: lib.div(a, b), binary(None, tst.away_from([0.0], 0.5))),
    OpSpec("rsub", lambda lib, x, scalar: scalar - x, unary(scalar=st.just(2.5))),
    OpSpec("rdiv", lambda lib, x, scalar: scalar / x, unary(KINK, scalar=st.just(1.5))),
    OpSpec("pow", lambda lib, a, b: lib.pow(a, b), binary(tst.positive(0.2, 3), tst.reals(-2, 2))),
    OpSpec(
        "pow_int_scalar",
        lambda lib, x, exponent: lib.pow(x, exponent),
        unary(KINK, exponent=st.sampled_from([2, 3, -1, -2])),
    ),
    OpSpec(
        "pow_float_scalar",
        lambda lib, x, exponent: x**exponent,
        unary(tst.positive(0.2, 3), exponent=st.sampled_from([0.5, -0.5, 1.5, 2.5])),
    ),
    OpSpec(
        "scalar_pow",
        lambda lib, x, base: base**x,
        unary(tst.reals(-2, 2), base=st.sampled_from([0.5, 2.0, math.e])),
    ),
    OpSpec("neg", lambda lib, x: lib.neg(x), unary()),
    OpSpec("abs", lambda lib, x: lib.abs(x), unary(KINK)),
    OpSpec("exp", lambda lib, x: lib.exp(x), unary()),
    OpSpec("log", lambda lib, x: lib.log(x), unary(tst.positive())),
    OpSpec("log1p", lambda lib, x: lib.log1p(x), unary(tst.reals(-0.8, 3))),
    OpSpec("expm1", lambda lib, x: lib.expm1(x), unary()),
    OpSpec("sqrt", lambda lib, x: lib.sqrt(x), unary(tst.positive())),
    OpSpec("rsqrt", lambda lib, x: lib.rsqrt(x), unary(tst.positive())),
    OpSpec("sin", lambda lib, x: lib.sin(x), unary()),
    OpSpec("cos", lambda lib, x: lib.cos(x), unary()),
    OpSpec("tanh", lambda lib, x: lib.tanh(x), unary()),
    OpSpec("sigmoid", lambda lib, x: lib.sigmoid(x), unary(tst.reals(-6, 6))),
    OpSpec("relu", lambda lib, x: lib.relu(x), unary(KINK)),
    OpSpec("clamp", lambda lib, x, **bounds: lib.clamp(x, **bounds), clamp_scalars()),
    OpSpec(
        "clamp_tensor_bounds", lambda lib, x, low, high: lib.clamp(x, low, high), clamp_tensors()
    ),
    OpSpec("maximum", lambda lib, a, b: lib.maximum(a, b), binary(GRID, OFF_GRID)),
    OpSpec("minimum", lambda lib, a, b: lib.minimum(a, b), binary(GRID, OFF_GRID)),
    OpSpec("where", lambda lib, c, a, b: lib.where(c, a, b), where_case()),
    # More pointwise functions: inputs off poles, domain edges, branch cuts and jumps.
    OpSpec("tan", lambda lib, x: lib.tan(x), unary(tst.reals(-1.2, 1.2))),
    OpSpec("exp2", lambda lib, x: lib.exp2(x), unary()),
    OpSpec("log2", lambda lib, x: lib.log2(x), unary(tst.positive())),
    OpSpec("log10", lambda lib, x: lib.log10(x), unary(tst.positive())),
    OpSpec("asin", lambda lib, x: lib.asin(x), unary(tst.reals(-0.9, 0.9))),
    OpSpec("acos", lambda lib, x: lib.acos(x), unary(tst.reals(-0.9, 0.9))),
    OpSpec("atan", lambda lib, x: lib.atan(x), unary()),
    OpSpec("atan2", lambda lib, y, x: lib.atan2(y, x), binary(KINK)),  # y off the cut at 0
    OpSpec("sinh", lambda lib, x: lib.sinh(x), unary()),
    OpSpec("cosh", lambda lib, x: lib.cosh(x), unary()),
    OpSpec("asinh", lambda lib, x: lib.asinh(x), unary()),
    OpSpec("acosh", lambda lib, x: lib.acosh(x), unary(tst.positive(1.2, 4))),
    OpSpec("atanh", lambda lib, x: lib.atanh(x), unary(tst.reals(-0.9, 0.9))),
    OpSpec("erf", lambda lib, x: lib.erf(x), unary()),
    OpSpec("erfc", lambda lib, x: lib.erfc(x), unary()),
    OpSpec("erfinv", lambda lib, x: lib.erfinv(x), unary(tst.reals(-0.9, 0.9))),
    OpSpec("floor", lambda lib, x: lib.floor(x), unary(OFF_GRID)),
    OpSpec("ceil", lambda lib, x: lib.ceil(x), unary(OFF_GRID)),
    OpSpec("round", lambda lib, x: lib.round(x), unary(OFF_GRID)),
    OpSpec(
        "round_decimals",
        lambda lib, x: lib.round(x, decimals=1),
        unary(tst.grid(0.1, offset=0.025, low=-3, high=3)),  # x·10 never near a half
    ),
    OpSpec("trunc", lambda lib, x: lib.trunc(x), unary(OFF_GRID)),
    OpSpec("frac", lambda lib, x: lib.frac(x), unary(OFF_GRID)),
    OpSpec("reciprocal", lambda lib, x: lib.reciprocal(x), unary(KINK)),
    OpSpec("square", lambda lib, x: lib.square(x), unary()),
    OpSpec("hypot", lambda lib, a, b: lib.hypot(a, b), binary(KINK)),
    OpSpec(
        "lerp",
        lambda lib, a, b, weight: lib.lerp(a, b, weight),
        st.tuples(
            binary().map(lambda case: case[0]),
            st.fixed_dictionaries(
                {"weight": st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0, -0.7, 1.5])}
            ),
        ),
    ),
    OpSpec(
        "lerp_tensor_weight",
        lambda lib, a, b, weight: lib.lerp(a, b, weight),
        binary(None, tst.reals(-1, 2), count=3),
    ),
    OpSpec(
        "addcmul",
        lambda lib, x, a, b, **p: lib.addcmul(x, a, b, **p),
        st.tuples(
            binary(count=3).map(lambda case: case[0]),
            st.fixed_dictionaries({"value": st.sampled_from([1, 0.5, -2])}),
        ),
    ),
    OpSpec(
        "addcdiv",
        lambda lib, x, a, b, **p: lib.addcdiv(x, a, b, **p),
        st.tuples(
            binary(None, tst.away_from([0.0], 0.5), count=3).map(lambda case: case[0]),
            st.fixed_dictionaries({"value": st.sampled_from([1, 0.5, -2])}),
        ),
    ),
    OpSpec("nan_to_num", lambda lib, x: lib.nan_to_num(x), unary()),
]

_REDUCTIONS = [
    OpSpec("sum", lambda lib, x, **p: lib.sum(x, **p), reduction()),
    OpSpec("mean", lambda lib, x, **p: lib.mean(x, **p), reduction()),
    OpSpec(
        "prod",
        lambda lib, x, **p: lib.prod(x, **p),  # exact zeros: no dividing by x
        reduction(st.one_of(st.just(0.0), tst.away_from([0.0], 0.1, -1.5, 1.5)), tuple_dims=False),
    ),
    OpSpec(
        "amax", lambda lib, x, **p: lib.amax(x, **p), reduction(DISTINCT, none=False, unique=True)
    ),
    OpSpec(
        "amin", lambda lib, x, **p: lib.amin(x, **p), reduction(DISTINCT, none=False, unique=True)
    ),
    OpSpec("max", lambda lib, x: lib.max(x), unary(DISTINCT, unique=True)),
    OpSpec("min", lambda lib, x: lib.min(x), unary(DISTINCT, unique=True)),
    OpSpec(
        "max_dim",
        lambda lib, x, **p: lib.max(x, **p),
        reduction(DISTINCT, none=False, tuple_dims=False, unique=True),
    ),
    OpSpec(
        "min_dim",
        lambda lib, x, **p: lib.min(x, **p),
        reduction(DISTINCT, none=False, tuple_dims=False, unique=True),
    ),
    OpSpec(
        "var",
        lambda lib, x, **p: lib.var(x, **p),
        reduction(min_dims=1, min_side=2, correction=st.sampled_from([0, 1])),
    ),
    OpSpec(
        "std",
        lambda lib, x, **p: lib.std(x, **p),  # distinct values: std > 0
        reduction(
            DISTINCT, min_dims=1, min_side=2, unique=True, correction=st.sampled_from([0, 1])
        ),
    ),
    OpSpec("logsumexp", lambda lib, x, **p: lib.logsumexp(x, **p), reduction(none=False)),
    OpSpec("norm", lambda lib, x, **p: lib.norm(x, **p), norm_case()),
    OpSpec(
        "cumsum",
        lambda lib, x, **p: lib.cumsum(x, **p),
        reduction(none=False, tuple_dims=False, keepdim=False),
    ),
]

_SHAPES = [
    OpSpec("reshape", lambda lib, x, shape: lib.reshape(x, shape), reshape_case()),
    OpSpec("view", lambda lib, x, shape: x.view(*shape), reshape_case(contiguous=True)),
    OpSpec("flatten", lambda lib, x, **p: lib.flatten(x, **p), flatten_case()),
    OpSpec("permute", lambda lib, x, dims: lib.permute(x, dims), permute_case()),
    OpSpec("transpose", lambda lib, x, **p: lib.transpose(x, **p), transpose_case()),
    OpSpec("T", lambda lib, x: x.T, unary(min_dims=2, max_dims=2)),  # torch: 2-D only
    OpSpec("mT", lambda lib, x: x.mT, unary(min_dims=2)),
    OpSpec("unsqueeze", lambda lib, x, dim: lib.unsqueeze(x, dim), unsqueeze_case()),
    OpSpec("squeeze", lambda lib, x, **p: lib.squeeze(x, **p), squeeze_case()),
    OpSpec("expand", lambda lib, x, sizes: x.expand(sizes), expand_case()),
    OpSpec(
        "broadcast_to",
        lambda lib, x, sizes: lib.broadcast_to(x, sizes),
        expand_case(allow_minus_one=False),
    ),
    OpSpec("repeat", lambda lib, x, repeats: x.repeat(*repeats), repeat_case()),
    OpSpec("flip", lambda lib, x, dims: lib.flip(x, dims), flip_case()),
    OpSpec("cat", lambda lib, *xs, dim: lib.cat(list(xs), dim=dim), joined()),
    OpSpec("stack", lambda lib, *xs, dim: lib.stack(list(xs), dim=dim), joined(stack=True)),
    OpSpec("split", lambda lib, x, **p: lib.split(x, **p), split_case()),
    OpSpec("chunk", lambda lib, x, **p: lib.chunk(x, **p), split_case(chunk=True)),
]

_INDEXING = [
    OpSpec("gather", lambda lib, x, index, dim: lib.gather(x, dim, index), gather_case()),
    OpSpec(
        "index_select",
        lambda lib, x, index, dim: lib.index_select(x, dim, index),
        index_select_case(),
    ),
    OpSpec(
        "masked_fill",
        lambda lib, x, mask, value: lib.masked_fill(x, mask, value),
        masked_fill_case(),
    ),
    OpSpec("getitem_basic", lambda lib, x, index: x[index], basic_index_case()),
    OpSpec("getitem_integer_tensors", _get, integer_index_case()),
    OpSpec("getitem_mixed", _get_mixed, mixed_index_case()),
    OpSpec("getitem_mask", _get, mask_index_case()),
]


@st.composite
def einsum_case(draw, equation: str, broadcast: bool = False):
    """Operands for ``equation``: a size per letter, the ellipsis a broadcast batch shape per
    operand; with ``broadcast``, a letter shared by operands may be 1 in some of them."""
    terms = equation.split("->")[0].split(",")
    size = {letter: draw(st.integers(1, 3)) for letter in sorted(set("".join(terms)) - {"."})}
    batch = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(terms), max_dims=2, max_side=3)
    ).input_shapes
    operands = []
    for term, ellipsis in zip(terms, batch, strict=True):
        ones = {s for s in term if broadcast and draw(st.booleans())}
        shape = []
        for piece in term.replace("...", "*"):
            shape += ellipsis if piece == "*" else [1 if piece in ones else size[piece]]
        operands.append(draw(_leaf_of_shape(tuple(shape))))
    return tuple(operands), {}


def _leaf_of_shape(shape: tuple):
    return tst.tensors(shape, requires_grad=True, contiguous=None)


def _einsum(equation: str) -> Callable:
    return lambda lib, *operands: lib.einsum(equation, *operands)


@st.composite
def add_product_case(draw, op: str):
    """input, the two factors and beta/alpha of addmm, baddbmm or addbmm; the input
    broadcasts to the result's shape, and beta = 0 (input ignored) is among the draws."""
    batch, rows, inner, cols = (draw(st.integers(1, 3)) for _ in range(4))
    lead = () if op == "addmm" else (batch,)
    out = (batch, rows, cols) if op == "baddbmm" else (rows, cols)
    input = draw(_leaf_of_shape(_broadcasting_to(draw, out)))
    first = draw(_leaf_of_shape((*lead, rows, inner)))
    second = draw(_leaf_of_shape((*lead, inner, cols)))
    beta = draw(st.sampled_from([1, 0.5, 0, -2]))
    return (input, first, second), {"beta": beta, "alpha": draw(st.sampled_from([1, 2.5, -1]))}


_PRODUCTS = [
    OpSpec("matmul", lambda lib, a, b: lib.matmul(a, b), products(tst.MATMUL, 2)),
    OpSpec("matmul_operator", lambda lib, a, b: a @ b, products(tst.MATMUL, 1)),
    OpSpec("mm", lambda lib, a, b: lib.mm(a, b), products("(n,k),(k,m)->(n,m)", 0)),
    OpSpec("bmm", lambda lib, a, b: lib.bmm(a, b), products("(b,n,k),(b,k,m)->(b,n,m)", 0)),
    OpSpec("mv", lambda lib, a, b: lib.mv(a, b), products("(n,k),(k)->(n)", 0)),
    OpSpec("dot", lambda lib, a, b: lib.dot(a, b), products("(k),(k)->()", 0)),
    OpSpec("outer", lambda lib, a, b: lib.outer(a, b), products("(n),(m)->(n,m)", 0)),
    OpSpec("addmm", lambda lib, x, a, b, **p: lib.addmm(x, a, b, **p), add_product_case("addmm")),
    OpSpec("baddbmm", lambda lib, x, a, b, **p: x.baddbmm(a, b, **p), add_product_case("baddbmm")),
    OpSpec(
        "addbmm", lambda lib, x, a, b, **p: lib.addbmm(x, a, b, **p), add_product_case("addbmm")
    ),
    OpSpec("einsum_matmul", _einsum("ij,jk->ik"), einsum_case("ij,jk->ik")),
    OpSpec("einsum_batched", _einsum("bij,bjk->bik"), einsum_case("bij,bjk->bik", broadcast=True)),
    OpSpec("einsum_outer", _einsum("i,j->ij"), einsum_case("i,j->ij")),
    OpSpec("einsum_trace", _einsum("ii"), einsum_case("ii")),
    OpSpec("einsum_diagonal", _einsum("ii->i"), einsum_case("ii->i")),
    OpSpec("einsum_ellipsis", _einsum("...ij,...jk"), einsum_case("...ij,...jk")),
    OpSpec("einsum_three", _einsum("ij,jk,kl->il"), einsum_case("ij,jk,kl->il")),
    OpSpec("einsum_sum", _einsum("ij->"), einsum_case("ij->")),
    OpSpec("einsum_attention", _einsum("bhqd,bhkd->bhqk"), einsum_case("bhqd,bhkd->bhqk")),
    OpSpec("einsum_diagonal_product", _einsum("iij,jk->ki"), einsum_case("iij,jk->ki")),
]


@st.composite
def conv_case(draw, dims: int):
    """Input, weight (and bias) of a random convolution: groups, stride, padding (an int, a
    tuple, 'valid' or 'same'), dilation, kernel and a spatial size the kernel fits."""
    groups = draw(st.integers(1, 2))
    in_channels, out_channels = (groups * draw(st.integers(1, 2)) for _ in range(2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = draw(st.sampled_from(["valid", "same", "int", "tuple"]))
    stride = (
        (1,) * dims if padding == "same" else tuple(draw(st.integers(1, 2)) for _ in range(dims))
    )
    if padding == "int":
        padding = draw(st.integers(0, 1))
    elif padding == "tuple":
        padding = tuple(draw(st.integers(0, 1)) for _ in range(dims))
    pads = (
        padding
        if isinstance(padding, tuple)
        else (padding if isinstance(padding, int) else 0,) * dims
    )
    spatial = tuple(
        max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 2))
        for k, d, p in zip(kernel, dilation, pads, strict=True)
    )
    batch = draw(st.integers(1, 2))
    leaf = functools.partial(tst.tensors, requires_grad=True, contiguous=None)
    tensors = [
        draw(leaf((batch, in_channels) + spatial)),
        draw(leaf((out_channels, in_channels // groups) + kernel)),
    ]
    if draw(st.booleans()):
        tensors.append(draw(leaf((out_channels,))))
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return tuple(tensors), params


@st.composite
def pad_case(draw):
    """A 2-D to 5-D tensor and a padding of its last 1-3 dims valid for every mode."""
    padded = draw(st.integers(1, 3))
    x = draw(_leaf(min_dims=padded + 1, max_dims=padded + 2, min_side=2))
    amounts = []
    for dim in range(x.ndim - 1, x.ndim - 1 - padded, -1):
        before = draw(st.integers(-1, x.shape[dim] - 1))
        after = draw(st.integers(-1 if before + x.shape[dim] > 2 else 0, x.shape[dim] - 1))
        amounts += [before, after]
    return (x,), {"pad": tuple(amounts)}


@st.composite
def pool_case(draw, dims: int, kind: str):
    """A batched or unbatched input and the options of a max or average pooling."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims)) if kind == "max" else (1,) * dims
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    spatial = tuple(
        d * (k - 1) + 1 + draw(st.integers(0, 2)) for k, d in zip(kernel, dilation, strict=True)
    )
    lead = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    shape = lead + (draw(st.integers(1, 2)),) + spatial
    elements = DISTINCT if kind == "max" else None
    x = draw(
        tst.tensors(
            shape, elements=elements, unique=kind == "max", requires_grad=True, contiguous=None
        )
    )
    params = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": draw(st.booleans()),
    }
    if kind == "max":
        params["dilation"] = dilation
    else:
        params["count_include_pad"] = draw(st.booleans())
    return (x,), params


@st.composite
def adaptive_case(draw, dims: int, unique: bool):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(1, 5)) for _ in range(dims)
    )
    x = draw(
        tst.tensors(shape, elements=DISTINCT if unique else None, unique=unique, requires_grad=True)
    )
    return (x,), {"output_size": tuple(draw(st.integers(1, 4)) for _ in range(dims))}


@st.composite
def resize_case(draw, mode: str):
    """A (N, C, H, W) input and a size or scale for F.interpolate."""
    x = draw(
        tst.tensors(
            (
                draw(st.integers(1, 2)),
                draw(st.integers(1, 2)),
                draw(st.integers(1, 4)),
                draw(st.integers(1, 4)),
            ),
            requires_grad=True,
            contiguous=None,
        )
    )
    params = {"mode": mode}
    if draw(st.booleans()):
        params["size"] = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    else:
        params["scale_factor"] = draw(st.sampled_from([1.5, 2.0, 3.0]))
    if mode == "bilinear":
        params["align_corners"] = draw(st.booleans())
    return (x,), params


@st.composite
def group_norm_case(draw):
    groups = draw(st.integers(1, 2))
    channels = groups * draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), channels) + tuple(
        draw(st.lists(st.integers(2, 3), min_size=1, max_size=2))
    )
    leaf = functools.partial(tst.tensors, requires_grad=True, contiguous=None)
    # distinct values: a constant group has zero variance, where normalising is ill-conditioned
    # and a zero weight would zero the upstream gradient, where NaN hygiene (zero upstream
    # gradient, zero result) also zeroes second derivatives: documented, and kept off here.
    x = draw(leaf(shape, elements=DISTINCT, unique=True))
    weight, bias = (draw(leaf((channels,), elements=OFF_GRID)) for _ in range(2))
    return (x, weight, bias), {"num_groups": groups}


@st.composite
def conv_transpose_case(draw):
    """Input, weight (and bias) of a random 2-D transposed convolution."""
    groups = draw(st.integers(1, 2))
    in_channels, out_channels = (groups * draw(st.integers(1, 2)) for _ in range(2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(2))
    padding = tuple(
        draw(st.integers(0, (d * (k - 1)) // 2)) for k, d in zip(kernel, dilation, strict=True)
    )
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    leaf = functools.partial(tst.tensors, requires_grad=True, contiguous=None)
    x = draw(
        leaf(
            (draw(st.integers(1, 2)), in_channels, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        )
    )
    tensors = [x, draw(leaf((in_channels, out_channels // groups) + kernel))]
    if draw(st.booleans()):
        tensors.append(draw(leaf((out_channels,))))
    params = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "groups": groups,
        "dilation": dilation,
    }
    return tuple(tensors), params


@st.composite
def unfold_case(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        k + draw(st.integers(0, 2)) for k in kernel
    )
    x = draw(tst.tensors(shape, requires_grad=True, contiguous=None))
    return (x,), {"kernel_size": kernel, "stride": stride, "padding": padding}


def _conv(dims: int):
    def call(lib, x, weight, bias=None, **params):
        return getattr(lib.nn.functional, f"conv{dims}d")(x, weight, bias, **params)

    return call


def _pad(mode: str):
    return lambda lib, x, pad: lib.nn.functional.pad(x, pad, mode=mode)


_CONVOLUTIONS = [
    OpSpec("conv1d", _conv(1), conv_case(1)),
    OpSpec("conv2d", _conv(2), conv_case(2)),
    OpSpec("conv3d", _conv(3), conv_case(3)),
    OpSpec("pad_reflect", _pad("reflect"), pad_case()),
    OpSpec(
        "conv_transpose2d",
        lambda lib, x, weight, bias=None, **p: lib.nn.functional.conv_transpose2d(
            x, weight, bias, **p
        ),
        conv_transpose_case(),
    ),
    OpSpec("unfold", lambda lib, x, **p: lib.nn.functional.unfold(x, **p), unfold_case()),
    OpSpec(
        "interpolate_nearest",
        lambda lib, x, **p: lib.nn.functional.interpolate(x, **p),
        resize_case("nearest"),
    ),
    OpSpec(
        "interpolate_bilinear",
        lambda lib, x, **p: lib.nn.functional.interpolate(x, **p),
        resize_case("bilinear"),
    ),
    OpSpec(
        "pixel_shuffle",
        lambda lib, x: lib.pixel_shuffle(x, 2),
        unary(min_dims=3, max_dims=3).filter(lambda case: case[0][0].shape[0] % 4 == 0),
    ),
    OpSpec(
        "group_norm",
        lambda lib, x, w, b, num_groups: lib.nn.functional.group_norm(x, num_groups, w, b),
        group_norm_case(),
    ),
    OpSpec(
        "max_pool1d", lambda lib, x, **p: lib.nn.functional.max_pool1d(x, **p), pool_case(1, "max")
    ),
    OpSpec(
        "max_pool2d", lambda lib, x, **p: lib.nn.functional.max_pool2d(x, **p), pool_case(2, "max")
    ),
    OpSpec(
        "max_pool3d", lambda lib, x, **p: lib.nn.functional.max_pool3d(x, **p), pool_case(3, "max")
    ),
    OpSpec(
        "avg_pool1d", lambda lib, x, **p: lib.nn.functional.avg_pool1d(x, **p), pool_case(1, "avg")
    ),
    OpSpec(
        "avg_pool2d", lambda lib, x, **p: lib.nn.functional.avg_pool2d(x, **p), pool_case(2, "avg")
    ),
    OpSpec(
        "avg_pool3d", lambda lib, x, **p: lib.nn.functional.avg_pool3d(x, **p), pool_case(3, "avg")
    ),
    OpSpec(
        "adaptive_avg_pool2d",
        lambda lib, x, **p: lib.nn.functional.adaptive_avg_pool2d(x, **p),
        adaptive_case(2, unique=False),
    ),
    OpSpec(
        "adaptive_max_pool2d",
        lambda lib, x, **p: lib.nn.functional.adaptive_max_pool2d(x, **p),
        adaptive_case(2, unique=True),
    ),
    OpSpec("pad_replicate", _pad("replicate"), pad_case()),
    OpSpec("pad_circular", _pad("circular"), pad_case()),
]


@st.composite
def attention_case(draw):
    """Query (…, L, E), key (…, S, E), value (…, S, Ev) with shared batch dims, and a bool
    mask (fully masked rows included), a float mask (a leaf too), the causal flag or none."""
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, source_length, embed, value_embed = (draw(st.integers(1, 3)) for _ in range(4))
    leaf = functools.partial(tst.tensors, requires_grad=True, contiguous=None)
    tensors = [
        draw(leaf(batch + (length, embed))),
        draw(leaf(batch + (source_length, embed))),
        draw(leaf(batch + (source_length, value_embed))),
    ]
    params = {"scale": draw(st.sampled_from([None, 0.5]))}
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    if kind == "bool":
        tensors.append(draw(tst.tensors((length, source_length), dtype=bool)))
    elif kind == "float":
        tensors.append(draw(leaf((length, source_length))))
    params["is_causal"] = kind == "causal"
    return tuple(tensors), params


_ATTENTION = [
    OpSpec(
        "scaled_dot_product_attention",
        lambda lib, q, k, v, mask=None, **p: lib.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, **p
        ),
        attention_case(),
    ),
]

OPS = _ELEMENTWISE + _REDUCTIONS + _SHAPES + _INDEXING + _PRODUCTS + _CONVOLUTIONS + _ATTENTION


# ----------------------------------------------------------------------------- linear algebra
# Inputs are drawn well-conditioned (diagonally dominant, or built from orthogonal factors with
# distinct eigen/singular values), and the calls return functions of eigen- and singular
# vectors that do not depend on their signs (v * v), which LAPACK may choose differently.
_UNIT = tst.reals(-1, 1)


def _matrix_leaf(draw, shape: tuple):
    return draw(tst.tensors(shape, elements=_UNIT, requires_grad=True, contiguous=None))


def _matrix_batch(draw) -> tuple:
    return tuple(draw(st.lists(st.integers(1, 3), max_size=1)))


@st.composite
def invertible_case(draw, flip_sign: bool = True):
    """Square matrices, entries in [-1, 1] plus (n + 1)·I, a row negated for a negative det."""
    size = draw(st.integers(1, 4))
    a = _matrix_leaf(draw, _matrix_batch(draw) + (size, size))
    a._data[...] += (size + 1) * np.eye(size)
    if flip_sign and draw(st.booleans()):
        a._data[..., 0, :] *= -1
    return (a,), {}


@st.composite
def solve_case(draw):
    """A invertible; B a vector, a batch of vectors or matrices broadcasting with A's batch."""
    (a,), _ = draw(invertible_case())
    size, left = a.shape[-1], draw(st.booleans())
    kind = draw(st.sampled_from(["vector", "vectors", "matrix"]) if left else st.just("matrix"))
    if kind == "vector":
        shape = (size,)
    elif kind == "vectors":
        shape = a.shape[:-1]
    else:
        columns = draw(st.integers(1, 3))
        shape = _broadcasting_to(draw, a.shape[:-2])
        shape += (size, columns) if left else (columns, size)
        if shape == a.shape[:-1]:  # would be a batch of vectors, which left=False refuses
            shape = (1,) + shape
    b = draw(tst.tensors(shape, elements=tst.reals(-2, 2), requires_grad=True, contiguous=None))
    return (a, b), {"left": left}


@st.composite
def general_matrix_case(draw, **params):
    """Any (batch of) m × n matrices with entries in [-1, 1]; ``params`` map names to
    strategies."""
    rows, columns = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    a = _matrix_leaf(draw, _matrix_batch(draw) + (rows, columns))
    return (a,), {name: draw(strategy) for name, strategy in params.items()}


@st.composite
def square_case(draw, **params):
    """Any (batch of) square matrices with entries in [-1, 1]; ``params`` as above."""
    size = draw(st.integers(1, 4))
    a = _matrix_leaf(draw, _matrix_batch(draw) + (size, size))
    return (a,), {name: draw(strategy) for name, strategy in params.items()}


@st.composite
def full_rank_case(draw):
    """m × n matrices whose leading min(m, n) block is diagonally dominant (full rank)."""
    (a,), _ = draw(general_matrix_case())
    rows, columns = a.shape[-2:]
    for i in range(min(rows, columns)):
        a._data[..., i, i] += min(rows, columns) + 1
    mode = draw(st.sampled_from(["reduced", "complete"] if rows <= columns else ["reduced"]))
    return (a,), {"mode": mode}


def _orthonormal(draw, rows: int, columns: int) -> np.ndarray:
    """rows × columns with orthonormal columns (the Q of a well-conditioned matrix)."""
    values = draw(hnp.arrays(np.float64, (rows, rows), elements=_UNIT))
    return np.linalg.qr(values + (rows + 1) * np.eye(rows))[0][:, :columns]


def _distinct(draw, count: int, low: int, high: int) -> np.ndarray:
    """``count`` values at least 0.5 apart in [low/2, high/2]."""
    halves = draw(st.lists(st.integers(low, high), min_size=count, max_size=count, unique=True))
    return np.array(halves, dtype=np.float64) / 2


@st.composite
def symmetric_case(draw):
    """Symmetric matrices Q diag(λ) Qᵀ with eigenvalues at least 0.5 apart."""
    size, batch = draw(st.integers(1, 4)), _matrix_batch(draw)
    matrices = []
    for _ in range(math.prod(batch)):
        q = _orthonormal(draw, size, size)
        matrices.append(q @ np.diag(_distinct(draw, size, -8, 8)) @ q.T)
    data = np.array(matrices).reshape(batch + (size, size))
    return (from_numpy(data).requires_grad_(),), {"UPLO": draw(st.sampled_from(["L", "U"]))}


@st.composite
def singular_values_case(draw, **params):
    """m × n matrices U diag(s) Vᵀ with singular values at least 0.5 apart, the least 0.5."""
    rows, columns, batch = draw(st.integers(1, 4)), draw(st.integers(1, 4)), _matrix_batch(draw)
    size = min(rows, columns)
    matrices = [
        _orthonormal(draw, rows, size)
        @ np.diag(_distinct(draw, size, 1, 8))
        @ _orthonormal(draw, columns, size).T
        for _ in range(math.prod(batch))
    ]
    data = np.array(matrices).reshape(batch + (rows, columns))
    drawn = {name: draw(strategy) for name, strategy in params.items()}
    return (from_numpy(data).requires_grad_(),), drawn


def _eigh(lib, a, UPLO):
    # `* 0.5`, not `/ 2`: division's backward zeroes its gradient where its upstream is exactly
    # 0, and differentiates that as a constant, so second derivatives through `/ 2` vanish there
    values, vectors = lib.linalg.eigh((a + a.mT) * 0.5, UPLO=UPLO)
    return values, vectors * vectors


def _svd(lib, a, full_matrices):
    u, s, vh = lib.linalg.svd(a, full_matrices=full_matrices)
    size = s.shape[-1]
    return u[..., :, :size] ** 2, s, vh[..., :size, :] ** 2


def _positive_definite(lib, a):
    return a @ a.mT + a.shape[-1] * lib.eye(a.shape[-1], dtype=a.dtype, device=a.device)


def _qr(lib, a, mode):
    q, r = lib.linalg.qr(a, mode=mode)
    return q * q, r * r


_LINALG = [
    OpSpec("linalg_inv", lambda lib, a: lib.linalg.inv(a), invertible_case()),
    OpSpec("inverse", lambda lib, a: lib.inverse(a), invertible_case()),
    OpSpec("linalg_det", lambda lib, a: lib.linalg.det(a), invertible_case()),
    OpSpec("linalg_slogdet", lambda lib, a: lib.linalg.slogdet(a), invertible_case()),
    OpSpec("logdet", lambda lib, a: lib.logdet(a), invertible_case(flip_sign=False)),
    OpSpec("linalg_solve", lambda lib, a, b, left: lib.linalg.solve(a, b, left=left), solve_case()),
    OpSpec(
        "linalg_cholesky",
        lambda lib, a, upper: lib.linalg.cholesky(_positive_definite(lib, a), upper=upper),
        square_case(upper=st.booleans()),
    ),
    OpSpec("linalg_qr", _qr, full_rank_case()),
    OpSpec("linalg_eigh", _eigh, symmetric_case()),
    OpSpec(
        "linalg_eigvalsh",
        lambda lib, a, UPLO: lib.linalg.eigvalsh((a + a.mT) * 0.5, UPLO=UPLO),
        symmetric_case(),
    ),
    OpSpec("linalg_svd", _svd, singular_values_case(full_matrices=st.booleans())),
    OpSpec("linalg_svdvals", lambda lib, a: lib.linalg.svdvals(a), singular_values_case()),
    OpSpec(
        "linalg_matrix_norm_svd",
        lambda lib, a, ord: lib.linalg.matrix_norm(a, ord),
        singular_values_case(ord=st.sampled_from(["nuc", 2, -2])),
    ),
]
OPS += _LINALG


# ----------------------------------------------------------------------------- scans, scatters
# Scatters that write (scatter, index_copy) get distinct positions per line: with repeats the
# written value is unspecified in PyTorch. amax/amin and cummax/cummin draw distinct values
# (ties split the gradient); the src of scatter_reduce lies off the input's grid, so the input
# never ties with it either.
ZERO_OR_AWAY = st.one_of(st.just(0.0), tst.away_from([0.0], 0.1, -1.5, 1.5))  # exact zeros
SRC_GRID = tst.grid(0.125, offset=0.0625, low=-8, high=8)  # never equal to a DISTINCT value


def _scan_case(elements=None, unique=False):
    return reduction(elements, none=False, tuple_dims=False, keepdim=False, unique=unique)


def _index_of_shape(draw, shape: tuple, axis: int, size: int, distinct: bool, negative=False):
    """An int64 index of ``shape`` with values for a dim of ``size``; ``distinct`` keeps the
    values along ``axis`` of each line different."""
    if distinct:
        full = list(shape)
        full[axis] = size
        keys = draw(hnp.arrays(np.float64, tuple(full), elements=st.floats(0, 1), unique=True))
        order = np.argsort(keys, axis=axis)
        return _index(np.take(order, range(shape[axis]), axis=axis))
    low = -size if negative else 0
    return draw(tst.tensors(shape, dtype=np.int64, elements=st.integers(low, size - 1)))


@st.composite
def diff_case(draw):
    x = draw(_leaf(min_dims=1))
    dim = _dim(draw, x.ndim)
    tensors, names = [x], []
    for name in ("prepend", "append"):
        if draw(st.booleans()):
            shape = list(x.shape)
            shape[dim] = draw(st.integers(1, 2))
            tensors.append(draw(tst.tensors(tuple(shape), requires_grad=True)))
            names.append(name)
    return tuple(tensors), {"n": draw(st.integers(0, 2)), "dim": dim, "names": tuple(names)}


def _diff(lib, x, *extra, n, dim, names):
    return lib.diff(x, n, dim, **dict(zip(names, extra, strict=True)))


@st.composite
def scatter_case(draw, distinct=False, value=False, reduce=None):
    """input, index (and src) for a scatter along a random dim. (A src larger than the index is
    tested in test_scatter_scan.py: PyTorch's backward fails on it.)"""
    extreme = reduce in ("amax", "amin")
    elements = ZERO_OR_AWAY if reduce == "prod" else (DISTINCT if extreme else None)
    x = draw(_leaf(elements, min_dims=1, unique=extreme))
    dim = _dim(draw, x.ndim)
    axis = dim % x.ndim
    shape = [draw(st.integers(1, side)) for side in x.shape]
    shape[axis] = draw(st.integers(1, x.shape[axis] if distinct else 4))
    index = _index_of_shape(draw, tuple(shape), axis, x.shape[axis], distinct)
    params = {"dim": dim}
    if reduce is not None:
        params.update(reduce=reduce, include_self=draw(st.booleans()))
    if value:
        return (x, index), {**params, "value": draw(st.sampled_from([-1.5, 2.0]))}
    src_elements = SRC_GRID if extreme else elements
    src = draw(tst.tensors(tuple(shape), elements=src_elements, unique=extreme, requires_grad=True))
    return (x, index, src), params


@st.composite
def index_along_case(draw, distinct=False, source=True):
    """input, a 1-D index along a random dim (and a source with len(index) slices there)."""
    x = draw(_leaf(min_dims=1))
    dim = _dim(draw, x.ndim)
    axis, size = dim % x.ndim, x.shape[dim]
    length = draw(st.integers(1, size if distinct else 4))
    number = not source and draw(st.booleans())
    # index_fill: negative indices only with a number (PyTorch's backward for a tensor value
    # fails on them; test_scatter_scan.py checks ours)
    index = _index_of_shape(draw, (length,), 0, size, distinct, negative=number)
    if number:
        return (x, index), {"dim": dim, "value": draw(st.sampled_from([-1.5, 2.0]))}
    if not source:  # a 0-d tensor value that requires grad
        return (x, index, draw(_leaf(max_dims=0))), {"dim": dim}
    shape = x.shape[:axis] + (length,) + x.shape[axis + 1 :]
    params = {"dim": dim}
    if not distinct:
        params["alpha"] = draw(st.sampled_from([1, 2.5, -1]))
    return (x, index, draw(tst.tensors(shape, requires_grad=True))), params


@st.composite
def take_case(draw):
    x = draw(_leaf())
    count = x._data.size
    shape = draw(tst.shapes(min_dims=0, max_dims=2, max_side=4))
    return (
        x,
        draw(tst.tensors(shape, dtype=np.int64, elements=st.integers(-count, count - 1))),
    ), {}


@st.composite
def take_along_dim_case(draw):
    """Indices broadcasting with the input in every dim but ``dim`` (or flat, dim=None)."""
    x = draw(_leaf(min_dims=1))
    if draw(st.booleans()):
        count = x._data.size
        shape = draw(tst.shapes(min_dims=1, max_dims=2, max_side=4))
        return (x, draw(tst.tensors(shape, dtype=np.int64, elements=st.integers(0, count - 1)))), {}
    dim = _dim(draw, x.ndim)
    size = x.shape[dim]
    shape = [draw(st.sampled_from([1, side])) for side in x.shape]
    shape[dim] = draw(st.integers(1, 4))
    index = draw(tst.tensors(tuple(shape), dtype=np.int64, elements=st.integers(-size, size - 1)))
    return (x, index), {"dim": dim}


@st.composite
def masked_scatter_case(draw):
    x = draw(_leaf())
    mask = draw(tst.tensors(_broadcasting_to(draw, x.shape), dtype=bool))
    count = int(np.broadcast_to(mask._data, x.shape).sum())
    extra = draw(st.integers(0, 2))
    shape = draw(st.sampled_from([(count + extra,), (1, count + extra)]))
    return (x, mask, draw(tst.tensors(shape, requires_grad=True))), {}


@st.composite
def roll_case(draw):
    x = draw(_leaf())
    if x.ndim == 0 or draw(st.booleans()):
        return (x,), {"shifts": draw(st.integers(-5, 5)), "dims": None}
    dims = draw(st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=3))
    shifts = draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    return (x,), {"shifts": tuple(shifts), "dims": tuple(dims)}


@st.composite
def diagonal_case(draw, embed=False):
    """offset and two distinct dims (of the output's dims for diag_embed)."""
    x = draw(_leaf(min_dims=1 if embed else 2))
    ndim = x.ndim + embed
    dim1, dim2 = draw(st.permutations(range(ndim)))[:2]
    return (x,), {
        "offset": draw(st.integers(-3, 3)),
        "dim1": dim1 - ndim * draw(st.booleans()),
        "dim2": dim2,
    }


@st.composite
def tensordot_case(draw):
    """Free dims for each side and 0-2 contracted ones, as an int or as two lists of dims."""
    sides = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    free_a, free_b = (draw(st.lists(st.integers(1, 3), max_size=2)) for _ in range(2))
    if draw(st.booleans()):
        a, b = (
            draw(_leaf_of_shape(tuple(free_a + sides))),
            draw(_leaf_of_shape(tuple(sides + free_b))),
        )
        return (a, b), {"dims": len(sides)}
    order_a = draw(st.permutations(range(len(free_a) + len(sides))))
    order_b = draw(st.permutations(range(len(free_b) + len(sides))))
    shape_a = [0] * len(order_a)
    for position, size in zip(order_a, free_a + sides, strict=True):
        shape_a[position] = size
    shape_b = [0] * len(order_b)
    for position, size in zip(order_b, sides + free_b, strict=True):
        shape_b[position] = size
    contracted_a = list(order_a[len(free_a) :])
    contracted_b = list(order_b[: len(sides)])
    a, b = draw(_leaf_of_shape(tuple(shape_a))), draw(_leaf_of_shape(tuple(shape_b)))
    return (a, b), {"dims": (contracted_a, contracted_b)}


@st.composite
def cross_case(draw):
    """Two tensors of the same number of dims, size 3 at ``dim``, the others broadcasting."""
    shape = list(draw(tst.shapes(min_dims=0, max_dims=2, max_side=3)))
    dim = draw(st.integers(0, len(shape)))
    shape.insert(dim, 3)
    other = [3 if d == dim else draw(st.sampled_from([1, side])) for d, side in enumerate(shape)]
    tensors = (draw(_leaf_of_shape(tuple(shape))), draw(_leaf_of_shape(tuple(other))))
    if draw(st.booleans()):
        tensors = tensors[::-1]
    return tensors, {"dim": dim - len(shape) * draw(st.booleans())}


@st.composite
def cdist_case(draw):
    """Rows on two grids that never meet: no coordinate difference is 0 (a kink for p = 1)."""
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    columns = draw(st.integers(1, 3))
    x1 = draw(
        tst.tensors(batch + (draw(st.integers(1, 3)), columns), elements=GRID, requires_grad=True)
    )
    x2 = draw(
        tst.tensors((draw(st.integers(1, 3)), columns), elements=OFF_GRID, requires_grad=True)
    )
    return (x1, x2), {"p": draw(st.sampled_from([2.0, 1.0, 3.0, 1.5]))}


@st.composite
def kron_case(draw):
    a = draw(_leaf(max_dims=2))
    return (a, draw(_leaf(max_dims=2))), {}


_SCANS_AND_SCATTERS = [
    OpSpec("cumprod", lambda lib, x, **p: lib.cumprod(x, **p), _scan_case(ZERO_OR_AWAY)),
    OpSpec("cummax", lambda lib, x, **p: lib.cummax(x, **p), _scan_case(DISTINCT, unique=True)),
    OpSpec("cummin", lambda lib, x, **p: lib.cummin(x, **p), _scan_case(DISTINCT, unique=True)),
    OpSpec("logcumsumexp", lambda lib, x, **p: lib.logcumsumexp(x, **p), _scan_case()),
    OpSpec("diff", _diff, diff_case()),
    OpSpec(
        "scatter",
        lambda lib, x, index, src, dim: lib.scatter(x, dim, index, src),
        scatter_case(distinct=True),
    ),
    OpSpec(
        "scatter_value",
        lambda lib, x, index, dim, value: lib.scatter(x, dim, index, value),
        scatter_case(value=True),
    ),
    OpSpec(
        "scatter_add",
        lambda lib, x, index, src, dim: lib.scatter_add(x, dim, index, src),
        scatter_case(),
    ),
    *(
        OpSpec(
            f"scatter_reduce_{reduce}",
            lambda lib, x, index, src, dim, reduce, include_self: lib.scatter_reduce(
                x, dim, index, src, reduce, include_self=include_self
            ),
            scatter_case(reduce=reduce),
        )
        for reduce in ("sum", "prod", "mean", "amax", "amin")
    ),
    OpSpec(
        "index_add",
        lambda lib, x, index, source, dim, alpha: lib.index_add(x, dim, index, source, alpha=alpha),
        index_along_case(),
    ),
    OpSpec(
        "index_copy",
        lambda lib, x, index, source, dim: lib.index_copy(x, dim, index, source),
        index_along_case(distinct=True),
    ),
    OpSpec(
        "index_fill",
        lambda lib, x, index, *value, dim, **p: lib.index_fill(x, dim, index, *value, **p),
        index_along_case(source=False),
    ),
    OpSpec("take", lambda lib, x, index: lib.take(x, index), take_case()),
    OpSpec(
        "take_along_dim",
        lambda lib, x, index, **p: lib.take_along_dim(x, index, **p),
        take_along_dim_case(),
    ),
    OpSpec(
        "masked_scatter",
        lambda lib, x, mask, source: lib.masked_scatter(x, mask, source),
        masked_scatter_case(),
    ),
]

_STRUCTURE = [
    OpSpec("roll", lambda lib, x, **p: lib.roll(x, **p), roll_case()),
    OpSpec(
        "diag",
        lambda lib, x, diagonal: lib.diag(x, diagonal),
        unary(min_dims=1, max_dims=2, diagonal=st.integers(-3, 3)),
    ),
    OpSpec("diagonal", lambda lib, x, **p: lib.diagonal(x, **p), diagonal_case()),
    OpSpec("diag_embed", lambda lib, x, **p: lib.diag_embed(x, **p), diagonal_case(embed=True)),
    OpSpec("trace", lambda lib, x: lib.trace(x), unary(min_dims=2, max_dims=2)),
    OpSpec("kron", lambda lib, a, b: lib.kron(a, b), kron_case()),
    OpSpec("tensordot", lambda lib, a, b, dims: lib.tensordot(a, b, dims), tensordot_case()),
    OpSpec("cross", lambda lib, a, b, dim: lib.cross(a, b, dim=dim), cross_case()),
    OpSpec("linalg_cross", lambda lib, a, b, dim: lib.linalg.cross(a, b, dim=dim), cross_case()),
    OpSpec("cdist", lambda lib, x1, x2, p: lib.cdist(x1, x2, p), cdist_case()),
]
OPS += _SCANS_AND_SCATTERS + _STRUCTURE
