"""tensorgrad.nn, tensorgrad.optim and their helpers on a device, against the CPU.

Every case runs twice from the same seed: on the CPU, and on the ``"strict"`` device
(``strict_backend.py``: NumPy behind the device interface, refusing NumPy itself). Outputs,
gradients, running statistics, optimizer states and trained weights must come out equal
(1e-12, or bit for bit where the test says so), and everything a device module makes must
live on the device. A layer that reaches for NumPy on its tensors' data raises there.

Random numbers (dropout masks, RReLU slopes) are drawn on the host from tensorgrad's
generator and copied over, so a seed gives the same mask on every device.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from strict_backend import tensors_in  # importing it registers the "strict" device

import tensorgrad
from tensorgrad import nn, optim
from tensorgrad.nn import activation as activation_module
from tensorgrad.nn import loss as loss_module
from tensorgrad.nn.utils import rnn as rnn_utils
from tensorgrad.utils.data import DataLoader, TensorDataset

STRICT = tensorgrad.device("strict", 0)
CPU = tensorgrad.device("cpu")
DEVICES = (CPU, STRICT)


# ------------------------------------------------------------------------------- helpers


def _host(tensor):
    return None if tensor is None else tensor.detach().cpu().numpy()


def _move(value, where):
    """``value`` on ``where``: tensors copied (a leaf that required grad stays one)."""
    if isinstance(value, tensorgrad.Tensor):
        return value.detach().to(where).requires_grad_(value.requires_grad)
    return value


def _assert_same(expected: list, actual: list, what: str, exact: bool = False) -> None:
    assert len(expected) == len(actual), f"{what}: {len(expected)} != {len(actual)}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e is None or a is None:
            assert e is None and a is None, f"{what} {i}: None on one device only"
            continue
        assert (a.dtype, a.shape) == (e.dtype, e.shape), f"{what} {i}"
        if exact:
            np.testing.assert_array_equal(a, e, err_msg=f"{what} {i}")
        else:
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"{what} {i}")


def _on_device(tensors, where, what: str) -> None:
    for tensor in tensors:
        assert tensor.device == where, f"{what} on {tensor.device}, expected {where}"


def _randn(*shape, requires_grad: bool = True):
    return tensorgrad.randn(*shape, dtype=tensorgrad.float64, requires_grad=requires_grad)


def _rand(*shape, requires_grad: bool = False):
    return tensorgrad.rand(*shape, dtype=tensorgrad.float64, requires_grad=requires_grad)


def _labels(high: int, *shape):
    return tensorgrad.randint(0, high, shape)


def _signs(size: int):
    """±1 targets (float64), alternating."""
    return tensorgrad.tensor([(-1.0) ** i for i in range(size)], dtype=tensorgrad.float64)


# ------------------------------------------------------------------------------- layers
@dataclass
class Layer:
    """One row of the layer table: a module, its inputs, and how to call it."""

    name: str
    build: Callable[[], nn.Module]  # on the CPU; moved with module.to(device)
    inputs: Callable[[], tuple]  # CPU tensors (float leaves that require grad) and values
    call: Callable[..., Any] = lambda module, *inputs: module(*inputs)
    train: bool = True


def _with_running_stats(module: nn.Module) -> nn.Module:
    """A batch norm whose running statistics are not the defaults (for eval mode)."""
    with tensorgrad.no_grad():
        module.running_mean.copy_(tensorgrad.randn(*module.running_mean.shape))
        module.running_var.copy_(tensorgrad.rand(*module.running_var.shape) + 0.5)
    return module


def _packed(module, x, lengths=(3, 1, 2)):
    """``module`` on ``x`` (B, T, *) packed with ``lengths`` (unsorted) on ``x``'s device."""
    packed = rnn_utils.pack_padded_sequence(
        x, list(lengths), batch_first=True, enforce_sorted=False
    )
    output, state = module(packed)
    padded, sizes = rnn_utils.pad_packed_sequence(output, batch_first=True)
    assert sizes.device == CPU and sizes.tolist() == list(lengths)  # PyTorch's lengths: host
    return padded, state, output.data


def _causal(size: int, device):
    return nn.Transformer.generate_square_subsequent_mask(size, device, tensorgrad.float64)


