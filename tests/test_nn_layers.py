"""Layers and activations of tensorgrad.nn against PyTorch (float64, identical weights)."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-10, atol=1e-12)


def _assert_close(ours, theirs, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(np.asarray(ours._data), theirs, **TOL, err_msg=what)


def compare_module(ours, theirs, *inputs, steps=1, seed=0):
    """Copy theirs' state into ours (float64), run forward+backward ``steps`` times on both
    and compare outputs, input gradients, parameter gradients and buffers."""
    ours.double()
    theirs.double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        tg_in = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
        th_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
        out, ref = ours(*tg_in), theirs(*th_in)
        _assert_close(out, ref, f"{ours!r}: output")
        if ref.requires_grad:
            upstream = rng.standard_normal(tuple(ref.shape))
            out.backward(tg.tensor(upstream))
            ref.backward(torch.tensor(upstream))
            for index, (a, b) in enumerate(zip(tg_in, th_in, strict=True)):
                if b.grad is not None:
                    _assert_close(a.grad, b.grad, f"{ours!r}: grad of input {index}")
        for (name, p), (name_t, p_t) in zip(
            ours.named_parameters(), theirs.named_parameters(), strict=True
        ):
            assert name == name_t
            if p_t.grad is not None:
                _assert_close(p.grad, p_t.grad, f"{ours!r}: grad of {name}")
    state, reference = ours.state_dict(), theirs.state_dict()
    assert list(state) == list(reference)
    for key in state:
        _assert_close(state[key], reference[key], f"{ours!r}: state {key}")
    return out


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    compare_module(nn.Linear(3, 2, bias=bias), torch.nn.Linear(3, 2, bias=bias), randn(*shape))


def test_linear_default_init_has_pytorch_bounds_and_shapes():
    layer = nn.Linear(16, 4)
    assert layer.weight.shape == (4, 16) and layer.bias.shape == (4,)
    assert layer.weight.dtype == tg.float32
    bound = 1 / math.sqrt(16)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    big = nn.Linear(1000, 100)
    values = big.weight.detach().numpy()
    # U(-b, b) has variance b²/3.
    assert values.var() == pytest.approx((1 / math.sqrt(1000)) ** 2 / 3, rel=0.05)


def test_linear_wrong_feature_size_names_the_module_and_shapes():
    layer = nn.Linear(3, 2)
    with pytest.raises(
        RuntimeError,
        match=r"Linear\(in_features=3.*input has 4 features "
        r"\(shape \(2, 4\)\)",
    ):
        layer(tg.randn(2, 4))
    with pytest.raises(RuntimeError, match="same floating dtype"):
        layer(tg.randn(2, 3, dtype=tg.float64))


def test_identity_and_flatten():
    x = randn(2, 3, 4)
    compare_module(nn.Identity(54, unused=1), torch.nn.Identity(54, unused=1), x)
    compare_module(nn.Flatten(), torch.nn.Flatten(), x)
    compare_module(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), x)


ACTIVATIONS = [
    ("ReLU", {}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.5}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 3.0}),
    ("Softmax", {"dim": 1}),
    ("Softmax", {"dim": 0}),
    ("LogSoftmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}),
]


@pytest.mark.parametrize(("name", "kwargs"), ACTIVATIONS)
def test_activation_matches_torch(name, kwargs):
    x = randn(4, 5) * 3
    x[0, :3] = [0.0, 30.0, -800.0]  # the kink, beyond the softplus threshold, far negative
    compare_module(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), x)


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "SiLU"])
def test_inplace_activation_overwrites_its_input_and_matches_torch(name):
    x = randn(3, 4)
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hidden, hidden_t = ours * 2, theirs * 2
    out = getattr(nn, name)(inplace=True)(hidden)
    ref = getattr(torch.nn, name)(inplace=True)(hidden_t)
    assert out is hidden
    _assert_close(hidden, ref, name)
    out.sum().backward()
    ref.sum().backward()
    _assert_close(ours.grad, theirs.grad, name)


def test_dropout_train_and_eval():
    tg.manual_seed(3)
    layer = nn.Dropout(0.25)
    x = tg.ones(200, 100, requires_grad=True)
    out = layer(x)
    values = out.detach().numpy()
    assert set(np.unique(values)) == {0.0, np.float32(1 / 0.75)}
    assert (values == 0).mean() == pytest.approx(0.25, abs=0.02)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # the gradient is the mask
    layer.eval()
    assert layer(x) is x
    assert nn.Dropout(1.0)(x).detach().numpy().max() == 0
    assert nn.Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_embedding_matches_torch_with_padding_idx():
    indices = np.array([[1, 0, 3], [3, 3, 2]])
    out = compare_module(
        nn.Embedding(5, 3, padding_idx=0), torch.nn.Embedding(5, 3, padding_idx=0), indices
    )
    assert out.shape == (2, 3, 3)
    fresh = nn.Embedding(5, 3, padding_idx=-1)
    assert fresh.padding_idx == 4 and np.all(fresh.weight.detach().numpy()[4] == 0)


def test_embedding_max_norm_renormalises_looked_up_rows_like_torch():
    indices = np.array([0, 2, 2])
    compare_module(
        nn.Embedding(4, 3, max_norm=0.5), torch.nn.Embedding(4, 3, max_norm=0.5), indices
    )


def test_embedding_bad_indices():
    layer = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"span \[0, 7\] but the table has 4 rows"):
        layer(tg.tensor([0, 7]))
    with pytest.raises(RuntimeError, match="int64 or int32"):
        layer(tg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}])
def test_layer_norm_matches_torch(kwargs):
    compare_module(nn.LayerNorm(4, **kwargs), torch.nn.LayerNorm(4, **kwargs), randn(3, 4))
    compare_module(
        nn.LayerNorm((2, 4), **kwargs), torch.nn.LayerNorm((2, 4), **kwargs), randn(3, 2, 4)
    )


def test_layer_norm_wrong_shape():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[3\].*size \(2, 4\)"):
        nn.LayerNorm(3)(tg.randn(2, 4))


BATCH_NORMS = [
    {},
    {"momentum": None},
    {"momentum": 0.3},
    {"affine": False},
    {"track_running_stats": False},
    {"eps": 1e-3},
    {"bias": False},
]


@pytest.mark.parametrize("kwargs", BATCH_NORMS)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batch_norm_matches_torch_in_train_and_eval(kwargs, shape):
    ours, theirs = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
    compare_module(ours, theirs, randn(*shape) * 2 + 1, steps=3)
    ours.eval()
    theirs.eval()
    compare_module(ours, theirs, randn(*shape, seed=5))
    if ours.track_running_stats:
        assert ours.num_batches_tracked.item() == 3
        assert ours.num_batches_tracked.dtype == tg.int64


def test_batch_norm_errors():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(tg.randn(1, 3))
    with pytest.raises(RuntimeError, match=r"input has 4 channels in dim 1 \(shape \(2, 4\)\)"):
        layer(tg.randn(2, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D"):
        layer(tg.randn(2, 3, 3, 3))
    layer.eval()
    assert layer(tg.randn(1, 3)).shape == (1, 3)  # eval uses running statistics


def test_module_tree_repr_is_torchs():
    ours = nn.Sequential(
        nn.Linear(2, 3),
        nn.ReLU(),
        nn.Dropout(),
        nn.BatchNorm1d(3),
        nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3)),
        nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1)]),
        nn.ModuleDict({"a": nn.Tanh()}),
        nn.LayerNorm(4),
        nn.Embedding(10, 3, padding_idx=0),
        nn.GELU(approximate="tanh"),
        nn.Softplus(),
        nn.Softmax(dim=1),
        nn.LeakyReLU(),
        nn.ELU(),
        nn.SiLU(inplace=True),
        nn.Flatten(),
        nn.Identity(),
        nn.CrossEntropyLoss(label_smoothing=0.1),
        nn.MSELoss(),
        nn.BatchNorm1d(3, affine=False),
        nn.LayerNorm(2, bias=False),
        nn.ModuleList(),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 3),
        torch.nn.ReLU(),
        torch.nn.Dropout(),
        torch.nn.BatchNorm1d(3),
        torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)),
        torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.Linear(1, 1)]),
        torch.nn.ModuleDict({"a": torch.nn.Tanh()}),
        torch.nn.LayerNorm(4),
        torch.nn.Embedding(10, 3, padding_idx=0),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Softplus(),
        torch.nn.Softmax(dim=1),
        torch.nn.LeakyReLU(),
        torch.nn.ELU(),
        torch.nn.SiLU(inplace=True),
        torch.nn.Flatten(),
        torch.nn.Identity(),
        torch.nn.CrossEntropyLoss(label_smoothing=0.1),
        torch.nn.MSELoss(),
        torch.nn.BatchNorm1d(3, affine=False),
        torch.nn.LayerNorm(2, bias=False),
        torch.nn.ModuleList(),
    )
    assert repr(ours) == repr(theirs)
    assert repr(ours[1:3]) == repr(theirs[1:3])
    assert list(ours.state_dict()) == list(theirs.state_dict())
