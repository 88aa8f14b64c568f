"""ONNX export: what ONNX Runtime computes from the exported file is what tensorgrad computes.

Every case exports a model, checks the file with ``onnx.checker`` (full check: strict shape
and type inference), runs it in ONNX Runtime on the export's inputs and on inputs of another
size along the dynamic axes, and compares with tensorgrad (float32, rtol and atol 1e-4).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_table import OPS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import tensorgrad as tg  # noqa: E402
import tensorgrad.nn.functional as F  # noqa: E402
from tensorgrad import nn  # noqa: E402
from tensorgrad.onnx import (  # noqa: E402
    OnnxExporterError,
    TrainingMode,
    UnsupportedOperatorError,
    export,
)

BATCH = {0: "batch"}


# ---------------------------------------------------------------------- helpers
def _tensors(value) -> list:
    if isinstance(value, tg.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return []


def exported(model, args, **options) -> bytes:
    """The model exported to bytes, after ``onnx.checker`` accepted it."""
    buffer = io.BytesIO()
    export(model, args, buffer, **options)
    data = buffer.getvalue()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    return data


def session(data: bytes):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def run_onnx(data: bytes, args) -> list:
    runner = session(data)
    names = [i.name for i in runner.get_inputs()]
    return runner.run(None, dict(zip(names, (t.numpy() for t in _tensors(args)))))


def expected(model, args) -> list:
    if hasattr(model, "eval"):
        model.eval()
    with tg.no_grad():
        return [t.numpy() for t in _tensors(model(*(args if isinstance(args, tuple) else (args,))))]


def assert_same(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs):
        assert mine.shape == other.shape and mine.dtype == other.dtype
        np.testing.assert_allclose(other, mine, rtol=1e-4, atol=1e-4)


def assert_exports(model, args, *others, **options) -> bytes:
    """Export with ``args``; ONNX Runtime agrees with tensorgrad on ``args`` and ``others``."""
    data = exported(model, args, **options)
    for inputs in (args, *others):
        assert_same(expected(model, inputs), run_onnx(data, inputs))
    return data


class Call(nn.Module):
    """A module around a function of tensors (the op cases)."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, *inputs):
        return self.function(*inputs)


# ---------------------------------------------------------------------- each layer alone
def _rows(batch: int) -> tg.Tensor:
    return tg.randn(batch, 6)


def _images(batch: int) -> tg.Tensor:
    return tg.randn(batch, 3, 8, 8)


def _signals(batch: int) -> tg.Tensor:
    return tg.randn(batch, 3, 9)


def _tokens(batch: int) -> tg.Tensor:
    return tg.randint(0, 10, (batch, 4))


