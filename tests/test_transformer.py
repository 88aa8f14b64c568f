"""The Transformer classes against PyTorch with its state dicts copied in (float64): outputs
and every gradient, with and without masks, batch_first and norm_first both ways, relu, gelu
and callable activations; deep-copied layers, causal masks and PyTorch's errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

# PyTorch notes that its inference fast path (nested tensors) is off for these configurations.
pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning"),
    pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning"),  # both libraries
]

rng = np.random.default_rng(0)
D_MODEL, HEADS, FEEDFORWARD = 8, 2, 16


def _pair(build):
    torch.manual_seed(0)
    theirs = build(torch).double()
    ours = build(tg).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def check(build, shapes, masks=None, atol=1e-6, **call):
    """Output, every parameter's gradient and every input's gradient of both libraries."""
    ours, theirs = _pair(build)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    upstream = None
    results = {}
    for lib, module in ((tg, ours), (torch, theirs)):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        options = {name: lib.tensor(mask) for name, mask in (masks or {}).items()}
        output = module(*inputs, **options, **call)
        if upstream is None:
            upstream = rng.standard_normal(tuple(output.shape))
        (output * lib.tensor(upstream)).sum().backward()
        results[lib] = (output.detach().numpy(), [x.grad.numpy() for x in inputs])
    np.testing.assert_allclose(results[tg][0], results[torch][0], atol=atol, err_msg="output")
    for index, (mine, reference) in enumerate(zip(results[tg][1], results[torch][1])):
        np.testing.assert_allclose(mine, reference, atol=atol, err_msg=f"input {index}")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=atol, err_msg=name)


def _causal(size):
    return np.triu(np.ones((size, size), dtype=bool), 1)


def _padding(batch, length):
    mask = rng.random((batch, length)) > 0.6
    mask[:, 0] = False
    return mask


def encoder_layer(**options):
    def build(lib):
        activation = options.get("activation", "relu")
        activation = activation(lib) if callable(activation) else activation
        settings = {**options, "activation": activation, "dropout": 0.0}
        return lib.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **settings)

    return build


def decoder_layer(**options):
    return lambda lib: lib.nn.TransformerDecoderLayer(
        D_MODEL, HEADS, FEEDFORWARD, dropout=0.0, **options
    )


ENCODER_LAYER_CASES = {
    "post-norm relu": ({}, [(5, 3, D_MODEL)], None, {}),
    "pre-norm gelu batch_first": (
        {"norm_first": True, "activation": "gelu", "batch_first": True},
        [(3, 5, D_MODEL)],
        None,
        {},
    ),
    "callable activation": (
        {"activation": lambda lib: lib.nn.functional.silu},
        [(5, 3, D_MODEL)],
        None,
        {},
    ),
    "activation module, no bias": (
        {"activation": lambda lib: lib.nn.GELU(), "bias": False},
        [(5, 3, D_MODEL)],
        None,
        {},
    ),
    "bool masks": (
        {"batch_first": True},
        [(3, 5, D_MODEL)],
        {"src_mask": _causal(5), "src_key_padding_mask": _padding(3, 5)},
        {},
    ),
    "float mask, pre-norm": (
        {"norm_first": True},
        [(5, 3, D_MODEL)],
        {"src_mask": rng.standard_normal((5, 5))},
        {},
    ),
    "is_causal": ({}, [(5, 3, D_MODEL)], {"src_mask": _causal(5)}, {"is_causal": True}),
    "unbatched": ({}, [(5, D_MODEL)], {"src_mask": _causal(5)}, {}),
}


@pytest.mark.parametrize("name", sorted(ENCODER_LAYER_CASES))
def test_encoder_layer_matches_torch(name):
    options, shapes, masks, call = ENCODER_LAYER_CASES[name]
    check(encoder_layer(**options), shapes, masks, **call)


DECODER_LAYER_CASES = {
    "post-norm relu": ({}, [(5, 3, D_MODEL), (4, 3, D_MODEL)], None, {}),
    "pre-norm gelu batch_first": (
        {"norm_first": True, "activation": "gelu", "batch_first": True},
        [(3, 5, D_MODEL), (3, 4, D_MODEL)],
        None,
        {},
    ),
    "all masks": (
        {},
        [(5, 3, D_MODEL), (4, 3, D_MODEL)],
        {
            "tgt_mask": _causal(5),
            "memory_mask": rng.random((5, 4)) > 0.8,
            "tgt_key_padding_mask": _padding(3, 5),
            "memory_key_padding_mask": _padding(3, 4),
        },
        {},
    ),
    "causal hint, unbatched": (
        {"norm_first": True},
        [(5, D_MODEL), (4, D_MODEL)],
        {"tgt_mask": _causal(5)},
        {"tgt_is_causal": True},
    ),
}


@pytest.mark.parametrize("name", sorted(DECODER_LAYER_CASES))
def test_decoder_layer_matches_torch(name):
    options, shapes, masks, call = DECODER_LAYER_CASES[name]
    check(decoder_layer(**options), shapes, masks, **call)


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_matches_torch(batch_first):
    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(
            D_MODEL, HEADS, FEEDFORWARD, 0.0, batch_first=batch_first
        )
        return lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(D_MODEL))

    shape = (3, 5, D_MODEL) if batch_first else (5, 3, D_MODEL)
    causal = np.triu(np.full((5, 5), -np.inf), 1)  # detected as causal (is_causal=None)
    check(build, [shape], {"mask": causal, "src_key_padding_mask": _padding(3, 5)})


def test_decoder_stack_matches_torch():
    def build(lib):
        layer = lib.nn.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, 0.0, batch_first=True)
        return lib.nn.TransformerDecoder(layer, 2, lib.nn.LayerNorm(D_MODEL))

    check(build, [(3, 5, D_MODEL), (3, 4, D_MODEL)], {"tgt_mask": _causal(5)})


@pytest.mark.parametrize(
    "options", [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}]
)
def test_transformer_matches_torch(options):
    def build(lib):
        return lib.nn.Transformer(D_MODEL, HEADS, 2, 1, FEEDFORWARD, dropout=0.0, **options)

    batch_first = options.get("batch_first", False)
    src, tgt = (
        ((3, 4, D_MODEL), (3, 5, D_MODEL)) if batch_first else ((4, 3, D_MODEL), (5, 3, D_MODEL))
    )
    masks = {
        "tgt_mask": tg.nn.Transformer.generate_square_subsequent_mask(5).numpy(),
        "src_key_padding_mask": _padding(3, 4),
        "memory_key_padding_mask": _padding(3, 4),
    }
    check(build, [src, tgt], masks)


def test_transformer_parameters_are_xavier_and_named_like_torch():
    ours = tg.nn.Transformer(16, 2, 1, 1, 32)
    theirs = torch.nn.Transformer(16, 2, 1, 1, 32)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    weight = ours.encoder.layers[0].linear1.weight.detach().numpy()  # (32, 16)
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.8 * bound


def test_generate_square_subsequent_mask_is_pytorchs():
    for dtype in (None, "float64"):
        ours = tg.nn.Transformer.generate_square_subsequent_mask(
            4, dtype=getattr(tg, dtype) if dtype else None
        )
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(
            4, dtype=getattr(torch, dtype) if dtype else None
        )
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_stacks_deep_copy_their_layer():
    layer = tg.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD)
    encoder = tg.nn.TransformerEncoder(layer, 2)
    first, second = encoder.layers
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(
        first.linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy()
    )
    with tg.no_grad():
        first.linear1.weight.add_(1.0)
    weights = (first.linear1.weight.detach().numpy(), second.linear1.weight.detach().numpy())
    assert not np.allclose(*weights)
    clone = copy.deepcopy(encoder)
    assert clone.layers[0].self_attn.in_proj_weight is not first.self_attn.in_proj_weight
    assert len(list(encoder.parameters())) == 2 * len(list(layer.parameters()))


def test_dropout_is_reproducible_in_training_and_off_in_eval():
    ours, theirs = _pair(lambda lib: lib.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD))
    x = rng.standard_normal((5, 3, D_MODEL))
    with tg.no_grad():
        tg.manual_seed(0)
        first = ours(tg.tensor(x)).numpy()
        tg.manual_seed(0)
        np.testing.assert_array_equal(ours(tg.tensor(x)).numpy(), first)
        ours.eval()
        evaluated = ours(tg.tensor(x)).numpy()
    assert not np.allclose(first, evaluated)
    theirs.eval()
    expected = theirs(torch.tensor(x, requires_grad=True)).detach().numpy()
    np.testing.assert_allclose(evaluated, expected, atol=1e-10)


ERRORS = {
    "activation name": lambda lib: lib.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
    "heads do not divide d_model": lambda lib: lib.nn.TransformerEncoderLayer(8, 3),
    "batch sizes differ": lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(
        lib.ones(4, 2, 8), lib.ones(5, 3, 8)
    ),
    "feature size": lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(
        lib.ones(4, 2, 8), lib.ones(5, 2, 6)
    ),
    "is_causal without a mask": lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16)(
        lib.ones(4, 2, 8), is_causal=True
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_raise_pytorchs_exception_type(name):
    with pytest.raises(Exception) as theirs:
        ERRORS[name](torch)
    with pytest.raises(type(theirs.value)):
        ERRORS[name](tg)
