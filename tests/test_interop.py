"""NumPy interop (``np.asarray``, mixed operators, ufuncs, array functions) and DLPack."""

import numpy as np
import pytest

import tensorgrad as tg


def test_asarray_shares_memory_and_keeps_dtype():
    t = tg.tensor([1.0, 2.0])
    array = np.asarray(t)
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    assert np.shares_memory(array, t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t).tolist() == [1.0, 2.0]
    assert not np.shares_memory(np.array(t, copy=True), t.numpy())


@pytest.mark.parametrize(
    ("name", "apply", "expected_grad"),
    [
        ("mul", lambda a, t: a * t, [2.0, 3.0]),
        ("add", lambda a, t: a + t, [1.0, 1.0]),
        ("sub", lambda a, t: a - t, [-1.0, -1.0]),
        ("truediv", lambda a, t: a / t, [-2.0 / 16, -3.0 / 25]),
        ("pow", lambda a, t: a**t, [2.0**4 * np.log(2.0), 3.0**5 * np.log(3.0)]),
        ("matmul", lambda a, t: a @ t, [2.0, 3.0]),
    ],
)
def test_ndarray_on_the_left_keeps_the_graph(name, apply, expected_grad):
    array = np.array([2.0, 3.0], dtype=np.float32)
    t = tg.tensor([4.0, 5.0], requires_grad=True)
    result = apply(array, t)
    assert isinstance(result, tg.Tensor) and result.grad_fn is not None
    assert result.dtype == tg.float32
    result.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), expected_grad, rtol=1e-6)


def test_ndarray_operand_promotes_like_a_tensor():
    t = tg.ones(2, requires_grad=True)
    assert (np.ones(2) * t).dtype == tg.float64  # a float64 array is a float64 tensor
    assert (np.float64(2.0) * t).dtype == tg.float32  # a NumPy scalar is a scalar
    assert (t * np.ones(2, dtype=np.int64)).dtype == tg.float32


def test_comparison_with_ndarray_gives_a_bool_tensor():
    result = np.array([1.0, 5.0]) < tg.tensor([2.0, 2.0])
    assert isinstance(result, tg.Tensor) and result.tolist() == [True, False]


@pytest.mark.parametrize(
    ("ufunc", "derivative"),
    [
        (np.exp, np.exp),
        (np.log, lambda v: 1 / v),
        (np.sqrt, lambda v: 0.5 / np.sqrt(v)),
        (np.tanh, lambda v: 1 - np.tanh(v) ** 2),
        (np.sin, np.cos),
        (np.negative, lambda v: -np.ones_like(v)),
        (np.square, lambda v: 2 * v),
    ],
)
def test_numpy_ufuncs_dispatch_to_tensor_ops(ufunc, derivative):
    values = np.array([0.5, 1.5, 2.0])
    t = tg.tensor(values, requires_grad=True)
    result = ufunc(t)
    assert isinstance(result, tg.Tensor) and result.grad_fn is not None
    np.testing.assert_allclose(result.detach().numpy(), ufunc(values), rtol=1e-12)
    result.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), derivative(values), rtol=1e-12)


def test_binary_ufunc_dispatch():
    a = tg.tensor([1.0, 4.0], requires_grad=True)
    result = np.maximum(a, np.array([2.0, 2.0]))
    assert isinstance(result, tg.Tensor) and result.tolist() == [2.0, 4.0]
    result.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda t: np.cbrt(t),  # PyTorch has neither cbrt nor divmod
        lambda t: np.divmod(t, t),
        lambda t: np.add.reduce(t),
        lambda t: np.add(t, 1.0, dtype=np.float64),
    ],
)
def test_unsupported_ufuncs_raise_a_clear_type_error(call):
    with pytest.raises(TypeError, match=r"numpy\.\w+.*not supported on tensorgrad"):
        call(tg.tensor([1.0, 2.0], requires_grad=True))


def test_ufunc_with_out_refuses_to_drop_the_graph():
    out = np.empty(2)
    with pytest.raises(TypeError, match="drop its graph"):
        np.exp(tg.tensor([1.0, 2.0], requires_grad=True), out=out)
    np.exp(tg.tensor([0.0, 0.0], dtype=tg.float64), out=out)
    assert out.tolist() == [1.0, 1.0]


def test_numpy_functions_dispatch_or_refuse():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = np.sum(t)
    assert isinstance(total, tg.Tensor) and total.item() == 10.0
    assert np.mean(t).item() == 2.5
    joined = np.concatenate([t, t])
    assert isinstance(joined, tg.Tensor) and joined.shape == (4, 2)
    total.backward()
    assert t.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(TypeError, match="median.*drop its graph"):
        np.median(t)
    assert np.median(t.detach()) == 2.5  # fine without a graph to lose


def test_dlpack_to_torch_is_zero_copy():
    torch = pytest.importorskip("torch")
    t = tg.arange(4.0)
    shared = torch.from_dlpack(t)
    assert shared.dtype == torch.float32 and shared.tolist() == [0.0, 1.0, 2.0, 3.0]
    with tg.no_grad():
        t.add_(10.0)
    assert shared.tolist() == [10.0, 11.0, 12.0, 13.0]
    shared.mul_(2)
    assert t.tolist() == [20.0, 22.0, 24.0, 26.0]


def test_dlpack_to_numpy_is_zero_copy():
    t = tg.tensor([[1, 2], [3, 4]])
    array = np.from_dlpack(t)
    assert array.dtype == np.int64 and array.shape == (2, 2)
    assert np.shares_memory(array, t.numpy())
    assert t.__dlpack_device__()[0] == 1  # kDLCPU


def test_dlpack_refuses_a_tensor_that_requires_grad_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError):
        torch.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError, match="requires grad"):
        np.from_dlpack(tg.ones(2, requires_grad=True))
    assert np.from_dlpack(tg.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]