LAYERS = {  # name: (layer, example input of a given batch size)
    "Linear": (lambda: nn.Linear(6, 4), _rows),
    "Identity": (nn.Identity, _rows),
    "Dropout": (lambda: nn.Dropout(0.5), _rows),
    "ReLU": (nn.ReLU, _rows),
    "ReLU(inplace)": (lambda: nn.ReLU(inplace=True), _rows),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), _rows),
    "ELU": (nn.ELU, _rows),
    "SELU": (nn.SELU, _rows),
    "CELU": (nn.CELU, _rows),
    "GELU": (nn.GELU, _rows),
    "GELU(tanh)": (lambda: nn.GELU(approximate="tanh"), _rows),
    "SiLU": (nn.SiLU, _rows),
    "Mish": (nn.Mish, _rows),
    "Softplus": (nn.Softplus, _rows),
    "Softsign": (nn.Softsign, _rows),
    "Hardtanh": (nn.Hardtanh, _rows),
    "ReLU6": (nn.ReLU6, _rows),
    "Hardswish": (nn.Hardswish, _rows),
    "Hardsigmoid": (nn.Hardsigmoid, _rows),
    "PReLU": (nn.PReLU, _rows),
    "Sigmoid": (nn.Sigmoid, _rows),
    "Tanh": (nn.Tanh, _rows),
    "Tanhshrink": (nn.Tanhshrink, _rows),
    "LogSigmoid": (nn.LogSigmoid, _rows),
    "Threshold": (lambda: nn.Threshold(0.1, 20.0), _rows),
    "Softmax": (lambda: nn.Softmax(-1), _rows),
    "LogSoftmax": (lambda: nn.LogSoftmax(1), _rows),
    "Softmin": (lambda: nn.Softmin(-1), _rows),
    "LayerNorm": (lambda: nn.LayerNorm(6), _rows),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(6), _rows),
    "Flatten": (nn.Flatten, _images),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), _rows),
    "Embedding": (lambda: nn.Embedding(10, 5), _tokens),
    "Embedding(padding_idx)": (lambda: nn.Embedding(10, 5, padding_idx=0), _tokens),
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), _signals),
    "Conv2d": (lambda: nn.Conv2d(3, 4, 3, padding=1), _images),
    "Conv2d(groups, dilation, same)": (
        lambda: nn.Conv2d(3, 6, 3, groups=3, dilation=2, padding="same"),
        _images,
    ),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2), _signals),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2), _images),
    "ConvTranspose2d(output_padding)": (
        lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
        _images,
    ),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), _signals),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), _images),
    "MaxPool2d(padding)": (lambda: nn.MaxPool2d(3, 2, 1), _images),
    "MaxPool2d(ceil_mode)": (lambda: nn.MaxPool2d(3, 2, ceil_mode=True), _images),
    "AvgPool2d": (lambda: nn.AvgPool2d(3, 2, 1), _images),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((3, 3)), _images),
    "AdaptiveAvgPool2d(1)": (lambda: nn.AdaptiveAvgPool2d(1), _images),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(2), _images),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), _images),
    "GroupNorm": (lambda: nn.GroupNorm(1, 3), _images),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3), _images),
    "Upsample": (lambda: nn.Upsample(scale_factor=2), _images),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), lambda b: tg.randn(b, 4, 2, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_exports_with_a_dynamic_batch(name):
    layer, example = LAYERS[name]
    assert_exports(
        layer(),
        example(2),
        example(5),
        input_names=["input"],
        dynamic_axes={"input": BATCH, "output": BATCH},
    )


# ---------------------------------------------------------------------- tensor ops
def _written(x, y):
    y = x.clone()
    y[:, 1:3] = 0.5
    y[:, 0] = x[:, 3]
    return y


def _updated(x, y):
    z = x.clone()
    z.add_(y)
    z.mul_(2)
    z.clamp_(-1, 1)
    return z.masked_fill_(z > 0.5, 0.25)


def _made_then_updated(x, y):  # constants from Python values, changed in place afterwards
    shift = tg.tensor([0.0, 1.0, 2.0, 3.0])
    shift.add_(1)
    ramp = tg.arange(4.0)
    ramp[1] = 5.0
    return x + shift * ramp


TENSOR_OPS = {  # name: f(x, y), x and y of shape (batch, 4)
    "arithmetic": lambda x, y: x + y - x * y / (y.abs() + 1) + 2 - 1 / (1 + x * x),
    "powers": lambda x, y: x**2 + x.pow(3) + 2**x + (x.abs() + 1) ** y + x.square(),
    "exp-log": lambda x, y: (-x).exp() + (x.abs() + 1).log() + x.abs().log1p() + x.expm1(),
    "roots": lambda x, y: (x.abs() + 1).sqrt() + (x.abs() + 1).rsqrt() + x.exp2(),
    "trigonometry": lambda x, y: x.sin() + x.cos() + x.atan() + tg.atan2(x, y) + x.sinh(),
    "activations": lambda x, y: x.tanh() + x.sigmoid() + x.relu() + tg.erf(x) + x.sign(),
    "softmax": lambda x, y: x.softmax(-1) + F.log_softmax(x, dim=1) + x.logsumexp(1, True),
    "reshape-view-flatten": lambda x, y: x.reshape(-1, 2, 2).view(x.shape[0], 4).flatten(),
    "transpose-permute": lambda x, y: x[:, :, None].permute(2, 0, 1).transpose(1, 2).mT,
    "unsqueeze-squeeze": lambda x, y: x.unsqueeze(0).unsqueeze(-1).squeeze(0).squeeze(-1),
    "cat-stack": lambda x, y: tg.cat([x, y], 1) + tg.stack([x, y], 0).sum(0).repeat(1, 2),
    "slicing": lambda x, y: x[:, 1:3] + x[..., None][:, :2, 0] + x[:, ::-1][:, 1:3],
    "getitem-int": lambda x, y: x[:, -1] + x[:, 0] + x[:, ::2].sum(1),
    "integer-array-index": lambda x, y: x[:, tg.tensor([2, 0])] + x[:, [1, 1]],
    "sum-mean": lambda x, y: x.sum(1) + x.mean(1) + x.sum() + x.mean(dim=(0, 1), keepdim=True)[0],
    "mean-over-batch": lambda x, y: x - x.mean(0, keepdim=True),
    "max-min-amax": lambda x, y: x.max(1).values + x.min(1).values + x.amax(1) + x.max(),
    "argmax-argmin": lambda x, y: x.argmax(1).float() + x.argmin(1).float(),
    "clamp": lambda x, y: x.clamp(-1, 1) + x.clamp(min=0) + x.clamp(min=y),
    "where-comparisons": lambda x, y: (
        tg.where(x > 0, x, -y)
        + (x < y).float()
        + (x >= 0).to(tg.float32) * (x <= y).float()
        + (x == y).float()
        + (x != y).float()
    ),
    "logical": lambda x, y: ((x > 0) & (y < 1)).float() + ((x > 0) | ~(y > 0)).float(),
    "masked_fill": lambda x, y: x.masked_fill(x > 0, 0.5),
    "matmul": lambda x, y: x @ y.t() + x.mm(y.t()) + tg.bmm(x[:, None], y[:, :, None])[:, 0],
    "einsum": lambda x, y: tg.einsum("ij,ij->i", x, y),
    "maximum-minimum": lambda x, y: tg.maximum(x, y) + tg.minimum(x, y),
    "var-std-norm": lambda x, y: x.var(1) + x.std(1) + x.norm(dim=1) + F.normalize(x, dim=1)[:, 0],
    "expand": lambda x, y: x[:, None].expand(x.shape[0], 2, 4).sum(1),
    "chunk-split-unbind": lambda x, y: x.chunk(2, 1)[1] + x.split([1, 3], 1)[1][:, 1:],
    "topk-sort": lambda x, y: x.topk(2, 1).values.sum(1) + x.sort(1).values[:, 0],
    "cumsum-flip-roll": lambda x, y: x.cumsum(1) + x.flip(1) + x.roll(1, 1),
    "rounding": lambda x, y: (3 * x).floor() + (3 * x).round() + (3 * x).ceil() + (3 * x).trunc(),
    "floor-divide-remainder": lambda x, y: x // 0.5 + x % 0.3,
    "pad": lambda x, y: F.pad(x, (1, 2)) + F.pad(x, (2, 1), value=3.0),
    "gather-index_select": lambda x, y: (
        x.gather(1, (tg.arange(x.shape[0]) % 4)[:, None])
        + x.index_select(1, tg.tensor([2, 0]))[:, :1]
    ),
    "factories": lambda x, y: (
        x
        + tg.zeros_like(x)
        + tg.ones(x.shape[0], 4)
        + tg.full((x.shape[0], 4), 2.0)
        + tg.arange(4)
        + tg.arange(x.shape[0])[:, None]
    ),
    "tril-triu": lambda x, y: x.tril() + x.triu(1),
    "cast": lambda x, y: (10 * x).long().float() + (x > 0).sum(1, keepdim=True),
    "nan_to_num-isnan": lambda x, y: tg.nan_to_num(x / (x - x)) + tg.isnan(x).float(),
    "setitem": _written,
    "in-place-updates": _updated,
    "constants-updated-in-place": _made_then_updated,
}


@pytest.mark.parametrize("name", list(TENSOR_OPS))
def test_tensor_ops_export_with_a_dynamic_batch(name):
    model = Call(TENSOR_OPS[name])
    assert_exports(
        model,
        (tg.randn(3, 4), tg.randn(3, 4)),
        (tg.randn(5, 4), tg.randn(5, 4)),
        input_names=["x", "y"],
        dynamic_axes={"x": BATCH, "y": BATCH},
    )


# The ops of the table that ONNX export may refuse (for some inputs or all): they must then
# raise OnnxExporterError; every other op must export and agree.
NOT_EXPORTED = {
    "erfinv", "getitem_mixed", "getitem_mask", "adaptive_max_pool2d", "linalg_inv", "inverse",
    "linalg_det", "linalg_slogdet", "logdet", "linalg_solve", "linalg_cholesky", "linalg_qr",
    "linalg_eigh", "linalg_eigvalsh", "linalg_svd", "linalg_svdvals", "linalg_matrix_norm_svd",
    "cumprod", "cummax", "cummin", "logcumsumexp", "scatter", "scatter_value", "scatter_add",
    "scatter_reduce_sum", "scatter_reduce_prod", "scatter_reduce_mean", "scatter_reduce_amax",
    "scatter_reduce_amin", "index_add", "index_copy", "index_fill", "masked_scatter", "diag",
    "diagonal", "diag_embed", "trace",
}  # fmt: skip


@pytest.mark.parametrize("spec", OPS, ids=[spec.name for spec in OPS])
@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_op_of_the_table_exports_or_says_which_op_it_cannot(spec, data):
    tensors, params = data.draw(spec.case)
    tensors = tuple(t.detach().float() if t.is_floating_point() else t.detach() for t in tensors)
    model = Call(spec.bind(tg, params))
    try:
        data = exported(model, tensors)
    except OnnxExporterError as error:
        assert spec.name in NOT_EXPORTED, f"{spec.name}: {error}"
        assert str(error).startswith("onnx.export: ")
        return
    assert_same(expected(model, tensors), run_onnx(data, tensors))


# ---------------------------------------------------------------------- a model of each family
def test_mlp():
    model = nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)
    )
    data = assert_exports(
        model, tg.randn(4, 8), tg.randn(1, 8), tg.randn(9, 8),
        dynamic_axes={"input": BATCH, "output": BATCH},
    )  # fmt: skip
    graph = onnx.load_from_string(data).graph
    assert [node.op_type for node in graph.node] == ["Gemm", "Relu", "Gemm", "Tanh", "Gemm"]
    assert {t.name for t in graph.initializer} == {n for n, _ in model.named_parameters()}
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_cnn_with_batchnorm_pooling_dropout_flatten():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
        nn.Dropout(0.3), nn.Flatten(), nn.Linear(8 * 2 * 2, 10),
    )  # fmt: skip
    with tg.no_grad():  # running statistics that are not the initial 0 and 1
        for layer in (model[1], model[5]):
            layer.running_mean.copy_(tg.randn(8) * 0.1)
            layer.running_var.copy_(tg.rand(8) + 0.5)
    model.train()
    options = {"dynamic_axes": {"input": BATCH, "output": BATCH}}
    exported(model, tg.randn(2, 1, 8, 8), **options)
    assert model.training  # exported in eval mode, handed back in its own mode
    assert_exports(model, tg.randn(2, 1, 8, 8), tg.randn(7, 1, 8, 8), **options)


