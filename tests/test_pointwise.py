"""Pointwise ops against PyTorch where the op table does not go: edge values (±0, ±inf, NaN,
domain edges), gradients at singular points, integer and bool inputs, the in-place variants,
and the silent wrong answers of earlier versions (each now matches PyTorch)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

INF, NAN = math.inf, math.nan
EDGES = [0.0, -0.0, 0.3, -0.7, 1.0, -1.0, 1.5, -2.5, 10.0, -30.0, 100.0, INF, -INF, NAN]


def _value(lib, fn, *arrays, requires_grad=False):
    """``fn(lib, *tensors)`` as (ndarray, dtype name), or the exception type's name."""
    tensors = [lib.tensor(a.copy(), requires_grad=requires_grad) for a in arrays]
    try:
        result = fn(lib, *tensors)
    except Exception as error:  # the exception type is part of the contract
        return type(error).__name__
    return result.detach().numpy(), str(result.dtype).rpartition(".")[2]


def assert_same(fn, *arrays, exact=False):
    """Values (NaN where PyTorch has NaN), dtypes, or exception types, as PyTorch's."""
    ours, theirs = _value(tg, fn, *arrays), _value(torch, fn, *arrays)
    if isinstance(theirs, str) or isinstance(ours, str):
        assert ours == theirs
        return
    assert ours[1] == theirs[1], (ours[1], theirs[1])
    assert ours[0].shape == theirs[0].shape
    if exact:
        np.testing.assert_array_equal(ours[0], theirs[0])
    else:
        rtol = 1e-6 if theirs[1] == "float32" else 1e-12
        np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=0)