LAYERS = [
    Layer("Linear", lambda: nn.Linear(3, 2), lambda: (_randn(4, 3),)),
    Layer("Linear no bias", lambda: nn.Linear(3, 2, bias=False), lambda: (_randn(2, 5, 3),)),
    Layer("Identity", lambda: nn.Identity(), lambda: (_randn(2, 3),)),
    Layer("Conv1d", lambda: nn.Conv1d(2, 3, 3, padding=1), lambda: (_randn(2, 2, 6),)),
    Layer("Conv2d", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), lambda: (_randn(2, 2, 5, 5),)),
    Layer("Conv2d groups dilation", lambda: nn.Conv2d(4, 4, 2, groups=2, dilation=2),
          lambda: (_randn(1, 4, 5, 5),)),
    Layer("Conv3d", lambda: nn.Conv3d(2, 2, 2), lambda: (_randn(1, 2, 3, 3, 3),)),
    Layer("ConvTranspose1d", lambda: nn.ConvTranspose1d(2, 3, 3, stride=2),
          lambda: (_randn(2, 2, 4),)),
    Layer("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1,
                                                        output_padding=1),
          lambda: (_randn(1, 2, 3, 3),)),
    Layer("ConvTranspose3d", lambda: nn.ConvTranspose3d(2, 1, 2), lambda: (_randn(1, 2, 2, 2, 2),)),
    Layer("BatchNorm1d train", lambda: nn.BatchNorm1d(3), lambda: (_randn(4, 3),)),
    Layer("BatchNorm1d eval", lambda: _with_running_stats(nn.BatchNorm1d(3)),
          lambda: (_randn(4, 3, 2),), train=False),
    Layer("BatchNorm2d train", lambda: nn.BatchNorm2d(2, momentum=None),
          lambda: (_randn(3, 2, 2, 2),)),
    Layer("BatchNorm2d eval", lambda: _with_running_stats(nn.BatchNorm2d(2)),
          lambda: (_randn(3, 2, 2, 2),), train=False),
    Layer("BatchNorm3d train", lambda: nn.BatchNorm3d(2), lambda: (_randn(2, 2, 2, 2, 2),)),
    Layer("LayerNorm", lambda: nn.LayerNorm((3, 4)), lambda: (_randn(2, 3, 4),)),
    Layer("GroupNorm", lambda: nn.GroupNorm(2, 4), lambda: (_randn(2, 4, 3),)),
    Layer("InstanceNorm1d", lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
          lambda: (_randn(2, 3, 5),)),
    Layer("InstanceNorm2d", lambda: nn.InstanceNorm2d(2), lambda: (_randn(2, 2, 3, 3),)),
    Layer("InstanceNorm3d", lambda: nn.InstanceNorm3d(2), lambda: (_randn(1, 2, 2, 2, 2),)),
    Layer("LocalResponseNorm", lambda: nn.LocalResponseNorm(2), lambda: (_randn(2, 4, 3),)),
    Layer("Embedding", lambda: nn.Embedding(5, 3, padding_idx=0), lambda: (_labels(5, 2, 4),)),
    Layer("Embedding max_norm", lambda: nn.Embedding(5, 3, max_norm=1.0),
          lambda: (_labels(5, 6),)),
    Layer("Dropout", lambda: nn.Dropout(0.5), lambda: (_randn(4, 5),)),
    Layer("Dropout eval", lambda: nn.Dropout(0.5), lambda: (_randn(4, 5),), train=False),
    Layer("Dropout1d", lambda: nn.Dropout1d(0.5), lambda: (_randn(2, 4, 3),)),
    Layer("Dropout2d", lambda: nn.Dropout2d(0.5), lambda: (_randn(2, 4, 2, 2),)),
    Layer("Dropout3d", lambda: nn.Dropout3d(0.5), lambda: (_randn(2, 4, 1, 2, 2),)),
    Layer("RNN", lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu"),
          lambda: (_randn(5, 2, 3), _randn(2, 2, 4))),
    Layer("LSTM bidirectional batch_first", lambda: nn.LSTM(3, 4, batch_first=True,
                                                            bidirectional=True),
          lambda: (_randn(2, 5, 3),)),
    Layer("LSTM proj_size dropout", lambda: nn.LSTM(3, 4, num_layers=2, proj_size=2, dropout=0.5),
          lambda: (_randn(4, 2, 3),)),
    Layer("GRU", lambda: nn.GRU(3, 4), lambda: (_randn(5, 2, 3),)),
    Layer("GRU unbatched", lambda: nn.GRU(3, 4), lambda: (_randn(5, 3), _randn(1, 4))),
    Layer("RNN packed", lambda: nn.RNN(2, 3, batch_first=True), lambda: (_randn(3, 3, 2),),
          call=_packed),
    Layer("LSTM packed", lambda: nn.LSTM(2, 3, batch_first=True, bidirectional=True),
          lambda: (_randn(3, 3, 2),), call=_packed),
    Layer("GRU packed", lambda: nn.GRU(2, 3, num_layers=2, batch_first=True),
          lambda: (_randn(3, 3, 2),), call=_packed),
    Layer("RNNCell", lambda: nn.RNNCell(3, 4), lambda: (_randn(2, 3), _randn(2, 4))),
    Layer("LSTMCell", lambda: nn.LSTMCell(3, 4),
          lambda: (_randn(2, 3), (_randn(2, 4), _randn(2, 4))),
          call=lambda m, x, state: m(x, tuple(_move(s, x.device) for s in state))),
    Layer("GRUCell", lambda: nn.GRUCell(3, 4), lambda: (_randn(2, 3),)),
    Layer("MultiheadAttention", lambda: nn.MultiheadAttention(4, 2),
          lambda: (_randn(3, 2, 4), _randn(5, 2, 4), _randn(5, 2, 4))),
    Layer("MultiheadAttention masks kdim dropout",
          lambda: nn.MultiheadAttention(4, 2, dropout=0.3, kdim=3, vdim=2, batch_first=True,
                                        add_bias_kv=True, add_zero_attn=True),
          lambda: (_randn(2, 3, 4), _randn(2, 5, 3), _randn(2, 5, 2)),
          call=lambda m, q, k, v: m(
              q, k, v,
              key_padding_mask=tensorgrad.tensor([[False] * 4 + [True], [False] * 5],
                                                 device=q.device),
              attn_mask=_causal(5, q.device)[:3], average_attn_weights=False)),
    Layer("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(4, 2, 8),
          lambda: (_randn(3, 2, 4),),
          call=lambda m, x: m(x, src_mask=_causal(3, x.device))),
    Layer("TransformerEncoderLayer norm_first gelu",
          lambda: nn.TransformerEncoderLayer(4, 2, 8, activation="gelu", norm_first=True,
                                             batch_first=True),
          lambda: (_randn(2, 3, 4),),
          call=lambda m, x: m(x, src_key_padding_mask=tensorgrad.tensor(
              [[False, False, True], [False] * 3], device=x.device))),
    Layer("TransformerDecoderLayer", lambda: nn.TransformerDecoderLayer(4, 2, 8),
          lambda: (_randn(3, 2, 4), _randn(5, 2, 4)),
          call=lambda m, tgt, memory: m(tgt, memory, tgt_mask=_causal(3, tgt.device))),
    Layer("TransformerEncoder", lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, 8), 2, norm=nn.LayerNorm(4)),
          lambda: (_randn(3, 2, 4),)),
    Layer("Transformer", lambda: nn.Transformer(4, 2, 1, 1, 8),
          lambda: (_randn(5, 2, 4), _randn(3, 2, 4)),
          call=lambda m, src, tgt: m(src, tgt, tgt_mask=_causal(3, src.device))),
    Layer("MaxPool1d", lambda: nn.MaxPool1d(2), lambda: (_randn(2, 2, 6),)),
    Layer("MaxPool2d indices", lambda: nn.MaxPool2d(2, stride=1, return_indices=True),
          lambda: (_randn(1, 2, 4, 4),)),
    Layer("MaxPool3d", lambda: nn.MaxPool3d(2, padding=1), lambda: (_randn(1, 1, 3, 3, 3),)),
    Layer("MaxUnpool2d", lambda: nn.MaxUnpool2d(2), lambda: (_randn(1, 2, 4, 4),),
          call=lambda m, x: m(*nn.functional.max_pool2d(x, 2, return_indices=True))),
    Layer("AvgPool1d", lambda: nn.AvgPool1d(3, stride=2, padding=1), lambda: (_randn(2, 2, 7),)),
    Layer("AvgPool2d", lambda: nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False),
          lambda: (_randn(1, 2, 5, 5),)),
    Layer("AvgPool3d", lambda: nn.AvgPool3d(2), lambda: (_randn(1, 1, 4, 4, 4),)),
    Layer("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), lambda: (_randn(2, 2, 7),)),
    Layer("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)),
          lambda: (_randn(1, 2, 5, 7),)),
    Layer("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d(2), lambda: (_randn(1, 1, 3, 4, 5),)),
    Layer("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(3, return_indices=True),
          lambda: (_randn(2, 2, 7),)),
    Layer("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d(2), lambda: (_randn(1, 2, 5, 5),)),
    Layer("Upsample nearest", lambda: nn.Upsample(scale_factor=2), lambda: (_randn(1, 2, 2, 3),)),
    Layer("Upsample bilinear", lambda: nn.Upsample(size=(3, 5), mode="bilinear",
                                                   align_corners=False),
          lambda: (_randn(1, 2, 2, 3),)),
    Layer("PixelShuffle", lambda: nn.PixelShuffle(2), lambda: (_randn(1, 8, 2, 3),)),
    Layer("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), lambda: (_randn(1, 2, 4, 2),)),
    Layer("Flatten", lambda: nn.Flatten(), lambda: (_randn(2, 3, 2),)),
    Layer("Unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: (_randn(2, 6),)),
    Layer("Unfold", lambda: nn.Unfold(2), lambda: (_randn(1, 2, 3, 3),)),
    Layer("Fold", lambda: nn.Fold((3, 3), 2), lambda: (_randn(1, 8, 4),)),
    Layer("CosineSimilarity", lambda: nn.CosineSimilarity(), lambda: (_randn(3, 4), _randn(3, 4))),
    Layer("PairwiseDistance", lambda: nn.PairwiseDistance(), lambda: (_randn(3, 4), _randn(3, 4))),
    Layer("Sequential", lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)),
          lambda: (_randn(5, 3),)),
]  # fmt: skip

# Every activation class, with the arguments it needs; the test below checks none is missing.
ACTIVATIONS = {
    "ReLU": nn.ReLU, "LeakyReLU": lambda: nn.LeakyReLU(0.2), "ELU": nn.ELU,
    "GELU": nn.GELU, "GELU tanh": lambda: nn.GELU("tanh"), "SiLU": nn.SiLU,
    "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Softplus": lambda: nn.Softplus(2.0, 1.0),
    "Softmax": lambda: nn.Softmax(dim=1), "LogSoftmax": lambda: nn.LogSoftmax(dim=1),
    "CELU": nn.CELU, "SELU": nn.SELU, "ReLU6": nn.ReLU6, "Hardtanh": nn.Hardtanh,
    "Hardsigmoid": nn.Hardsigmoid, "Hardswish": nn.Hardswish, "Mish": nn.Mish,
    "Softsign": nn.Softsign, "LogSigmoid": nn.LogSigmoid, "Tanhshrink": nn.Tanhshrink,
    "Threshold": lambda: nn.Threshold(0.1, 20.0), "Hardshrink": nn.Hardshrink,
    "Softshrink": nn.Softshrink, "PReLU": lambda: nn.PReLU(4), "RReLU": nn.RReLU,
    "RReLU eval": nn.RReLU, "GLU": nn.GLU, "Softmin": lambda: nn.Softmin(dim=1),
    "Softmax2d": nn.Softmax2d,
}  # fmt: skip
LAYERS += [
    Layer(
        f"activation {name}",
        build,
        lambda: (_randn(2, 4, 3, 2) * 3,),
        train=not name.endswith("eval"),
    )
    for name, build in ACTIVATIONS.items()
]

# Every loss class; targets are CPU tensors that do not require grad.
LOSSES = [
    ("MSELoss", nn.MSELoss, lambda: (_randn(3, 4), _randn(3, 4, requires_grad=False))),
    ("MSELoss sum", lambda: nn.MSELoss(reduction="sum"), lambda: (_randn(3, 4), _randn(3, 4))),
    ("L1Loss", nn.L1Loss, lambda: (_randn(3, 4), _randn(3, 4, requires_grad=False))),
    ("SmoothL1Loss", lambda: nn.SmoothL1Loss(beta=0.5),
     lambda: (_randn(3, 4), _randn(3, 4, requires_grad=False))),
    ("HuberLoss", lambda: nn.HuberLoss(reduction="none", delta=0.5),
     lambda: (_randn(3, 4), _randn(3, 4, requires_grad=False))),
    ("BCELoss", lambda: nn.BCELoss(weight=_rand(4)),
     lambda: (_rand(3, 4, requires_grad=True), _rand(3, 4))),
    ("BCEWithLogitsLoss", lambda: nn.BCEWithLogitsLoss(weight=_rand(4), pos_weight=_rand(4)),
     lambda: (_randn(3, 4), _rand(3, 4))),
    ("CrossEntropyLoss indices", nn.CrossEntropyLoss, lambda: (_randn(5, 4), _labels(4, 5))),
    ("CrossEntropyLoss weight ignore_index smoothing",
     lambda: nn.CrossEntropyLoss(weight=_rand(4) + 0.5, ignore_index=1, label_smoothing=0.1),
     lambda: (_randn(6, 4), tensorgrad.tensor([0, 1, 2, 3, 1, 2]))),
    ("CrossEntropyLoss probabilities", lambda: nn.CrossEntropyLoss(label_smoothing=0.2),
     lambda: (_randn(5, 4), tensorgrad.softmax(_randn(5, 4, requires_grad=False), dim=1))),
    ("CrossEntropyLoss spatial", lambda: nn.CrossEntropyLoss(reduction="none"),
     lambda: (_randn(2, 3, 2, 2), _labels(3, 2, 2, 2))),
    ("NLLLoss", lambda: nn.NLLLoss(weight=_rand(4) + 0.5, ignore_index=2),
     lambda: (_randn(6, 4), tensorgrad.tensor([0, 1, 2, 3, 1, 2]))),
    ("KLDivLoss", lambda: nn.KLDivLoss(reduction="batchmean"),
     lambda: (tensorgrad.log_softmax(_randn(3, 4), 1).detach().requires_grad_(),
              tensorgrad.softmax(_randn(3, 4, requires_grad=False), 1))),
    ("KLDivLoss log_target", lambda: nn.KLDivLoss(reduction="sum", log_target=True),
     lambda: (_randn(3, 4), _randn(3, 4, requires_grad=False))),
    ("PoissonNLLLoss", lambda: nn.PoissonNLLLoss(full=True),
     lambda: (_randn(3, 4), _rand(3, 4) * 4)),
    ("GaussianNLLLoss", lambda: nn.GaussianNLLLoss(full=True),
     lambda: (_randn(3, 4), _randn(3, 4, requires_grad=False), _rand(3, 4, requires_grad=True))),
    ("MarginRankingLoss", lambda: nn.MarginRankingLoss(0.1),
     lambda: (_randn(5), _randn(5), _signs(5))),
    ("HingeEmbeddingLoss", nn.HingeEmbeddingLoss, lambda: (_randn(5), _signs(5))),
    ("CosineEmbeddingLoss", lambda: nn.CosineEmbeddingLoss(0.2),
     lambda: (_randn(3, 4), _randn(3, 4), tensorgrad.tensor([1, -1, 1]))),
    ("MultiMarginLoss", lambda: nn.MultiMarginLoss(p=2, weight=_rand(4) + 0.5),
     lambda: (_randn(3, 4), _labels(4, 3))),
    ("MultiLabelSoftMarginLoss", lambda: nn.MultiLabelSoftMarginLoss(weight=_rand(4)),
     lambda: (_randn(3, 4), _labels(2, 3, 4).double())),
    ("TripletMarginLoss", lambda: nn.TripletMarginLoss(margin=0.5, swap=True),
     lambda: (_randn(3, 4), _randn(3, 4), _randn(3, 4))),
    ("SoftMarginLoss", nn.SoftMarginLoss,
     lambda: (_randn(3, 4), tensorgrad.sign(_randn(3, 4, requires_grad=False)))),
]  # fmt: skip
LAYERS += [Layer(f"loss {name}", build, inputs) for name, build, inputs in LOSSES]


def _weighted_sum(output):
    """Σ output · cos(element index): every element gets its own weight in the gradient."""
    weights = tensorgrad.arange(output.numel(), dtype=output.dtype, device=output.device)
    return (output * weights.reshape(output.shape).cos()).sum()


def _run_layer(case: Layer, module: nn.Module, inputs: tuple, where) -> dict:
    """Forward and backward of ``module`` (moved to ``where``) on ``inputs``; host arrays."""
    module = copy.deepcopy(module).to(where).train(case.train)
    _on_device(list(module.parameters()) + list(module.buffers()), where, "a moved tensor")
    moved = [_move(x, where) for x in inputs]
    tensorgrad.manual_seed(1)  # the forward's random numbers: the same on every device
    outputs = tensors_in(case.call(module, *moved))
    _on_device(outputs, where, f"{case.name}: an output")
    leaves = [x for x in tensors_in(moved) if x.requires_grad]
    floats = [o for o in outputs if o.requires_grad]
    if floats:
        sum(_weighted_sum(o) for o in floats).backward()
    grads = [p.grad for p in module.parameters()] + [x.grad for x in leaves]
    _on_device([g for g in grads if g is not None], where, f"{case.name}: a gradient")
    _on_device(list(module.buffers()), where, f"{case.name}: a buffer")
    return {
        "output": [_host(o) for o in outputs],
        "gradient": [_host(g) for g in grads],
        "buffer": [_host(b) for b in module.buffers()],
    }


@pytest.mark.parametrize("case", LAYERS, ids=[case.name for case in LAYERS])
def test_layer_on_the_device_equals_the_cpu(case: Layer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer, enable_nested_tensor...
        module = case.build().double()
        inputs = case.inputs()
        expected = _run_layer(case, module, inputs, CPU)
        actual = _run_layer(case, module, inputs, STRICT)
    for what in expected:
        _assert_same(expected[what], actual[what], f"{case.name}: {what}")


def _loss_gradients(loss_module: nn.Module, inputs: tuple, where) -> list:
    """A loss's value, gradients and (where the gradients depend on the inputs: not for the
    piecewise-linear losses) second gradients, of the gradients' squared norm."""
    moved = [_move(x, where) for x in inputs]
    leaves = [x for x in moved if x.requires_grad]
    loss = copy.deepcopy(loss_module).to(where)(*moved).sum()
    grads = tensorgrad.autograd.grad(loss, leaves, create_graph=True)
    curved = [g for g in grads if g.requires_grad]
    again = ()
    if curved:
        again = tensorgrad.autograd.grad(sum((g * g).sum() for g in curved), leaves,
                                         allow_unused=True)  # fmt: skip
    results = [loss, *grads, *again]
    _on_device([t for t in results if t is not None], where, "a loss or gradient")
    return [_host(t) for t in results]


@pytest.mark.parametrize("name, build, inputs", LOSSES, ids=[row[0] for row in LOSSES])
def test_loss_second_derivative_on_the_device_equals_the_cpu(name, build, inputs):
    loss_module, arguments = build().double(), inputs()
    expected = _loss_gradients(loss_module, arguments, CPU)
    _assert_same(expected, _loss_gradients(loss_module, arguments, STRICT), name)


def test_the_tables_cover_every_activation_and_loss():
    names = {
        case.name.split()[1] for case in LAYERS if case.name.startswith(("activation", "loss"))
    }
    classes = set(activation_module.__all__) | set(loss_module.__all__)
    assert classes - names == set()


def test_dropout_draws_the_same_mask_on_every_device():
    x = tensorgrad.ones(1000, dtype=tensorgrad.float64)
    masks = []
    for where in DEVICES:
        tensorgrad.manual_seed(7)
        masks.append(_host(nn.functional.dropout(x.to(where), 0.3)))
    np.testing.assert_array_equal(masks[0], masks[1])
    assert 200 < (masks[0] == 0).sum() < 400  # a real mask, not all ones


def test_a_leaf_that_requires_grad_moves_and_gets_its_gradient_back():
    x = tensorgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    moved = x.to("strict")
    assert moved.device == STRICT and moved.requires_grad and not moved.is_leaf
    (moved * moved).sum().backward()
    assert x.grad.device == CPU
    np.testing.assert_array_equal(_host(x.grad), [2.0, 4.0, 6.0])


BUILT_ON_A_DEVICE = {
    "Linear": lambda **kw: nn.Linear(3, 2, **kw),
    "Conv2d": lambda **kw: nn.Conv2d(2, 3, 3, **kw),
    "ConvTranspose1d": lambda **kw: nn.ConvTranspose1d(2, 3, 3, **kw),
    "BatchNorm1d": lambda **kw: nn.BatchNorm1d(3, **kw),
    "LayerNorm": lambda **kw: nn.LayerNorm(4, **kw),
    "GroupNorm": lambda **kw: nn.GroupNorm(2, 4, **kw),
    "Embedding": lambda **kw: nn.Embedding(5, 3, padding_idx=1, **kw),
    "LSTM": lambda **kw: nn.LSTM(3, 4, num_layers=2, proj_size=2, **kw),
    "GRUCell": lambda **kw: nn.GRUCell(3, 4, **kw),
    "PReLU": lambda **kw: nn.PReLU(3, **kw),
    "MultiheadAttention": lambda **kw: nn.MultiheadAttention(4, 2, kdim=3, vdim=2,
                                                             add_bias_kv=True, **kw),
    "Transformer": lambda **kw: nn.Transformer(4, 2, 1, 1, 8, **kw),
}  # fmt: skip


@pytest.mark.parametrize("name", BUILT_ON_A_DEVICE)
def test_a_module_built_on_the_device_equals_one_built_on_the_cpu(name):
    """``device=`` at construction: the initial weights are drawn on the host, so a seed
    gives the same module on every device."""
    states = []
    for where in DEVICES:
        tensorgrad.manual_seed(11)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = BUILT_ON_A_DEVICE[name](device=where)
        state = module.state_dict()
        _on_device(state.values(), where, "a parameter or buffer")
        states.append({key: _host(value) for key, value in state.items()})
    assert list(states[0]) == list(states[1])
    _assert_same(list(states[0].values()), list(states[1].values()), "initial state", exact=True)


def test_module_moves_with_its_buffers_and_back():
    module = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    weight = module[0].weight
    moved = module.to("strict")
    assert moved is module and module[0].weight is weight  # in place, as PyTorch's
    _on_device(list(module.parameters()) + list(module.buffers()), STRICT, "a moved tensor")
    assert module.cpu()[1].running_mean.device == CPU


# ----------------------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1),
    "SGD momentum dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
    "SGD nesterov weight_decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                                     weight_decay=0.01),
    "SGD maximize": lambda p: optim.SGD(p, lr=0.01, momentum=0.5, maximize=True),
    "Adam": lambda p: optim.Adam(p, lr=0.01),
    "Adam amsgrad weight_decay": lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01),
    "AdamW amsgrad": lambda p: optim.AdamW(p, lr=0.01, amsgrad=True),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01),
    "RMSprop centered momentum": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.9,
                                                         weight_decay=0.01),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                       initial_accumulator_value=0.1),
    "Adadelta": lambda p: optim.Adadelta(p, lr=1.0, weight_decay=0.01),
    "Adamax": lambda p: optim.Adamax(p, lr=0.01, weight_decay=0.01),
    "NAdam": lambda p: optim.NAdam(p, lr=0.01),
    "NAdam decoupled": lambda p: optim.NAdam(p, lr=0.01, weight_decay=0.1,
                                             decoupled_weight_decay=True),
    "RAdam": lambda p: optim.RAdam(p, lr=0.01),
    "RAdam decoupled": lambda p: optim.RAdam(p, lr=0.01, weight_decay=0.1,
                                             decoupled_weight_decay=True),
    "ASGD": lambda p: optim.ASGD(p, lr=0.01, t0=2),
    "Rprop": lambda p: optim.Rprop(p, lr=0.01),
    "LBFGS": lambda p: optim.LBFGS(p, lr=0.5, max_iter=4, history_size=3),
    "LBFGS strong_wolfe": lambda p: optim.LBFGS(p, max_iter=4, line_search_fn="strong_wolfe"),
}  # fmt: skip
_OPTIMIZER_NAMES = set(optim.__all__) - {"Optimizer", "lr_scheduler"}


