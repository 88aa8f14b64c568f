"""``tensorgrad.compile(module)`` is PyTorch's ``OptimizedModule``: the original as its one
child ``_orig_mod``, attributes reaching the original, and the same names as ``torch.compile``'s."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


def _net(lib):
    """The same small network in tensorgrad or torch (``lib``)."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = lib.nn.Linear(3, 4)
            self.norm = lib.nn.BatchNorm1d(4)
            self.out = lib.nn.Linear(4, 2)

        def forward(self, x):
            return self.out(self.norm(self.hidden(x)).relu())

        def width(self):
            return self.hidden.out_features

    return Net()


def test_names_repr_and_attributes_are_torch_compiles():
    """torch.compile's layout, spelled out from the torch module: calling torch.compile here
    would import torch._dynamo, which switches off torch.distributions' argument checks for
    every later test in the process."""
    torch = pytest.importorskip("torch")
    ours, theirs = tg.compile(_net(tg)), _net(torch)
    assert type(ours).__name__ == "OptimizedModule"
    assert list(ours.state_dict()) == [f"_orig_mod.{name}" for name in theirs.state_dict()]
    for listing in ("named_parameters", "named_buffers", "named_modules"):
        names = [name for name, _ in getattr(theirs, listing)(prefix="_orig_mod")]
        if listing == "named_modules":
            names = ["", *names]
        assert [name for name, _ in getattr(ours, listing)()] == names, listing
    assert [name for name, _ in ours.named_children()] == ["_orig_mod"]
    inner = repr(theirs).replace("\n", "\n  ")
    assert repr(ours) == f"OptimizedModule(\n  (_orig_mod): {inner}\n)"
    assert ours.width() == theirs.width() == 4
    assert isinstance(ours, nn.Module) and not isinstance(ours, type(ours._orig_mod))
    assert isinstance(ours, tg._dynamo.eval_frame.OptimizedModule)
    with pytest.raises(TypeError, match="Net does not support len"):
        len(ours)


def test_attributes_and_the_training_flag_are_the_originals():
    model = _net(tg)
    compiled = tg.compile(model)
    assert compiled.hidden is model.hidden
    assert [id(p) for p in compiled.parameters()] == [id(p) for p in model.parameters()]
    compiled.scale = 3  # a plain attribute: set on the original
    assert model.scale == 3 and "scale" not in compiled.__dict__
    del compiled.scale
    assert not hasattr(model, "scale")
    compiled.extra = nn.Linear(2, 2)  # a module: registered on the original
    assert "extra" in model._modules and "extra" not in compiled._modules
    compiled.eval()
    assert not model.training and not compiled.training and not model.hidden.training
    model.train()
    assert compiled.training
    assert "width" in dir(compiled) and "_orig_mod" in dir(compiled)
    assert len(tg.compile(nn.Sequential(nn.ReLU(), nn.ReLU()))) == 2


def test_calls_run_the_compiled_original_inside_the_wrappers_hooks():
    tg.manual_seed(0)
    model = _net(tg)
    compiled = tg.compile(model)
    x = tg.randn(5, 3)
    seen = []
    compiled.register_forward_pre_hook(lambda module, args: seen.append(type(module).__name__))
    compiled.register_forward_hook(lambda module, args, out: out * 2)
    model.eval()
    with tg.no_grad():
        expected = model(x).numpy() * 2
        for _ in range(3):
            np.testing.assert_array_equal(compiled(x).numpy(), expected)
    assert seen == ["OptimizedModule"] * 3
    assert compiled._compiled_forward.recordings == 1


def test_state_dicts_round_trip_with_the_prefix():
    compiled = tg.compile(_net(tg))
    state = compiled.state_dict()
    other = tg.compile(_net(tg))
    other.load_state_dict(state)
    for name, value in other.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[name].numpy())
    plain = _net(tg)
    with pytest.raises(RuntimeError, match="Missing key"):
        plain.load_state_dict(state)
    plain.load_state_dict({k.removeprefix("_orig_mod."): v for k, v in state.items()})


def test_a_deep_copy_is_a_compiled_copy_and_a_shallow_one_shares_the_original():
    compiled = tg.compile(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), fullgraph=True)
    deep, shallow = copy.deepcopy(compiled), copy.copy(compiled)
    assert deep._orig_mod is not compiled._orig_mod and shallow._orig_mod is compiled._orig_mod
    for twin in (deep, shallow):
        assert type(twin).__name__ == "OptimizedModule" and twin is not compiled
        assert twin._compiled_forward._options() == {"fullgraph": True, "disable": False}
        assert list(twin.state_dict()) == list(compiled.state_dict())


def test_its_hooks_are_guarded_inside_another_compiled_function():
    model = tg.compile(nn.Linear(3, 2))
    predict = tg.compile(lambda x: model(x) * 1.0)
    x = tg.randn(4, 3)
    with tg.no_grad():
        for _ in range(3):
            predict(x)
        model.register_forward_hook(lambda module, args, out: out * 0)
        with pytest.warns(UserWarning, match="forward hooks"):
            assert predict(x).abs().sum().item() == 0.0


def test_it_compiles_in_place_and_takes_a_patched_forward_as_pytorchs_does():
    layer = nn.Linear(2, 2)
    compiled = tg.compile(layer)
    compiled.compile()  # the wrapper's own calls compiled too: no recursion
    x = tg.ones(1, 2)
    with tg.no_grad():
        expected = layer(x).numpy()
        for _ in range(3):
            np.testing.assert_array_equal(compiled(x).numpy(), expected)
    patched = tg.compile(nn.Linear(2, 2))
    patched.forward = lambda *args: "patched"
    assert patched(x) == "patched" and "forward" not in patched._orig_mod.__dict__


def test_a_subclass_does_not_take_over_compile():
    class Mine(tg._dynamo.eval_frame.OptimizedModule):
        pass

    assert type(tg.compile(nn.Linear(1, 1))).__module__ == "tensorgrad.nn._compiled_module"