def assert_same_gradients(fn, *values, dtype=np.float64):
    """The gradients of ``fn(...).sum()`` for every input, inf and NaN included."""
    grads = []
    for lib in (tg, torch):
        tensors = [lib.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
        fn(lib, *tensors).sum().backward()
        grads.append([t.grad.numpy(force=True) for t in tensors])
    for ours, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


UNARY = [
    "tan", "exp2", "log2", "log10", "asin", "arcsin", "acos", "arccos", "atan", "arctan",
    "sinh", "cosh", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "erf", "erfc",
    "erfinv", "floor", "ceil", "round", "trunc", "fix", "frac", "reciprocal", "square",
    "sign", "sgn", "signbit", "nan_to_num",
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", UNARY)
def test_edge_values_match_torch(name, dtype):
    x = np.array(EDGES + [0.5, -0.5, 0.999, 2.5, 3.5], dtype=dtype)
    assert_same(lambda lib, t: getattr(lib, name)(t), x)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("name", UNARY)
def test_integer_and_bool_inputs_match_torch(name, dtype):
    x = np.array([0, 1, 3, 7], dtype=dtype) if dtype != np.bool_ else np.array([True, False])
    assert_same(lambda lib, t: getattr(lib, name)(t), x)


def test_methods_and_aliases_are_the_functions():
    x = tg.tensor([0.25, -0.5])
    for name in ["asin", "acos", "atan", "asinh", "atanh"]:
        alias = "arc" + name[1:]
        np.testing.assert_array_equal(getattr(x, alias)().numpy(), getattr(tg, name)(x).numpy())
    np.testing.assert_array_equal(x.arctan2(x).numpy(), tg.atan2(x, x).numpy())
    np.testing.assert_array_equal(x.fix().numpy(), tg.trunc(x).numpy())


def test_log2_and_log10_are_exact_at_powers():
    assert tg.log2(tg.tensor([8.0, 2.0**-20], dtype=tg.float64)).tolist() == [3.0, -20.0]
    assert tg.log10(tg.tensor([1000.0, 1e-5], dtype=tg.float64)).tolist() == [3.0, -5.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("decimals", [-2, -1, 1, 2, 3])
def test_round_with_decimals_matches_torch_bit_for_bit(decimals, dtype):
    x = np.array([1.25, 2.35, -2.675, 1.005, 0.125, 149.99, 1250.0, 1e30, NAN, -INF], dtype=dtype)
    x = np.concatenate([x, np.random.default_rng(0).uniform(-100, 100, 200).astype(dtype)])
    assert_same(lambda lib, t: lib.round(t, decimals=decimals), x, exact=True)


def test_round_to_even_and_of_integers():
    assert_same(lambda lib, t: lib.round(t), np.array([0.5, 1.5, 2.5, -0.5, -1.5]), exact=True)
    assert tg.round(tg.tensor([3, -4])).tolist() == [3, -4]
    with pytest.raises(NotImplementedError, match="round"):
        tg.round(tg.tensor([15]), decimals=1)


# ------------------------------------------------------------------- gradients at the edges


@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("asin", [1.0, -1.0, 0.5, 2.0]),
        ("acos", [1.0, -1.0, 0.5, 2.0]),
        ("atanh", [1.0, -1.0, 0.5, 2.0]),
        ("acosh", [1.0, 2.0, 0.5]),
        ("erfinv", [1.0, -1.0, 0.5, 2.0]),
        ("log2", [0.0, -1.0, 2.0]),
        ("log10", [0.0, -1.0, 2.0]),
        ("tan", [0.0, 1.0, INF]),
        ("sinh", [0.0, 800.0, -800.0]),
        ("cosh", [0.0, 800.0, -800.0]),
        ("asinh", [0.0, 1e200, -3.0]),
        ("erfc", [0.0, 30.0, -30.0]),
        ("exp2", [0.0, 2000.0, -2000.0]),
        ("frac", [0.5, -2.0, 3.25]),
        ("reciprocal", [0.0, 2.0]),
        ("relu", [NAN, 0.0, 1.0, -1.0]),
        ("abs", [NAN, 0.0, -1.0]),
        ("sign", [NAN, 0.0, 1.0]),
        ("sgn", [NAN, -0.0, -2.0]),
        ("nan_to_num", [NAN, INF, -INF, 1.5]),
    ],
)
def test_gradient_at_singular_and_special_points_matches_torch(name, points):
    assert_same_gradients(lambda lib, x: getattr(lib, name)(x), points)


def test_atan2_gradient_is_zero_at_the_origin_and_hypot_is_nan_as_in_torch():
    assert_same_gradients(lambda lib, y, x: lib.atan2(y, x), [0.0, 1.0, -2.0], [0.0, 1.0, 0.0])
    assert_same_gradients(lambda lib, a, b: lib.hypot(a, b), [0.0, 3.0], [0.0, -4.0])


def test_relu_gradient_passes_at_nan_as_in_torch():
    x = tg.tensor([NAN, 2.0, -1.0, 0.0], requires_grad=True)
    tg.nn.functional.relu(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["asin", "acosh", "atanh", "log2", "erfinv"])
def test_a_discarded_branch_contributes_an_exact_zero(name):
    """NaN hygiene (docs/design.md): PyTorch gives NaN here; we give the where's exact 0."""
    x = tg.tensor([-3.0, 0.5], dtype=tg.float64, requires_grad=True)
    tg.where(x > 10, getattr(tg, name)(x), x * 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


# -------------------------------------------------------------------------- clamp


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: lib.clamp(x, 0, 1),
        lambda lib, x: lib.clamp(x, max=0),
        lambda lib, x: lib.clamp(x, min=True),
        lambda lib, x: lib.clamp(x, True, True),
        lambda lib, x: lib.clamp(x, 0.5),
        lambda lib, x: lib.clamp(x, -1),
        lambda lib, x: lib.clamp(x, 2, 300),
        lambda lib, x: lib.clamp(x, x),
        lambda lib, x: lib.clamp(x, x, x),
        lambda lib, x: lib.clamp(x, lib.tensor([0.5])),
        lambda lib, x: lib.clamp(x, lib.tensor(2, dtype=lib.int64)),
        lambda lib, x: lib.clip(x, 0, 2),
    ],
)
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int32, np.int64, np.float32])
def test_clamp_dtypes_and_values_match_torch(call, dtype):
    assert_same(call, np.array([0, 1, 5, 1], dtype=dtype), exact=True)