def test_convolutional_autoencoder_with_conv_transpose():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
    )  # fmt: skip
    assert_exports(
        model, tg.randn(2, 1, 8, 8), tg.randn(3, 1, 8, 8),
        dynamic_axes={"input": BATCH, "output": BATCH},
    )  # fmt: skip


class Recurrent(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *state):
        if not state:
            return self.layer(x)
        return self.layer(x, state if len(state) == 2 else state[0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("initial_state", [False, True])
def test_recurrent_layers_with_dynamic_batch_and_length(kind, batch_first, initial_state):
    layer = getattr(nn, kind)(4, 5, num_layers=2, batch_first=batch_first, bidirectional=True)
    axes = {0: "batch", 1: "time"} if batch_first else {0: "time", 1: "batch"}

    def inputs(batch, time):
        x = tg.randn(batch, time, 4) if batch_first else tg.randn(time, batch, 4)
        states = 2 if kind == "LSTM" else 1
        return (x, *(tg.randn(4, batch, 5) for _ in range(states))) if initial_state else (x,)

    example = inputs(2, 6)
    names = ["x", "h0", "c0"][: len(example)]
    dynamic = {name: ({1: "batch"} if name != "x" else axes) for name in names}
    data = assert_exports(
        Recurrent(layer), example, inputs(3, 4), inputs(1, 9),
        input_names=names, dynamic_axes={**dynamic, "output_0": axes},
    )  # fmt: skip
    op_types = [node.op_type for node in onnx.load_from_string(data).graph.node]
    assert op_types.count(kind) == 4  # one ONNX node per layer and direction


def test_lstm_weights_are_stored_in_onnx_gate_order():
    layer = nn.LSTM(3, 2)
    graph = onnx.load_from_string(exported(layer, tg.randn(4, 1, 3))).graph
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    w = layer.weight_ih_l0.detach().numpy()  # PyTorch's rows: i, f, g, o
    i, f, g, o = np.split(w, 4)
    np.testing.assert_array_equal(weights["weight_ih_l0_onnx"][0], np.concatenate([i, o, f, g]))


class Encoder(nn.Module):
    """Token classifier: embedding, learned positions, a Transformer encoder, mean pooling."""

    def __init__(self, causal=False, norm_first=False):
        super().__init__()
        self.embedding = nn.Embedding(20, 8)
        self.positions = nn.Parameter(tg.randn(1, 16, 8))
        layer = nn.TransformerEncoderLayer(
            8, 2, 16, dropout=0.1, activation="gelu", batch_first=True, norm_first=norm_first
        )
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(8, 3)
        self.causal = causal

    def forward(self, tokens, padding):
        length = tokens.shape[1]
        x = self.embedding(tokens) + self.positions[:, :length]
        mask = nn.Transformer.generate_square_subsequent_mask(length) if self.causal else None
        x = self.encoder(x, mask, padding, is_causal=self.causal or None)
        return self.head(x.mean(1))


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("causal", [False, True])
def test_transformer_encoder_with_padding_and_causal_masks(causal):
    def inputs(batch, length):
        padding = tg.zeros(batch, length, dtype=tg.bool)
        padding[0, -1] = True
        return tg.randint(0, 20, (batch, length)), padding

    axes = {0: "batch", 1: "length"}
    assert_exports(
        Encoder(causal, norm_first=causal), inputs(2, 5), inputs(3, 7), inputs(1, 3),
        input_names=["tokens", "padding"],
        dynamic_axes={"tokens": axes, "padding": axes, "output": BATCH},
    )  # fmt: skip


@pytest.mark.parametrize("need_weights", [False, True])
def test_multihead_attention(need_weights):
    attention = nn.MultiheadAttention(8, 2)
    model = Call(lambda q, k, v: attention(q, k, v, need_weights=need_weights))
    axes = {0: "length", 1: "batch"}

    def inputs(batch, length, source):
        return tg.randn(length, batch, 8), tg.randn(source, batch, 8), tg.randn(source, batch, 8)

    attention.eval()
    assert_exports(
        model, inputs(2, 4, 5), inputs(3, 2, 6),
        input_names=["q", "k", "v"],
        dynamic_axes={"q": axes, "k": {0: "source", 1: "batch"}, "v": {0: "source", 1: "batch"}},
    )  # fmt: skip


def test_embedding_layernorm_gelu():
    model = nn.Sequential(nn.Embedding(30, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 4))
    axes = {0: "batch", 1: "length"}
    assert_exports(
        model, tg.randint(0, 30, (2, 3)), tg.randint(0, 30, (4, 6)),
        dynamic_axes={"input": axes, "output": axes},
    )  # fmt: skip


def test_a_word_language_model_script_exports_as_with_torch_onnx():
    import tensorgrad as torch  # the script's own import line, renamed

    class RNNModel(torch.nn.Module):
        def __init__(self, tokens=30, width=8, hidden=12, layers=2):
            super().__init__()
            self.drop = torch.nn.Dropout(0.2)
            self.encoder = torch.nn.Embedding(tokens, width)
            self.rnn = torch.nn.LSTM(width, hidden, layers, dropout=0.2)
            self.decoder = torch.nn.Linear(hidden, tokens)
            self.layers, self.hidden = layers, hidden

        def forward(self, input, hidden):
            output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
            decoded = self.decoder(self.drop(output)).view(-1, self.decoder.out_features)
            return torch.nn.functional.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, batch):
            weight = next(self.parameters())
            return tuple(weight.new_zeros(self.layers, batch, self.hidden) for _ in range(2))

    model = RNNModel()
    model.eval()
    dummy_input = torch.zeros(5 * 3, dtype=torch.long).view(-1, 3)
    hidden = model.init_hidden(3)
    buffer = io.BytesIO()
    torch.onnx.export(model, (dummy_input, hidden), buffer)
    runner = session(buffer.getvalue())
    assert [i.name for i in runner.get_inputs()] == ["input", "hidden_0", "hidden_1"]
    tokens = torch.randint(0, 30, (5, 3))
    assert_same(expected(model, (tokens, hidden)), run_onnx(buffer.getvalue(), (tokens, hidden)))


# ---------------------------------------------------------------------- the API
def test_f_may_be_a_path_or_a_binary_file_and_names_are_used(tmp_path):
    model = nn.Linear(3, 2)
    path = tmp_path / "linear.onnx"
    returned = export(model, (tg.randn(1, 3),), path, input_names=["features"])
    with open(tmp_path / "linear2.onnx", "wb") as file:
        export(model, tg.randn(1, 3), file, output_names=["scores"])
    from_path, from_file = onnx.load(path), onnx.load(tmp_path / "linear2.onnx")
    assert returned == from_path
    assert [i.name for i in from_path.graph.input] == ["features"]
    assert [o.name for o in from_path.graph.output] == ["output"]
    assert [i.name for i in from_file.graph.input] == ["input"]
    assert [o.name for o in from_file.graph.output] == ["scores"]
    assert from_path.opset_import[0].version == 18


def test_default_names_follow_forward_and_kwargs_reach_it():
    model = Call(lambda *inputs: inputs[0] * 2)

    class Named(nn.Module):
        def forward(self, image, scale=None):
            return image * scale

    graph = onnx.load_from_string(exported(Named(), (tg.randn(2), {"scale": tg.randn(2)}))).graph
    assert [i.name for i in graph.input] == ["image", "scale"]
    graph = onnx.load_from_string(exported(model, (tg.randn(2), tg.randn(2)))).graph
    assert [i.name for i in graph.input] == ["inputs_0", "inputs_1"]
    assert [o.name for o in graph.output] == ["output"]


def test_dynamic_axes_as_a_list_get_generated_names():
    model = nn.Linear(3, 2)
    data = assert_exports(
        model, tg.randn(2, 3), tg.randn(6, 3), dynamic_axes={"input": [0], "output": [0]}
    )
    graph = onnx.load_from_string(data).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "input_dynamic_axes_1"
    assert graph.output[0].type.tensor_type.shape.dim[0].dim_param == "output_dynamic_axes_1"


def test_outputs_that_follow_the_batch_get_named_dims():
    model = Call(lambda x: (x.reshape(-1), x.sum(0)))
    data = exported(model, tg.randn(2, 3), input_names=["x"], dynamic_axes={"x": BATCH})
    graph = onnx.load_from_string(data).graph
    dims = [
        [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in graph.output
    ]
    assert dims == [["3*batch"], [3]]


@pytest.mark.parametrize("opset", [15, 17, 18, 20])
def test_opset_versions(opset):
    model = Call(lambda x: F.layer_norm(x, (4,)).logsumexp(1) + x.amax(1) + x.norm(dim=1))
    data = assert_exports(
        model, tg.randn(2, 4), tg.randn(3, 4),
        opset_version=opset, input_names=["x"], dynamic_axes={"x": BATCH},
    )  # fmt: skip
    assert onnx.load_from_string(data).opset_import[0].version == opset


def test_parameters_as_inputs_and_initializers_as_inputs():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    x = tg.randn(4, 3)
    graph = onnx.load_from_string(exported(model, x, export_params=False)).graph
    assert [i.name for i in graph.input] == ["input", "0.weight", "0.bias"]
    assert not graph.initializer
    feeds = {"input": x.numpy(), **{n: p.detach().numpy() for n, p in model.named_parameters()}}
    (out,) = session(exported(model, x, export_params=False)).run(None, feeds)
    assert_same(expected(model, x), [out])
    graph = onnx.load_from_string(exported(model, x, keep_initializers_as_inputs=True)).graph
    assert {i.name for i in graph.input} == {"input", "0.weight", "0.bias"}


def test_verify_and_training_modes():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    export(model, tg.randn(2, 3), None, verify=True)
    assert model.training and model[1].training
    with pytest.raises(UnsupportedOperatorError, match="random"):
        export(model, tg.randn(2, 3), None, training=TrainingMode.PRESERVE)


def test_is_in_onnx_export_is_true_only_while_exporting():
    seen = []
    model = Call(lambda x: seen.append(tg.onnx.is_in_onnx_export()) or x + 1)
    export(model, tg.randn(2), None)
    assert seen == [True] and not tg.onnx.is_in_onnx_export()


# ---------------------------------------------------------------------- errors
class Square(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return grad


@pytest.mark.parametrize(
    "function, op",
    [
        (lambda x: x.diagonal(), "Diagonal"),
        (lambda x: tg.linalg.det(x), "LinalgDet"),
        (lambda x: x.cumprod(1), "Cumprod"),
        (lambda x: tg.erfinv(x.tanh()), "Erfinv"),
        (lambda x: x + tg.randn(3, 3), "randn"),
        (lambda x: Square.apply(x), "Square"),
    ],
)
def test_an_op_without_translation_is_named(function, op):
    with pytest.raises(UnsupportedOperatorError, match=f"op '{op}' cannot be exported") as info:
        export(Call(function), tg.randn(3, 3), None)
    assert isinstance(info.value, RuntimeError) and info.value.op_name == op


def test_values_read_into_python_are_refused():
    with pytest.raises(OnnxExporterError, match=r"item\(\) reads a tensor's value"):
        export(Call(lambda x: x * x.sum().item()), tg.randn(3), None)
    # Boolean-mask indexing: the output's length is the mask's count, known only at run time.
    with pytest.raises(OnnxExporterError, match="depends on the values"):
        export(Call(lambda x: x[x > 0]), tg.randn(3, 3), None)


def test_ops_that_change_with_a_dynamic_axis_are_refused():
    model = Call(lambda x: x * 2 if x.shape[0] > 2 else x)
    with pytest.raises(OnnxExporterError, match="dynamic axis 'batch' is resized from 3 to 2"):
        export(model, tg.randn(3, 2), None, input_names=["x"], dynamic_axes={"x": BATCH})


def test_bad_names_and_settings_are_refused():
    model = nn.Linear(2, 2)
    x = tg.randn(1, 2)
    with pytest.raises(OnnxExporterError, match="2 input_names for 1 tensor inputs"):
        export(model, x, None, input_names=["a", "b"])
    with pytest.raises(OnnxExporterError, match=r"dynamic_axes names \['inputs'\]"):
        export(model, x, None, dynamic_axes={"inputs": BATCH})
    with pytest.raises(OnnxExporterError, match="opset_version 11 is not supported"):
        export(model, x, None, opset_version=11)
    with pytest.raises(OnnxExporterError, match="dynamic_shapes is not supported"):
        export(model, x, None, dynamic_shapes={"input": {0: "batch"}})
