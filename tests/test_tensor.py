"""Tensor creation, attributes, conversions and repr, checked against PyTorch's behaviour."""

import numpy as np
import pytest

import tensorgrad as tg

# ----------------------------------------------------------------------------- creation


def test_tensor_infers_pytorch_default_dtypes():
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True, False]).dtype == tg.bool
    assert tg.tensor(2.5).dtype == tg.float32
    assert tg.tensor([1, 2.5]).dtype == tg.float32  # a mix of int and float is float
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == tg.float64
    assert tg.tensor(np.zeros(3, dtype=np.float64)).dtype == tg.float64  # arrays keep theirs


def test_tensor_copies_its_data():
    array = np.ones(3, dtype=np.float32)
    t = tg.tensor(array)
    array[0] = 5.0
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_from_numpy_shares_memory_both_ways():
    array = np.arange(4.0)
    t = tg.from_numpy(array)
    assert t.dtype == tg.float64
    array[0] = 10.0
    assert t[0].item() == 10.0
    with tg.no_grad():
        t.add_(1.0)
    assert array.tolist() == [11.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    ("make", "shape", "dtype", "value"),
    [
        (lambda: tg.zeros(2, 3), (2, 3), tg.float32, 0.0),
        (lambda: tg.zeros((2, 3)), (2, 3), tg.float32, 0.0),
        (lambda: tg.ones([4]), (4,), tg.float32, 1.0),
        (lambda: tg.ones(2, dtype=tg.int64), (2,), tg.int64, 1),
        (lambda: tg.full((2, 2), 7.0), (2, 2), tg.float32, 7.0),
        (lambda: tg.full((2,), 7), (2,), tg.int64, 7),
        (lambda: tg.full((2,), True), (2,), tg.bool, True),
        (lambda: tg.zeros(()), (), tg.float32, 0.0),
    ],
)
def test_filled_creation(make, shape, dtype, value):
    t = make()
    assert t.shape == shape and t.dtype == dtype
    assert (t._data == value).all()


def test_empty_has_shape_and_dtype():
    t = tg.empty(3, 2, dtype=tg.float64)
    assert t.shape == (3, 2) and t.dtype == tg.float64


def test_arange_and_linspace_match_torch():
    torch = pytest.importorskip("torch")
    cases = [(5,), (1, 4), (0, 1, 0.25), (0.0, 3), (10, 0, -3)]
    for args in cases:
        ours, theirs = tg.arange(*args), torch.arange(*args)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch", "tensorgrad"), args
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    ours, theirs = tg.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)
    assert ours.dtype == tg.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_eye():
    np.testing.assert_array_equal(tg.eye(3).numpy(), np.eye(3, dtype=np.float32))
    assert tg.eye(2, 3).shape == (2, 3)


def test_random_creation_shapes_dtypes_and_ranges():
    u = tg.rand(1000)
    assert u.dtype == tg.float32 and u.min().item() >= 0.0 and u.max().item() < 1.0
    n = tg.randn(2000, dtype=tg.float64)
    assert n.dtype == tg.float64 and abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    r = tg.randint(3, 7, (500,))
    assert r.dtype == tg.int64 and r.min().item() == 3 and r.max().item() == 6
    assert tg.randint(5, (2, 2)).shape == (2, 2)


def test_manual_seed_reproduces_every_stream():
    def draw():
        return tg.rand(3).tolist(), tg.randn(3).tolist(), tg.randint(0, 100, (3,)).tolist()

    tg.manual_seed(123)
    first = draw()
    tg.manual_seed(123)
    assert draw() == first
    tg.manual_seed(124)
    assert draw() != first


@pytest.mark.parametrize(
    "name", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]
)
def test_like_functions_keep_shape_and_dtype(name):
    source = tg.zeros(2, 3, dtype=tg.float64)
    t = getattr(tg, name)(source)
    assert t.shape == (2, 3) and t.dtype == tg.float64 and not t.requires_grad
    assert getattr(tg, name)(source, dtype=tg.float32).dtype == tg.float32


def test_full_like_and_randint_like():
    source = tg.zeros(4, dtype=tg.int64)
    assert tg.full_like(source, 3).tolist() == [3, 3, 3, 3]
    r = tg.randint_like(source, 2, 5)
    assert r.dtype == tg.int64 and r.min().item() >= 2 and r.max().item() < 5