def test_clamp_nan_and_crossed_bounds_match_torch():
    x = np.array([NAN, 0.5, -3.0, 3.0, 1.0, 0.0])
    assert_same(lambda lib, t: lib.clamp(t, 0.0, 1.0), x, exact=True)
    assert_same(lambda lib, t: lib.clamp(t, NAN, 1.0), x, exact=True)
    assert_same(lambda lib, t: lib.clamp(t, 2.0, 1.0), x, exact=True)
    low, high = np.array([0.0, NAN, 0.0, 2.0, 0.0, 0.0]), np.array([1.0, 1.0, NAN, 1.0, 1.0, 1.0])
    assert_same(lambda lib, t, lo, hi: lib.clamp(t, lo, hi), x, low, high, exact=True)


def test_clamp_gradients_match_torch_at_nan_ties_and_crossed_bounds():
    x = [NAN, 0.5, -3.0, 3.0, 1.0, 0.0, 1.5]
    low = [0.0, NAN, 0.0, 0.0, 0.0, 0.0, 2.0]
    high = [1.0, 1.0, 1.0, NAN, 1.0, 1.0, 1.0]
    assert_same_gradients(lambda lib, t, lo, hi: lib.clamp(t, lo, hi), x, low, high)
    assert_same_gradients(lambda lib, t, lo: lib.clamp(t, min=lo), x, low)
    assert_same_gradients(lambda lib, t, hi: lib.clamp(t, max=hi), x, high)
    assert_same_gradients(lambda lib, t: lib.clamp(t, 0.0, 1.0), x)


def test_clamp_tensor_bounds_broadcast_the_input_up():
    assert_same(lambda lib, x, lo: lib.clamp(x, lo), np.array([0.5]), np.array([0.0, 1.0, 2.0]))


def test_clamp_refuses_a_number_and_a_tensor_together():
    for lib in (tg, torch):
        with pytest.raises(TypeError):
            lib.clamp(lib.ones(2), lib.zeros(2), 0.5)


# ---------------------------------------------------------------- lerp, addcmul, addcdiv


@pytest.mark.parametrize("weight", [0.0, 0.25, 0.5, 0.75, 1.0, -0.5, 2.0, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lerp_with_a_number_matches_torch(weight, dtype):
    rng = np.random.default_rng(1)
    start, end = (rng.uniform(-10, 10, (3, 4)).astype(dtype) for _ in range(2))
    ours, theirs = (
        _value(lib, lambda L, a, b: L.lerp(a, b, weight), start, end) for lib in (tg, torch)
    )
    # PyTorch's kernel fuses the multiply-add: a rounding apart, relative to the operands.
    scale = np.finfo(dtype).eps * 2 * np.maximum(abs(start), abs(end)) * max(1, abs(weight))
    assert (abs(ours[0] - theirs[0]) <= scale).all()
    if weight == 1.0:  # the second formula gives end exactly
        np.testing.assert_array_equal(ours[0], end)


def test_lerp_with_a_tensor_weight_broadcasts_and_matches_torch():
    start, end = np.array([1.0, -2.0, 3.0]), np.array([[5.0], [0.0]])
    weight = np.array([0.2, 0.5, 0.9])
    assert_same(lambda lib, a, b, w: lib.lerp(a, b, w), start, end, weight)
    assert_same_gradients(lambda lib, a, b, w: lib.lerp(a, b, w), start, end, weight)
    assert_same(  # a 0-d weight of another dtype is converted
        lambda lib, a, b: lib.lerp(a, b, lib.tensor(0.5, dtype=lib.float64)),
        start.astype(np.float32),
        end.astype(np.float32),
    )


@pytest.mark.parametrize("value", [1, 2, 0.5, -1.5, True])
@pytest.mark.parametrize(
    "dtypes",
    [
        (np.float32, np.float32, np.float32),
        (np.float32, np.float64, np.int64),
        (np.int64, np.int64, np.int64),
        (np.int64, np.float32, np.int32),
        (np.int32, np.uint8, np.int64),
    ],
)
def test_addcmul_and_addcdiv_match_torch(value, dtypes):
    rng = np.random.default_rng(2)
    shapes = [(2, 1), (3,), (1, 3)]
    arrays = [(rng.uniform(1, 9, s)).astype(d) for s, d in zip(shapes, dtypes, strict=True)]
    assert_same(lambda lib, x, a, b: lib.addcmul(x, a, b, value=value), *arrays)
    assert_same(lambda lib, x, a, b: lib.addcdiv(x, a, b, value=value), *arrays)
    assert_same(lambda lib, x, a, b: x.addcmul(a, b, value=value), *arrays)


def test_addcmul_converts_value_to_an_integer_result_type():
    x = tg.tensor([1]).addcmul(tg.tensor([3]), tg.tensor([3]), value=0.5)
    assert x.tolist() == [1] and x.dtype == tg.int64


def test_addcdiv_gradient_at_zero_divisor_matches_torch():
    assert_same_gradients(
        lambda lib, x, a, b: lib.addcdiv(x, a, b), [1.0, 2.0], [0.0, 1.0], [0.0, 2.0]
    )


# -------------------------------------------------------------------------- nan_to_num


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}, {"posinf": 1e300}, {"neginf": -1e300}],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_to_num_matches_torch(kwargs, dtype):
    x = np.array([NAN, INF, -INF, 1.5, -0.0], dtype=dtype)
    assert_same(lambda lib, t: lib.nan_to_num(t, **kwargs), x, exact=True)
    assert_same(lambda lib, t: t.nan_to_num(**kwargs), x, exact=True)


