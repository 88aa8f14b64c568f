"""tensorgrad.save / tensorgrad.load: safetensors files, interchangeable with PyTorch's.

More (targets, map_location, structure against torch.load, hostile files) in
test_serialization_more.py."""

import builtins
import math
import os

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.optim as optim


def _state_dict():
    return {
        "0.weight": tg.randn(3, 4),
        "0.bias": tg.zeros(3, dtype=tg.float64),
        "steps": tg.tensor(7),
        "mask": tg.tensor([True, False]),
        "scalar": tg.tensor(2.5, dtype=tg.float16),
        "pixels": tg.tensor(np.arange(6, dtype=np.uint8).reshape(2, 3)),
    }


def test_round_trip_keeps_names_shapes_dtypes_and_values(tmp_path):
    state = _state_dict()
    path = tmp_path / "model.safetensors"
    tg.save(state, path)
    loaded = tg.load(str(path))
    assert list(loaded) == list(state)  # the order they were saved in
    for name, tensor in state.items():
        assert loaded[name].dtype == tensor.dtype and loaded[name].shape == tensor.shape
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.numpy())
    loaded["0.weight"].add_(1.0)  # loaded tensors are ordinary, writable tensors
    assert not np.array_equal(loaded["0.weight"].numpy(), state["0.weight"].numpy())


def test_parameters_keep_requires_grad_and_views_are_saved_by_value(tmp_path):
    weight = tg.randn(2, 3, requires_grad=True)
    tg.save({"w": weight, "wt": weight.detach().T}, tmp_path / "f")
    loaded = tg.load(tmp_path / "f")
    assert loaded["w"].requires_grad and loaded["w"].is_leaf  # as torch.load gives it back
    assert not loaded["wt"].requires_grad
    np.testing.assert_array_equal(loaded["wt"].numpy(), weight.detach().numpy().T)


def test_file_saved_here_loads_in_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.torch import load_file

    state = _state_dict()
    tg.save(state, tmp_path / "model.safetensors")
    theirs = load_file(str(tmp_path / "model.safetensors"))
    assert set(theirs) == set(state)
    for name, tensor in state.items():
        assert str(theirs[name].dtype) == f"torch.{tensor.dtype.name}"
        np.testing.assert_array_equal(theirs[name].numpy(), tensor.numpy())
    linear = torch.nn.Linear(4, 3)
    linear.load_state_dict({"weight": theirs["0.weight"], "bias": theirs["0.bias"].float()})
    np.testing.assert_array_equal(linear.weight.detach().numpy(), state["0.weight"].numpy())


def test_file_saved_by_pytorch_loads_here(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp_path / "torch.safetensors"), metadata={"format": "pt"})
    ours = tg.load(tmp_path / "torch.safetensors")
    assert set(ours) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for name, tensor in state.items():
        assert ours[name].dtype == tg.float32 and ours[name].shape == tuple(tensor.shape)
        np.testing.assert_array_equal(ours[name].numpy(), tensor.numpy())


def test_bfloat16_from_pytorch_is_a_clear_error(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(tmp_path / "bf16"))
    with pytest.raises(TypeError, match="'w'.*dtype BF16.*does not support"):
        tg.load(tmp_path / "bf16")


