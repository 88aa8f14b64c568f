"""Gradient checks (float64 central differences, first and second order) for every functional
op tensorgrad.nn adds, on hypothesis-drawn inputs; and end-to-end training of small MLPs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn
from tensorgrad.testing import assert_gradients_close, assert_second_gradients_close
from tensorgrad.testing import strategies as tst

# name -> function of one float64 tensor (away from kinks: the checks use finite differences)
UNARY = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "elu": lambda x: F.elu(x, 0.7),
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "softplus": lambda x: F.softplus(x, beta=1.5, threshold=2.0),
    "logsigmoid": F.logsigmoid,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=0),
    "normalize": lambda x: F.normalize(x, dim=-1),
    "layer_norm": lambda x: F.layer_norm(x, x.shape[-1:]),
    "pad": lambda x: F.pad(x, (1, -1, 2, 0), value=0.5) if x.dim() > 1 else F.pad(x, (2, 1)),
    "batch_norm_train": lambda x: F.batch_norm(x, None, None, training=True),
}
SMOOTH = {
    "gelu",
    "gelu_tanh",
    "silu",
    "logsigmoid",
    "softmax",
    "log_softmax",
    "normalize",
    "layer_norm",
    "batch_norm_train",
    "elu",
}

away_from_kinks = tst.away_from([0.0, 1.5 * 2.0 / 1.5], margin=0.05)  # relu-likes, softplus


@pytest.mark.parametrize("name", sorted(UNARY))
@given(
    x=tst.tensors(
        shape=tst.shapes(min_dims=2, max_dims=2, min_side=2),
        elements=away_from_kinks,
        requires_grad=True,
    )
)
def test_functional_gradients(name, x):
    assert_gradients_close(UNARY[name], x)
    if name in SMOOTH:
        assert_second_gradients_close(UNARY[name], x)


@given(
    x=tst.tensors(shape=(3, 4), requires_grad=True),
    w=tst.tensors(shape=(2, 4), requires_grad=True),
    b=tst.tensors(shape=(2,), requires_grad=True),
)
def test_linear_gradients_first_and_second_order(x, w, b):
    assert_gradients_close(F.linear, x, w, b)
    assert_gradients_close(F.linear, x, w)
    assert_second_gradients_close(F.linear, x, w, b)


@given(x=tst.tensors(shape=(4, 3), requires_grad=True), data=st.data())
def test_cross_entropy_and_nll_gradients(x, data):
    target = tg.tensor(data.draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)))
    smoothing = data.draw(st.sampled_from([0.0, 0.2]))
    weight = tg.tensor([0.5, 1.0, 2.0], dtype=tg.float64)

    def loss(logits):
        return F.cross_entropy(logits, target, weight=weight, label_smoothing=smoothing)

    assert_gradients_close(loss, x)
    assert_second_gradients_close(loss, x)
    assert_gradients_close(lambda logp: F.nll_loss(logp, target, reduction="none"), x)


@given(
    x=tst.tensors(shape=(2, 3), requires_grad=True),
    p=tst.tensors(shape=(2, 3), elements=tst.unit_interval(), requires_grad=True),
)
def test_probability_target_losses_differentiate_both_arguments(x, p):
    assert_gradients_close(lambda a, b: F.cross_entropy(a, b, reduction="sum"), x, p)
    assert_gradients_close(F.binary_cross_entropy_with_logits, x, p)
    assert_gradients_close(lambda a, b: F.binary_cross_entropy(a.sigmoid(), b), x, p)
    assert_second_gradients_close(F.binary_cross_entropy_with_logits, x, p)


@given(
    x=tst.tensors(
        shape=(3, 2),
        elements=tst.away_from([0.0, -1.0, 1.0, -0.3, 0.3], margin=0.05),
        requires_grad=True,
    ),
    y=tst.tensors(shape=(3, 2), elements=st.just(0.0)),
)
def test_regression_loss_gradients(x, y):
    for loss in (
        F.mse_loss,
        F.l1_loss,
        lambda a, b: F.smooth_l1_loss(a, b, beta=0.3),
        lambda a, b: F.huber_loss(a, b, delta=1.0),
    ):
        assert_gradients_close(loss, x, y)


def test_embedding_gradient_accumulates_repeats_and_skips_padding():
    weight = tg.randn(4, 2, dtype=tg.float64, requires_grad=True)
    indices = tg.tensor([1, 1, 0, 3])
    assert_gradients_close(lambda w: F.embedding(indices, w), weight)
    F.embedding(indices, weight, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), [[0, 0], [2, 2], [0, 0], [1, 1]])


def test_one_hot_dropout_and_pad_values():
    np.testing.assert_array_equal(F.one_hot(tg.tensor([0, 2])).numpy(), [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(tg.tensor([1]), 4).dtype == tg.int64
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tg.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="index tensor"):
        F.one_hot(tg.tensor([1.0]))
    padded = F.pad(tg.ones(2, 2), (1, 0, 0, 1), value=7)
    np.testing.assert_array_equal(padded.numpy(), [[7, 1, 1], [7, 1, 1], [7, 7, 7]])
    assert F.dropout(tg.ones(3), 0.5, training=False).tolist() == [1, 1, 1]


def _train(model, x, y, loss_fn, lr, steps):
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for param in model.parameters():
                param -= lr * param.grad
    return loss.item()


def test_mlp_learns_xor_to_100_percent():
    tg.manual_seed(0)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    _train(model, x, y, nn.BCELoss(), lr=0.5, steps=1000)
    predictions = (model(x) > 0.5).float()
    assert (predictions == y).float().mean().item() == 1.0


def test_mlp_learns_a_two_class_problem_to_100_percent():
    rng = np.random.default_rng(0)
    # make_classification-like: two Gaussian blobs in 5 dims, separated along a random direction
    direction = rng.standard_normal(5)
    direction /= np.linalg.norm(direction)
    labels = rng.integers(0, 2, 200)
    points = rng.standard_normal((200, 5)) + np.outer(labels * 2 - 1, direction * 3.5)
    x = tg.tensor(points.astype(np.float32))
    y = tg.tensor(labels)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2))
    _train(model, x, y, nn.CrossEntropyLoss(), lr=0.5, steps=300)
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy == 1.0
