"""Type promotion: PyTorch's rules, not NumPy's."""

import itertools

import numpy as np
import pytest

import tensorgrad as tg

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, 0.5, np.float64(0.1), np.int32(3)]


def _ours(name, ndim):
    return tg.zeros((2,) * ndim, dtype=getattr(tg, name))


def _theirs(torch, name, ndim):
    return torch.zeros((2,) * ndim, dtype=getattr(torch, name))


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def test_scalars_take_the_tensors_dtype():
    x = tg.ones(3)
    assert (x * 0.1).dtype == tg.float32
    assert (x * np.float64(0.1)).dtype == tg.float32  # NumPy 2 alone would give float64
    assert (np.float64(0.1) * x).dtype == tg.float32
    assert (x + 1).dtype == tg.float32
    assert (tg.ones(3, dtype=tg.float64) * 0.1).dtype == tg.float64
    assert (tg.ones(3, dtype=tg.int64) * 0.5).dtype == tg.float32  # int * float -> default
    assert (tg.ones(3, dtype=tg.int32) * 2).dtype == tg.int32
    assert (tg.tensor([True]) + 1).dtype == tg.int64


def test_scalar_value_is_not_rounded_through_float64():
    x = tg.tensor([1.0])
    assert (x * np.float64(0.1)).item() == pytest.approx(np.float32(0.1), rel=0, abs=0)


def test_int_divided_by_int_is_float32():
    a, b = tg.tensor([3, 4]), tg.tensor([2, 8])
    assert (a / b).dtype == tg.float32 and (a / b).tolist() == [1.5, 0.5]
    assert (a / 2).dtype == tg.float32
    assert (3 / b).dtype == tg.float32
    assert (a // b).dtype == tg.int64 and (a // b).tolist() == [1, 0]


def test_int_plus_float_tensor_keeps_float_width():
    assert (tg.ones(2, dtype=tg.int64) + tg.ones(2, dtype=tg.float32)).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.float16) + tg.ones(2, dtype=tg.float64)).dtype == tg.float64


@pytest.mark.parametrize(("left", "right"), itertools.product(DTYPES, DTYPES))
def test_two_tensor_promotion_matches_torch(left, right):
    torch = pytest.importorskip("torch")
    for left_ndim, right_ndim in [(1, 1), (0, 1), (1, 0), (0, 0)]:
        expected = torch.result_type(
            _theirs(torch, left, left_ndim), _theirs(torch, right, right_ndim)
        )
        got = tg.result_type(_ours(left, left_ndim), _ours(right, right_ndim))
        assert got.name == _name(expected), (left, left_ndim, right, right_ndim)
    expected = torch.promote_types(getattr(torch, left), getattr(torch, right))
    assert tg.promote_types(getattr(tg, left), getattr(tg, right)).name == _name(expected)


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_tensor_scalar_promotion_matches_torch(name, scalar):
    torch = pytest.importorskip("torch")
    for ndim in (0, 1):
        expected = torch.result_type(_theirs(torch, name, ndim), scalar)
        assert tg.result_type(_ours(name, ndim), scalar).name == _name(expected), ndim


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("float32", "float64"),
        ("int64", "float32"),
        ("int32", "int64"),
        ("bool", "int64"),
        ("bool", "float32"),
        ("uint8", "int8"),
    ],
)
def test_operators_produce_the_promoted_dtype(left, right):
    torch = pytest.importorskip("torch")
    for ndim in (0, 1):
        a, b = _ours(left, 1), _ours(right, ndim)
        ta, tb = _theirs(torch, left, 1), _theirs(torch, right, ndim)
        assert _name((a + b).dtype) == _name((ta + tb).dtype)
        assert _name((a * b).dtype) == _name((ta * tb).dtype)
        if "bool" not in (left, right):  # PyTorch refuses to subtract bools
            assert _name((a - b).dtype) == _name((ta - tb).dtype)
        assert _name(tg.where(a > 0, a, b).dtype) == _name(torch.where(ta > 0, ta, tb).dtype)


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    a = tg.ones(3, dtype=tg.float32, requires_grad=True)
    b = tg.ones(3, dtype=tg.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64


def test_default_dtype_can_be_changed_and_restored():
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.tensor([1.0]).dtype == tg.float64
        assert tg.zeros(2).dtype == tg.float64
        assert (tg.tensor([1, 2]) * 0.5).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.tensor([1.0]).dtype == tg.float32
    with pytest.raises(TypeError):
        tg.set_default_dtype(tg.int64)


def test_no_dtype_equals_none():
    """``numpy.dtype(None)`` is float64; ``tensorgrad.float64 == None`` must still be False."""
    assert all(d != None for d in (tg.float64, tg.float32, tg.int64, tg.bfloat16))  # noqa: E711
    assert tg.float64 not in (None, tg.float16)