def test_requires_grad_at_creation():
    assert tg.zeros(2, requires_grad=True).requires_grad
    assert tg.tensor([1.0], requires_grad=True).is_leaf


# ----------------------------------------------------------------------------- conversions


def test_dtype_conversions():
    t = tg.tensor([1.7, -2.2])
    assert t.double().dtype == tg.float64
    assert t.float() is t  # already float32: same tensor, as in PyTorch
    assert t.long().tolist() == [1, -2]  # truncation toward zero
    assert t.to(tg.float64).dtype == tg.float64
    assert t.to(dtype=tg.int32).dtype == tg.int32
    assert tg.tensor([1, 0]).bool().tolist() == [True, False]
    assert t.to(tg.tensor([1.0], dtype=tg.float64)).dtype == tg.float64


def test_conversion_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    assert y.dtype == tg.float64
    y.sum().backward()
    assert x.grad.dtype == tg.float32 and x.grad.tolist() == [3.0, 3.0]


# ----------------------------------------------------------------------------- attributes


def test_shape_attributes():
    t = tg.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2


def test_item_tolist_numpy():
    assert tg.tensor([[2.5]]).item() == 2.5
    assert isinstance(tg.tensor(3).item(), int)
    assert tg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    t = tg.tensor([1.0, 2.0])
    array = t.numpy()
    assert isinstance(array, np.ndarray)
    array[0] = 9.0  # numpy() shares memory, as in PyTorch
    assert t[0].item() == 9.0


def test_numpy_refuses_requires_grad_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="detach"):
        tg.ones(2, requires_grad=True).numpy()
    assert tg.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]


def test_detach_shares_memory_and_leaves_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d.add_(1.0)
    assert y.tolist() == [3.0, 5.0]
    assert d._version == y._version == 1  # one memory, one version counter


def test_clone_copies_and_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and c.grad_fn.name() == "CloneBackward0"
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    d = x.detach().clone()
    d.add_(5.0)
    assert x.tolist() == [1.0, 2.0]


def test_requires_grad_flags():
    t = tg.zeros(2)
    assert not t.requires_grad
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad
    y = tg.ones(2, requires_grad=True) * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_grad_and_retain_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    assert y.retains_grad
    z = y * 3
    z.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    assert y.grad.tolist() == [3.0, 3.0]
    assert z.grad is None  # non-leaf without retain_grad


def test_grad_setter_validates_shape():
    x = tg.zeros(2, requires_grad=True)
    x.grad = tg.ones(2)
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = tg.ones(3)
    x.grad = None
    assert x.grad is None


# ----------------------------------------------------------------------------- repr


REPR_CASES = [
    "[1.0, 2.0, 3.0]",
    "[[1.5, 2.25], [3.0, 4.0]]",
    "[[0.1234567, 100.0]]",
    "[-1.5, 2.0]",
    "[1e-5, 1.0]",
    "[1e10, 1.0]",
    "3.5",
    "[1, 100]",
    "-3",
    "[True, False]",
    "[[True, False], [False, True]]",
    "[]",
    "[float('nan'), float('inf'), 1.5]",
]


@pytest.mark.parametrize("literal", REPR_CASES)
def test_repr_matches_torch(literal):
    torch = pytest.importorskip("torch")
    value = eval(literal)  # noqa: S307 - literals from the table above
    expected = repr(torch.tensor(value)).replace("torch.", "tensorgrad.")
    assert repr(tg.tensor(value)) == expected


def test_repr_suffixes_match_torch():
    torch = pytest.importorskip("torch")

    def same(ours, theirs):
        assert repr(ours) == repr(theirs).replace("torch.", "tensorgrad.")

    same(tg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True))
    same(
        tg.tensor([1.0, 2.0], requires_grad=True) * 2,
        torch.tensor([1.0, 2.0], requires_grad=True) * 2,
    )
    same(tg.tensor([1.0], dtype=tg.float64), torch.tensor([1.0], dtype=torch.float64))
    same(tg.arange(3, dtype=tg.int32), torch.arange(3, dtype=torch.int32))
    same(tg.zeros(0, 3), torch.zeros(0, 3))
    same(tg.zeros(0, dtype=tg.int64), torch.zeros(0, dtype=torch.int64))
