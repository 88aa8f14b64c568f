"""The tiny GPT of ``examples/tiny_gpt.py`` against PyTorch: the example's own source, with its
imports swapped to ``torch``, builds the reference model. With PyTorch's weights copied in
(float64), tensorgrad gives PyTorch's loss, every gradient, and the parameters after three
AdamW steps with weight-decay groups and gradient clipping."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tiny_gpt.py"


def _load_example(as_torch: bool) -> types.ModuleType:
    """The example module, run against tensorgrad or (imports swapped) against PyTorch."""
    source = EXAMPLE.read_text()
    if as_torch:
        for ours, theirs in (
            ("import tensorgrad.nn.functional as F", "import torch.nn.functional as F"),
            ("import tensorgrad.nn as nn", "import torch.nn as nn"),
            ("import tensorgrad as tg", "import torch as tg"),
        ):
            assert ours in source
            source = source.replace(ours, theirs)
    module = types.ModuleType(f"tiny_gpt_{'torch' if as_torch else 'tensorgrad'}")
    module.__file__ = str(EXAMPLE)
    sys.path.insert(0, str(EXAMPLE.parent))
    try:
        exec(compile(source, str(EXAMPLE), "exec"), module.__dict__)
    finally:
        sys.path.remove(str(EXAMPLE.parent))
    return module


def _as_numpy(tensor) -> np.ndarray:
    return tensor.detach().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)


def test_tiny_gpt_matches_torch_for_three_adamw_steps():
    ours_module, theirs_module = _load_example(False), _load_example(True)
    torch.manual_seed(0)
    theirs = theirs_module.GPT(12, 8, n_layer=2, n_head=4, n_embd=16).double()
    ours = ours_module.GPT(12, 8, n_layer=2, n_head=4, n_embd=16).double()
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert ours.transformer.wte.weight is ours.lm_head.weight  # still tied after loading
    train, _ = ours_module.addition_data(0)
    rng = np.random.default_rng(0)
    optimizers = {
        "ours": ours.configure_optimizers(0.1, 3e-3, betas=(0.9, 0.98)),
        "theirs": theirs.configure_optimizers(0.1, 3e-3, betas=(0.9, 0.98)),
    }
    for _ in range(3):
        rows = train[rng.integers(0, len(train), 16)]
        targets = rows[:, 1:].copy()
        targets[:, : ours_module.PROMPT - 1] = -1
        losses, gradients = {}, {}
        for name, model, lib in (("ours", ours, tg), ("theirs", theirs, torch)):
            _, loss = model(lib.tensor(rows[:, :-1]), lib.tensor(targets))
            optimizers[name].zero_grad()
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.05)  # small: it clips
            losses[name] = loss.item()
            gradients[name] = {k: _as_numpy(p.grad) for k, p in model.named_parameters()}
            optimizers[name].step()
        assert losses["ours"] == pytest.approx(losses["theirs"], abs=1e-10)
        for key, reference in gradients["theirs"].items():
            np.testing.assert_allclose(gradients["ours"][key], reference, atol=1e-10, err_msg=key)
    theirs_parameters = dict(theirs.named_parameters())
    for key, parameter in ours.named_parameters():
        np.testing.assert_allclose(
            _as_numpy(parameter), _as_numpy(theirs_parameters[key]), atol=1e-10, err_msg=key
        )