def test_nan_to_num_of_integers_is_a_copy():
    x = tg.tensor([1, 2])
    y = tg.nan_to_num(x, nan=3.5)
    assert y.tolist() == [1, 2] and y.dtype == tg.int64
    y[0] = 5
    assert x.tolist() == [1, 2]


# -------------------------------------------------------------- the rounding divisions


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, a, b: a // b,
        lambda lib, a, b: a % b,
        lambda lib, a, b: lib.fmod(a, b),
        lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
        lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
        lambda lib, a, b: lib.remainder(a, b),
    ],
)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float32])
def test_rounding_divisions_by_zero_match_torch(call, dtype):
    a = np.array([5, 3, 0, 7], dtype=dtype)
    assert_same(call, a, np.array([2, 0, 0, 1], dtype=dtype), exact=True)  # a zero divisor
    assert_same(call, a, np.array([2, 1, 3, 1], dtype=dtype), exact=True)  # none
    empty = np.zeros(0, dtype=dtype)
    assert_same(call, empty, np.zeros(1, dtype=dtype), exact=True)  # nothing to divide


def test_true_division_promotes_before_it_goes_to_float():
    assert_same(lambda lib, a, b: a / b, np.array([1, 2]), np.array(2.0))
    assert_same(lambda lib, a, b: a / b, np.array([1], dtype=np.int8), np.array(300))
    assert_same(lambda lib, a, b: a / b, np.array([1, 2]), np.array([2], dtype=np.int32))


def test_softplus_of_an_integer_tensor_is_refused_not_truncated():
    from tensorgrad.ops import fused

    for call in (tg.nn.functional.softplus, fused.softplus):
        with pytest.raises(NotImplementedError, match="int64"):
            call(tg.tensor([1, 2]))


# -------------------------------------------------------------------------- in place

IN_PLACE = [
    ("tan_", ()), ("exp2_", ()), ("log2_", ()), ("log10_", ()), ("asin_", ()),
    ("arcsin_", ()), ("acos_", ()), ("atan_", ()), ("sinh_", ()), ("cosh_", ()),
    ("asinh_", ()), ("acosh_", ()), ("atanh_", ()), ("erf_", ()), ("erfc_", ()),
    ("erfinv_", ()), ("floor_", ()), ("ceil_", ()), ("round_", ()), ("trunc_", ()),
    ("fix_", ()), ("frac_", ()), ("reciprocal_", ()), ("square_", ()), ("sign_", ()),
    ("sgn_", ()), ("nan_to_num_", ()), ("atan2_", ("other",)), ("hypot_", ("other",)),
    ("lerp_", ("other", 0.3)), ("lerp_", ("other", "other")), ("addcmul_", ("other", "other")),
    ("addcdiv_", ("other", "other")),
]  # fmt: skip


def _in_place(lib, name, args, x, other):
    resolved = [other if a == "other" else a for a in args]
    result = getattr(x, name)(*resolved)
    assert result is x
    return x