def _model_and_data():
    tensorgrad.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    return model, _randn(6, 3, requires_grad=False), _randn(6, 2, requires_grad=False)


def _train(model, make_optimizer, x, y, steps: int, schedulers=()):
    """``steps`` optimizer steps of ``model`` on the MSE of (x, y), on their device."""
    optimizer = make_optimizer(model.parameters())
    made = [make(optimizer) for make in schedulers]
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    for _ in range(steps):
        loss = optimizer.step(closure)
        losses.append(float(loss))
        for scheduler in made:
            if isinstance(scheduler, optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(loss)  # a device tensor, as users pass it
            else:
                scheduler.step()
    return optimizer, losses


def _statetensors_in(optimizer) -> list:
    return [t for state in optimizer.state.values() for t in tensors_in(list(state.values()))]


def _check_state_placement(optimizer, where, on_host=("step", "mu_product")) -> None:
    """Shaped states on the parameters' device; the 0-d counters in ``on_host`` on the CPU, as
    PyTorch keeps them (but ASGD's, which PyTorch keeps on the device). ``on_host`` None: after
    ``load_state_dict``, which moves every state to its parameter's device but ``step``."""
    if isinstance(optimizer, optim.ASGD) and on_host is not None:
        on_host = ()
    for state in optimizer.state.values():
        for key, value in state.items():
            if on_host is None and key == "step":
                continue
            for tensor in tensors_in(value):
                expected = CPU if on_host and key in on_host else where
                assert tensor.device == expected, f"state {key!r} on {tensor.device}"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_on_the_device_equals_the_cpu(name):
    results = {}
    for where in DEVICES:
        model, x, y = _model_and_data()
        model.to(where)
        optimizer, losses = _train(model, OPTIMIZERS[name], x.to(where), y.to(where), 5)
        _on_device(model.parameters(), where, "a parameter")
        _check_state_placement(optimizer, where)
        results[where] = (
            losses,
            [_host(p) for p in model.parameters()],
            [_host(t) for t in _statetensors_in(optimizer)],
        )
    (cpu_losses, *cpu_arrays), (device_losses, *device_arrays) = results.values()
    np.testing.assert_allclose(device_losses, cpu_losses, rtol=1e-12)
    _assert_same(cpu_arrays[0], device_arrays[0], f"{name}: parameter")
    _assert_same(cpu_arrays[1], device_arrays[1], f"{name}: state")


def test_the_optimizer_table_covers_every_optimizer():
    assert _OPTIMIZER_NAMES - {name.split()[0] for name in OPTIMIZERS} == set()


@pytest.mark.parametrize(
    "name",
    [
        "SGD momentum dampening",
        "Adam amsgrad weight_decay",
        "RMSprop centered momentum",
        "NAdam",
        "ASGD",
        "LBFGS",
    ],
)
def test_optimizer_state_dict_round_trip_on_the_device(name):
    model, x, y = _model_and_data()
    x, y = x.to("strict"), y.to("strict")
    model.to("strict")
    optimizer, _ = _train(model, OPTIMIZERS[name], x, y, 3)
    saved = optimizer.state_dict()
    twin = copy.deepcopy(model)
    for resumed_from in (saved, _to_cpu(saved)):  # a checkpoint loaded with map_location="cpu"
        resumed = copy.deepcopy(twin)
        again = OPTIMIZERS[name](resumed.parameters())
        again.load_state_dict(resumed_from)
        _check_state_placement(again, STRICT, on_host=None)
        # Loading casts states to their parameter's dtype (ASGD's float32 eta becomes float64).
        _assert_same(
            [_host(t).astype("float64") for t in _statetensors_in(optimizer)],
            [_host(t).astype("float64") for t in _statetensors_in(again)],
            f"{name}: loaded state",
        )
        expected, actual = copy.deepcopy(model), resumed
        for net, opt in ((expected, _reattach(optimizer, model, expected)), (actual, again)):
            _train_more(net, opt, x, y)
        _assert_same(
            [_host(p) for p in expected.parameters()],
            [_host(p) for p in actual.parameters()],
            f"{name}: after resuming",
        )


def _to_cpu(value):
    if isinstance(value, tensorgrad.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(item) for item in value)
    return value


def _reattach(optimizer, model, copied):
    """A copy of ``optimizer`` driving ``copied`` (a deep copy of ``model``)."""
    twin = type(optimizer)(
        copied.parameters(),
        **{key: value for key, value in optimizer.defaults.items() if key != "params"},
    )
    twin.load_state_dict(optimizer.state_dict())
    return twin


def _train_more(model, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    optimizer.step(closure)


SCHEDULERS = {
    "StepLR": lambda o: optim.lr_scheduler.StepLR(o, 2, gamma=0.5),
    "CosineAnnealingLR": lambda o: optim.lr_scheduler.CosineAnnealingLR(o, 4),
    "OneCycleLR": lambda o: optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=6),
    "ReduceLROnPlateau": lambda o: optim.lr_scheduler.ReduceLROnPlateau(
        o, patience=0, threshold=10.0
    ),
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_lr_scheduler_on_the_device_equals_the_cpu(name):
    results = []
    for where in DEVICES:
        model, x, y = _model_and_data()
        model.to(where)
        optimizer, losses = _train(
            model,
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
            x.to(where),
            y.to(where),
            5,
            schedulers=[SCHEDULERS[name]],
        )
        results.append((optimizer.param_groups[0]["lr"], [_host(p) for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    _assert_same(results[0][1], results[1][1], f"{name}: parameter")


# ------------------------------------------------------------------------------- nn.utils
def _model_with_grads(where):
    model, x, y = _model_and_data()
    model.to(where)
    nn.functional.mse_loss(model(x.to(where)), y.to(where)).backward()
    return model


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_on_the_device(norm_type):
    results = []
    for where in DEVICES:
        model = _model_with_grads(where)
        total = nn.utils.clip_grad_norm_(model.parameters(), 0.1, norm_type=norm_type)
        assert total.device == where
        _on_device([p.grad for p in model.parameters()], where, "a clipped gradient")
        results.append([_host(total)] + [_host(p.grad) for p in model.parameters()])
    _assert_same(results[0], results[1], "clip_grad_norm_")
    assert results[0][0] > 0.1  # it clipped


def test_clip_grad_value_on_the_device():
    results = []
    for where in DEVICES:
        model = _model_with_grads(where)
        nn.utils.clip_grad_value_(model.parameters(), 0.05)
        results.append([_host(p.grad) for p in model.parameters()])
    _assert_same(results[0], results[1], "clip_grad_value_")
    assert max(abs(g).max() for g in results[1]) == 0.05


def test_parameters_to_vector_and_back_on_the_device():
    model = _model_with_grads("strict")
    vector = nn.utils.parameters_to_vector(model.parameters())
    assert vector.device == STRICT and vector.shape == (sum(p.numel() for p in model.parameters()),)
    expected = np.concatenate([_host(p).ravel() for p in model.parameters()])
    np.testing.assert_array_equal(_host(vector), expected)
    nn.utils.vector_to_parameters(vector * 2, model.parameters())
    _on_device(model.parameters(), STRICT, "a parameter")
    got = np.concatenate([_host(p).ravel() for p in model.parameters()])
    np.testing.assert_array_equal(got, expected * 2)


def test_rnn_padding_utilities_on_the_device():
    sequences = [_randn(3, 2), _randn(1, 2), _randn(2, 2)]
    results = []
    for where in DEVICES:
        moved = [_move(s, where) for s in sequences]
        padded = rnn_utils.pad_sequence(moved, batch_first=True, padding_value=-1.0)
        packed = rnn_utils.pack_sequence(moved, enforce_sorted=False)
        assert packed.batch_sizes.device == CPU  # as in PyTorch
        _on_device([packed.data, packed.sorted_indices, packed.unsorted_indices], where, "packed")
        unpacked, lengths = rnn_utils.pad_packed_sequence(packed, total_length=4)
        assert lengths.device == CPU
        pieces = rnn_utils.unpad_sequence(padded, tensorgrad.tensor([3, 1, 2]), batch_first=True)
        again = rnn_utils.unpack_sequence(packed)
        outputs = [padded, packed.data, unpacked, *pieces, *again]
        _on_device(outputs, where, "a padded or packed tensor")
        (padded.sum() + unpacked.sum() * 2).backward()
        results.append([_host(o) for o in outputs] + [_host(s.grad) for s in moved])
    _assert_same(results[0], results[1], "rnn utilities", exact=True)


# ---------------------------------------------------------------------------- DataLoader
def test_dataloader_pin_memory_warns_without_an_accelerator_and_batches_move():
    dataset = TensorDataset(tensorgrad.arange(10.0).reshape(5, 2), tensorgrad.arange(5))
    loader = DataLoader(dataset, batch_size=2, pin_memory=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batches = list(loader)
    warned = any("no accelerator is found" in str(w.message) for w in caught)
    assert warned != tensorgrad.accelerator.is_available()  # PyTorch's condition
    assert [tuple(x.shape) for x, _ in batches] == [(2, 2), (2, 2), (1, 2)]
    assert all(not x.is_pinned() for x, _ in batches)
    x, y = batches[1]
    x, y = x.to("strict"), y.to("strict", non_blocking=True)
    assert (x.device, y.device) == (STRICT, STRICT)
    np.testing.assert_array_equal(_host(x), [[4.0, 5.0], [6.0, 7.0]])
    np.testing.assert_array_equal(_host(y), [2, 3])


# -------------------------------------------------------------------------- save and load
def _device_module():
    tensorgrad.manual_seed(5)
    module = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to("strict")
    module(tensorgrad.randn(4, 3, device="strict"))  # non-default running stats
    return module


def test_save_writes_host_data_and_load_restores_the_saved_device(tmp_path):
    module = _device_module()
    state = module.state_dict()
    path = tmp_path / "model.safetensors"
    tensorgrad.save(state, path)
    expected = {key: _host(value) for key, value in state.items()}

    from safetensors.numpy import load_file  # the file holds plain host arrays

    on_disk = load_file(str(path))
    assert sorted(on_disk) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(on_disk[key], expected[key])

    for map_location, where in (
        (None, STRICT),
        ("cpu", CPU),
        ("strict", STRICT),
        (STRICT, STRICT),
        (CPU, CPU),
        ({"strict:0": "cpu"}, CPU),
        (lambda tensor, location: None, STRICT),
        (lambda tensor, location: tensor, CPU),
    ):
        loaded = tensorgrad.load(path, map_location=map_location)
        assert list(loaded) == list(expected)
        for key, value in loaded.items():
            assert value.device == where, f"{map_location!r}: {key} on {value.device}"
            np.testing.assert_array_equal(_host(value), expected[key])


def test_a_file_saved_on_a_device_missing_here_needs_map_location(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    path = tmp_path / "from_mps.safetensors"
    tensorgrad.save({"w": tensorgrad.arange(3.0, device="strict")}, path)
    with safe_open(str(path), "np") as f:  # as if saved on an Apple GPU
        arrays, metadata = {"w": f.get_tensor("w")}, f.metadata()
    assert '"location": "strict:0"' in metadata["tensorgrad.tree"]
    metadata["tensorgrad.tree"] = metadata["tensorgrad.tree"].replace("strict:0", "mps:0")
    save_file(arrays, str(path), metadata=metadata)
    with pytest.raises(RuntimeError, match="saved on 'mps:0'.*map_location='cpu'"):
        tensorgrad.load(path)
    assert tensorgrad.load(path, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0]
    assert tensorgrad.load(path, map_location={"mps:0": "strict"})["w"].device == STRICT
    seen = []
    loaded = tensorgrad.load(path, map_location=lambda t, location: seen.append(location) or t)
    assert seen == ["mps:0"] and loaded["w"].device == CPU


def test_load_of_a_cpu_file_onto_the_device(tmp_path):
    path = tmp_path / "cpu.safetensors"
    tensorgrad.save({"w": tensorgrad.arange(3.0)}, path)
    assert tensorgrad.load(path)["w"].device == CPU
    loaded = tensorgrad.load(path, map_location="strict")
    assert loaded["w"].device == STRICT
    np.testing.assert_array_equal(_host(loaded["w"]), [0.0, 1.0, 2.0])
    assert tensorgrad.load(path, map_location={"cpu": "strict"})["w"].device == STRICT


def test_a_checkpoint_with_an_optimizer_round_trips_on_the_device(tmp_path):
    model, x, y = _model_and_data()
    model.to("strict")
    optimizer, _ = _train(model, OPTIMIZERS["Adam"], x.to("strict"), y.to("strict"), 2)
    path = tmp_path / "checkpoint.safetensors"
    tensorgrad.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 2}, path
    )
    loaded = tensorgrad.load(path)
    assert loaded["epoch"] == 2
    _on_device(tensors_in(list(loaded["model"].values())), STRICT, "a loaded weight")
    states = loaded["optimizer"]["state"]
    assert states[0]["step"].device == CPU and states[0]["exp_avg"].device == STRICT
    on_cpu = tensorgrad.load(path, map_location="cpu")
    _on_device(tensors_in(list(on_cpu["optimizer"]["state"][0].values())), CPU, "a state")


def test_load_state_dict_copies_onto_the_module_device():
    source = _device_module()
    cpu_state = {key: value.cpu() for key, value in source.state_dict().items()}
    target = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to("strict")
    weight = target[0].weight
    target.load_state_dict(cpu_state)
    assert target[0].weight is weight  # copied into, as param.copy_ does
    _on_device(list(target.parameters()) + list(target.buffers()), STRICT, "a loaded tensor")
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(_host(value), _host(cpu_state[key]))
    back = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    back.load_state_dict(source.state_dict())  # device state into a CPU module
    _on_device(list(back.parameters()), CPU, "a loaded parameter")


# ---------------------------------------------------------------------------- training
@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: optim.Adam(p, lr=1e-2),
    ],
    ids=["SGD", "Adam"],
)
def test_mlp_trained_on_the_device_equals_the_cpu_bit_for_bit(make_optimizer):
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = tensorgrad.tensor(digits.data[:256] / 16.0, dtype=tensorgrad.float32)
    labels = tensorgrad.tensor(digits.target[:256])
    results = []
    for where in DEVICES:
        tensorgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 30), nn.ReLU(), nn.Dropout(0.1), nn.Linear(30, 10)).to(
            where
        )
        optimizer = make_optimizer(model.parameters())
        x, y = images.to(where), labels.to(where)
        losses = []
        for step in range(20):
            batch = slice(step * 32 % 256, step * 32 % 256 + 32)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        _on_device(model.parameters(), where, "a trained parameter")
        results.append((losses, [_host(p) for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    assert results[0][0][-1] < results[0][0][0]
    _assert_same(results[0][1], results[1][1], "trained parameter", exact=True)
