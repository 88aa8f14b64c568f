"""Convolution layers and padding modes against PyTorch: values, gradients, double backward
(a gradient penalty through a conv net), parameters, initialisation, repr and errors. The op
table (`tests/op_table.py`) checks the functions' derivatives against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn

torch = pytest.importorskip("torch")

LAYERS = [
    ("Conv1d", (2, 4, 9)),
    ("Conv2d", (2, 4, 7, 6)),
    ("Conv3d", (1, 4, 5, 4, 5)),
]
OPTIONS = [
    {"kernel_size": 3},
    {"kernel_size": 3, "padding": 1, "bias": False},
    {"kernel_size": 2, "stride": 2, "groups": 2},
    {"kernel_size": 3, "padding": "same", "dilation": 2, "padding_mode": "reflect"},
    {"kernel_size": 3, "padding": 1, "padding_mode": "circular"},
    {"kernel_size": 3, "padding": 2, "padding_mode": "replicate"},
    {"kernel_size": 3, "padding": "valid", "groups": 4},
]


def _twins(name: str, options: dict):
    """The same layer in both libraries, float64, tensorgrad's loaded with PyTorch's weights."""
    theirs = getattr(torch.nn, name)(4, 8, **options).double()
    ours = getattr(nn, name)(4, 8, **options).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("name, shape", LAYERS)
@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_layer_matches_torch_in_values_gradients_and_repr(name, shape, options):
    ours, theirs = _twins(name, options)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(y_ours.numpy(force=True), y_theirs.detach().numpy(), atol=1e-10)
    weights = np.random.default_rng(1).standard_normal(tuple(y_theirs.shape))
    (y_ours * tg.tensor(weights)).sum().backward()
    (y_theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-10)
    for (key, ours_param), theirs_param in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            ours_param.grad.numpy(), theirs_param.grad.numpy(), atol=1e-9, err_msg=key
        )


def test_unbatched_input_gives_an_unbatched_output():
    ours, theirs = _twins("Conv2d", {"kernel_size": 3, "padding": 1})
    x = np.random.default_rng(2).standard_normal((4, 5, 5))
    y = ours(tg.tensor(x))
    assert y.shape == (8, 5, 5)
    np.testing.assert_allclose(
        y.numpy(force=True), theirs(torch.tensor(x)).detach().numpy(), atol=1e-10
    )


def test_gradient_penalty_through_a_conv_net_matches_torch():
    """Double backward: d/dθ of ‖d loss / d x‖² through conv-relu-conv, as WGAN-GP does."""

    def build(lib):
        return lib.nn.Sequential(
            lib.nn.Conv2d(2, 4, 3, padding=1, groups=2),
            lib.nn.Tanh(),
            lib.nn.Conv2d(4, 3, 2, stride=2, dilation=1),
        ).double()

    theirs, ours = build(torch), build(tg)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((2, 2, 6, 6))

    def penalty(lib, model):
        inputs = lib.tensor(x, requires_grad=True)
        (grad,) = lib.autograd.grad(model(inputs).sum(), inputs, create_graph=True)
        (grad**2).sum().backward()
        # The last bias does not change d loss / d x: no gradient in either library.
        return [None if p.grad is None else p.grad.numpy() for p in model.parameters()]

    ours_grads, theirs_grads = penalty(tg, ours), penalty(torch, theirs)
    assert [g is None for g in ours_grads] == [g is None for g in theirs_grads]
    for a, b in zip(ours_grads, theirs_grads, strict=True):
        if a is not None:
            np.testing.assert_allclose(a, b, atol=1e-9)


def test_default_initialisation_has_pytorchs_bounds():
    tg.manual_seed(0)
    layer = nn.Conv2d(6, 16, (3, 5), groups=2)
    bound = 1 / np.sqrt(3 * 3 * 5)  # fan_in = in_channels / groups · Πkernel
    weight, bias = layer.weight.numpy(force=True), layer.bias.numpy(force=True)
    assert weight.shape == (16, 3, 3, 5) and bias.shape == (16,)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert np.abs(bias).max() <= bound
    assert layer.weight.dtype == tg.float32


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape, pad",
    [
        ((1, 2, 5), (2, 1)),
        ((2, 3, 4, 5), (1, 2, 3, 1)),
        ((2, 3), (-1, 1)),
        ((1, 1, 3, 4, 5), (1, 1, 2, 0, 1, 1)),
    ],
)
def test_pad_modes_match_torch(mode, shape, pad):
    x = np.random.default_rng(4).standard_normal(shape)
    ours = tg.nn.functional.pad(tg.tensor(x), pad, mode=mode)
    theirs = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.nn.functional.conv2d(lib.ones(1, 3, 5, 5), lib.ones(4, 2, 3, 3)),
        lambda lib: lib.nn.functional.conv2d(lib.ones(1, 4, 5, 5), lib.ones(3, 2, 3, 3), groups=2),
        lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 2, 2), lib.ones(1, 1, 3, 3)),
        lambda lib: lib.nn.functional.conv2d(lib.ones(5, 5), lib.ones(1, 1, 3, 3)),
        lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 5, 5), lib.ones(1, 3, 3)),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(1, 1, 5, 5), lib.ones(1, 1, 3, 3), stride=2, padding="same"
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(1, 1, 5, 5), lib.ones(1, 1, 3, 3), padding="full"
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(1, 1, 5, 5), lib.ones(1, 1, 3, 3), padding=-1
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(1, 1, 5, 5), lib.ones(1, 1, 3, 3, dtype=lib.float64)
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(1, 1, 5, 5), lib.ones(2, 1, 3, 3), lib.ones(3)
        ),
        lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 5, 5), lib.ones(1, 1, 3, 3), stride=0),
        lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2),
        lambda lib: lib.nn.Conv2d(3, 4, 3, padding_mode="mirror"),
        lambda lib: lib.nn.Conv2d(3, 4, 3, padding="same", stride=2),
        lambda lib: lib.nn.functional.pad(lib.ones(1, 2, 3), (3, 3), mode="reflect"),
        lambda lib: lib.nn.functional.pad(lib.ones(3), (1, 1), mode="reflect"),
    ],
)
def test_bad_arguments_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(tg)
    assert str(ours.value)  # a message that says what is wrong


def test_lenet_with_pytorchs_weights_trains_like_pytorch():
    """LeNet-5 in float64: the same loss, gradients and three SGD-momentum steps."""

    def lenet(lib):
        nn = lib.nn
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        ).double()

    theirs, ours = lenet(torch), lenet(tg)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(5)
    images, labels = rng.standard_normal((8, 1, 28, 28)), rng.integers(0, 10, 8)

    def train(lib, model):
        optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = lib.tensor(images), lib.tensor(labels)
        losses, first_grads = [], None
        for _ in range(3):
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            if first_grads is None:
                first_grads = [p.grad.numpy().copy() for p in model.parameters()]
            optimizer.step()
            losses.append(float(loss.detach()))
        return losses, first_grads, [p.detach().numpy() for p in model.parameters()]

    (loss_ours, grads_ours, params_ours) = train(tg, ours)
    (loss_theirs, grads_theirs, params_theirs) = train(torch, theirs)
    np.testing.assert_allclose(loss_ours, loss_theirs, rtol=1e-6)
    for a, b in zip(grads_ours + params_ours, grads_theirs + params_theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("stride", [1, 2])
def test_an_empty_batch_gives_an_empty_result_and_gradient(stride):
    weight = tg.randn(4, 3, 3, 3, requires_grad=True)
    x = tg.randn(0, 3, 5, 5, requires_grad=True)
    y = tg.nn.functional.conv2d(x, weight, stride=stride, padding=1)
    assert y.shape == (0, 4, 3 if stride == 2 else 5, 3 if stride == 2 else 5)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5) and np.all(weight.grad.numpy() == 0)
    assert tg.nn.functional.conv_transpose2d(tg.randn(0, 4, 5, 5), weight).shape == (0, 3, 7, 7)