def test_nested_dicts_are_flattened_with_dots_and_rebuilt(tmp_path):
    nested = {"model": {"0": {"weight": tg.ones(2, 2)}, "bias": tg.zeros(2)}, "epoch": 3}
    tg.save(nested, tmp_path / "ckpt")
    load_file = pytest.importorskip("safetensors.numpy").load_file

    assert set(load_file(str(tmp_path / "ckpt"))) == {"model.0.weight", "model.bias"}
    loaded = tg.load(tmp_path / "ckpt")
    assert loaded["epoch"] == 3 and set(loaded["model"]) == {"0", "bias"}
    assert loaded["model"]["0"]["weight"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_optimizer_state_dict_round_trip(tmp_path):
    p = tg.tensor([1.0, -2.0], requires_grad=True)
    optimizer = optim.Adam([p], lr=0.01, betas=(0.8, 0.99), amsgrad=True)
    for _ in range(3):
        p.grad = p.detach() * 2
        optimizer.step()
    tg.save(optimizer.state_dict(), tmp_path / "optimizer")
    loaded = tg.load(tmp_path / "optimizer")
    group = loaded["param_groups"][0]
    assert group["betas"] == (0.8, 0.99) and group["params"] == [0] and group["lr"] == 0.01
    assert list(loaded["state"]) == [0] and loaded["state"][0]["step"].item() == 3.0

    twin = tg.tensor(p.tolist(), requires_grad=True)
    restored = optim.Adam([twin], lr=0.5)
    restored.load_state_dict(loaded)
    p.grad, twin.grad = tg.ones(2), tg.ones(2)
    optimizer.step()
    restored.step()
    assert twin.tolist() == p.tolist() and restored.param_groups[0]["lr"] == 0.01


def test_scheduler_state_dict_through_a_file(tmp_path):
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4, 4], gamma=0.5)
    for _ in range(3):
        scheduler.step()
    tg.save(scheduler.state_dict(), tmp_path / "scheduler")
    resumed = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[9])
    resumed.load_state_dict(tg.load(tmp_path / "scheduler"))
    assert resumed.last_epoch == 3 and resumed.milestones == {2: 1, 4: 2}
    resumed.step()
    assert resumed.get_last_lr() == [0.125]
    with pytest.warns(UserWarning):
        resumed.step(6)  # the closed form still works on the restored (plain dict) milestones
    assert resumed.get_last_lr() == [0.125]


def test_plain_values_round_trip(tmp_path):  # more kinds in test_serialization_more
    value = {"a": [1, 2.5, None, True, "x", (math.inf, -1)], "b": {"c": [tg.ones(1)]}, 3: ()}
    tg.save(value, tmp_path / "plain")
    loaded = tg.load(tmp_path / "plain")
    assert loaded["a"] == [1, 2.5, None, True, "x", (math.inf, -1)] and loaded[3] == ()
    assert loaded["b"]["c"][0].tolist() == [1.0]


def test_what_cannot_be_saved(tmp_path):
    with pytest.raises(TypeError, match="'layer.fn' of type object"):
        tg.save({"layer": {"fn": object()}}, tmp_path / "f")
    with pytest.raises(TypeError, match=r"save its state_dict\(\) instead"):
        tg.save(tg.nn.Linear(2, 2), tmp_path / "f")
    with pytest.raises(TypeError, match="key of type frozenset in 'a.b'"):
        tg.save({"a": {(1, 2): 3, "b": {frozenset(): 1}}}, tmp_path / "f")
    assert os.listdir(tmp_path) == []


def test_names_that_would_collide_are_made_unique(tmp_path):
    tg.save({"a": {"b": tg.ones(1)}, "a.b": tg.zeros(1)}, tmp_path / "f")
    load_file = pytest.importorskip("safetensors.numpy").load_file

    assert set(load_file(str(tmp_path / "f"))) == {"a.b", "a.b#2"}
    loaded = tg.load(tmp_path / "f")
    assert loaded["a"]["b"].tolist() == [1.0] and loaded["a.b"].tolist() == [0.0]


def test_not_a_safetensors_file(tmp_path):
    (tmp_path / "text").write_bytes(b"this is certainly not a safetensors file")
    with pytest.raises(RuntimeError, match="is not a valid safetensors file"):
        tg.load(tmp_path / "text")
    (tmp_path / "pickle.pt").write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(RuntimeError, match="torch.save.*never unpickles"):
        tg.load(tmp_path / "pickle.pt")
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "missing")
    tg.save({"w": tg.ones(1)}, tmp_path / "w")
    with pytest.raises(RuntimeError, match="cuda"):
        tg.load(tmp_path / "w", map_location="cuda")


def test_no_partial_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "weights.safetensors"
    tg.save({"w": tg.zeros(2)}, path)
    before = path.read_bytes()

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"w": tg.ones(1000)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["weights.safetensors"]
    assert path.read_bytes() == before
    assert tg.load(path)["w"].tolist() == [0.0, 0.0]


def test_no_safetensors_package_needed(tmp_path, monkeypatch):
    """The format is written and read with NumPy alone; the package is only the oracle."""
    real_import = builtins.__import__

    def without_safetensors(name, *args, **kwargs):
        if name == "safetensors" or name.startswith("safetensors."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_safetensors)
    tg.save({"w": tg.ones(2), "step": 3}, tmp_path / "f")
    loaded = tg.load(tmp_path / "f")
    assert loaded["w"].tolist() == [1.0, 1.0] and loaded["step"] == 3
