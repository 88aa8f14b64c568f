"""The rest of a CNN's layers against PyTorch: batch, group and instance normalisation (with
running statistics and eval mode), channel dropout, resizing and pixel shuffling."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

NORMS = [
    ("BatchNorm2d", (3,), {}, (4, 3, 5, 5)),
    ("BatchNorm3d", (3,), {"momentum": None}, (2, 3, 3, 4, 3)),
    ("BatchNorm2d", (3,), {"affine": False, "track_running_stats": False}, (4, 3, 2, 2)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5, 5)),
    ("GroupNorm", (1, 4), {"affine": False}, (3, 4, 6)),
    ("InstanceNorm1d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 7)),
    ("InstanceNorm2d", (3,), {}, (2, 3, 5, 5)),
    ("InstanceNorm2d", (3,), {}, (3, 5, 5)),
    ("InstanceNorm3d", (2,), {"affine": True}, (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name, args, options, shape", NORMS, ids=[n[0] for n in NORMS])
def test_normalisation_matches_torch_in_training_and_eval(name, args, options, shape):
    theirs = getattr(torch.nn, name)(*args, **options).double()
    ours = getattr(tg.nn, name)(*args, **options).double()
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    for _ in range(2):
        x = rng.standard_normal(shape)
        x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
        np.testing.assert_allclose(y_ours.numpy(force=True), y_theirs.detach().numpy(), atol=1e-10)
        weights = rng.standard_normal(shape)
        (y_ours * tg.tensor(weights)).sum().backward()
        (y_theirs * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[key].numpy(force=True), value.numpy(), atol=1e-12, err_msg=key
        )
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(
        ours(tg.tensor(x)).numpy(force=True), theirs(torch.tensor(x)).detach().numpy(), atol=1e-10
    )


@pytest.mark.parametrize(
    "options",
    [
        {"scale_factor": 2},
        {"size": (5, 7)},
        {"scale_factor": 1.7, "mode": "bilinear", "align_corners": False},
        {"size": (3, 2), "mode": "bilinear", "align_corners": True},
        {"size": (7, 9), "mode": "bilinear", "align_corners": False},
    ],
)
def test_interpolate_matches_torch(options):
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours = tg.nn.functional.interpolate(x_ours, **options)
    y_theirs = torch.nn.functional.interpolate(x_theirs, **options)
    np.testing.assert_allclose(y_ours.numpy(force=True), y_theirs.detach().numpy(), atol=1e-12)
    y_ours.sum().backward(), y_theirs.sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-12)


def test_pixel_shuffle_round_trips_and_matches_torch():
    x = np.arange(2 * 8 * 3 * 4, dtype=np.float64).reshape(2, 8, 3, 4)
    shuffled = tg.pixel_shuffle(tg.tensor(x), 2)
    np.testing.assert_array_equal(shuffled.numpy(), torch.pixel_shuffle(torch.tensor(x), 2).numpy())
    np.testing.assert_array_equal(tg.pixel_unshuffle(shuffled, 2).numpy(), x)


@pytest.mark.parametrize(
    "name, shape",
    [("Dropout1d", (4, 6, 5)), ("Dropout2d", (4, 6, 3, 3)), ("Dropout3d", (6, 2, 2, 2))],
)
def test_channel_dropout_zeros_whole_channels_and_scales_the_rest(name, shape):
    tg.manual_seed(0)
    layer = getattr(tg.nn, name)(0.5)
    assert repr(layer) == repr(getattr(torch.nn, name)(0.5))
    out = layer(tg.ones(*shape)).numpy()
    channels = out.reshape(shape[: len(shape) - (len(shape) - 2 if len(shape) == 5 else 1)] + (-1,))
    assert set(np.unique(out)) == {0.0, 2.0}
    assert all(len(np.unique(channel)) == 1 for channel in channels.reshape(-1, channels.shape[-1]))
    layer.eval()
    assert (layer(tg.ones(*shape)).numpy() == 1).all()


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4)),
        lambda lib: lib.nn.GroupNorm(3, 4),
        lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(3, 4)),
        lambda lib: lib.pixel_shuffle(lib.ones(1, 3, 2, 2), 2),
        lambda lib: lib.nn.functional.interpolate(
            lib.ones(1, 1, 2, 2), scale_factor=2, align_corners=True
        ),
    ],
)
def test_bad_arguments_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(tg)


@pytest.mark.parametrize("shape", [(2, 5, 4, 4), (2, 6, 7)])
def test_local_response_norm_matches_torch(shape):
    x = np.random.default_rng(3).standard_normal(shape)
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = tg.nn.LocalResponseNorm(3)(ours), torch.nn.LocalResponseNorm(3)(theirs)
    assert repr(tg.nn.LocalResponseNorm(3)) == repr(torch.nn.LocalResponseNorm(3))
    np.testing.assert_allclose(y_ours.numpy(force=True), y_theirs.detach().numpy(), rtol=1e-10)
    y_ours.sum().backward(), y_theirs.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9)