@pytest.mark.parametrize(("name", "args"), IN_PLACE, ids=[f"{n}{len(a)}" for n, a in IN_PLACE])
def test_in_place_variants_match_torch(name, args):
    x = np.array([0.25, -0.5, 0.75, NAN, 2.5])
    other = np.array([0.5, 0.125, -0.25, 1.0, 2.0])
    assert_same(lambda lib, t, o: _in_place(lib, name, args, t, o), x, other)
    assert_same(
        lambda lib, t, o: _in_place(lib, name, args, t, o),
        x.astype(np.float32),
        other.astype(np.float32),
    )
    # recorded: the tensor becomes the op's output, and the gradient flows through it
    finite = np.array([0.25, -0.5, 0.75, 0.1, 0.9])
    grads = []
    for lib in (tg, torch):
        leaf = lib.tensor(finite, requires_grad=True)
        o = lib.tensor(other, requires_grad=True)
        y = leaf * 1
        try:
            _in_place(lib, name, args, y, o).sum().backward()
        except NotImplementedError:  # PyTorch has no derivative for asinh_, acosh_, atanh_
            leaf.grad = o.grad = None
            out_of_place = getattr(lib, name.rstrip("_").replace("arc", "a"))
            out_of_place(leaf).sum().backward()
        grads.append([g if g is None else g.numpy(force=True) for g in (leaf.grad, o.grad)])
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    if grads[1][1] is not None:
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)


def test_in_place_refuses_a_result_of_a_higher_kind_and_converts_the_same_kind():
    for lib in (tg, torch):
        with pytest.raises(RuntimeError):
            lib.tensor([1, 2]).tan_()
        with pytest.raises(RuntimeError):
            lib.tensor([True]).square_()
    x = tg.ones(3)
    x.addcmul_(tg.ones(3, dtype=tg.float64), tg.ones(3), value=2)
    assert x.dtype == tg.float32 and x.tolist() == [3.0, 3.0, 3.0]
    assert tg.tensor([3, -1]).floor_().tolist() == [3, -1]


def test_in_place_function_names_exist_where_torch_has_them():
    for name in ["tan_", "erf_", "frac_", "nan_to_num_", "round_", "fix_"]:
        x = tg.tensor([0.5, -1.5])
        assert getattr(tg, name)(x) is x
    assert not hasattr(tg, "lerp_") and not hasattr(torch, "lerp_")


def test_in_place_on_a_saved_tensor_is_caught_by_backward():
    x = tg.tensor([0.5, 0.25], requires_grad=True)
    y = x * 1
    z = y.exp()  # saves its output
    z.tan_()
    w = y.sin()
    y.tan_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation|version"):
        w.sum().backward()
    assert z.grad_fn is not None


# ------------------------------------------------------------------ without SciPy


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_error_functions_without_scipy_match_scipy(name, dtype, monkeypatch):
    pytest.importorskip("scipy")
    x = np.concatenate(
        [
            np.linspace(-1, 1, 401),
            [1 - 1e-12, -1 + 1e-15, 0.9999999, 1e-300, 1.5, -1.0, INF, NAN],
            np.linspace(-6, 6, 97),
        ]
    ).astype(dtype)
    expected = getattr(tg, name)(tg.tensor(x)).numpy()
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # `from scipy.special …` fails
    got = getattr(tg, name)(tg.tensor(x)).numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=4e-7 if dtype == np.float32 else 1e-13)


# ------------------------------------------------------------------------- NumPy


def test_numpy_functions_dispatch_to_the_new_ops():
    x = tg.tensor([0.5, -0.25], requires_grad=True)
    for numpy_function, op in [
        (np.tan, tg.tan),
        (np.arcsin, tg.asin),
        (np.arccosh, tg.acosh),
        (np.exp2, tg.exp2),
        (np.signbit, tg.signbit),
        (np.nan_to_num, tg.nan_to_num),
    ]:
        result = numpy_function(x)
        assert isinstance(result, tg.Tensor)
        np.testing.assert_array_equal(result.detach().numpy(), op(x).detach().numpy())
    assert np.arctan2(x, x).requires_grad and np.hypot(x, x).requires_grad
