"""Recurrent layers and cells against PyTorch (state dicts copied, float64): outputs, final
states and every gradient; packed and unbatched input; errors; and the fused backward against
central finite differences on random shapes and lengths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from tensorgrad.ops.recurrent import recurrent_layer
from tensorgrad.testing import assert_gradients_close

torch = pytest.importorskip("torch")


def _twins(name: str, *args, **options):
    """The same layer in both libraries, float64, PyTorch's weights in ours."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **options).double()
    ours = getattr(tg.nn, name)(*args, **options).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _flat(result) -> list:
    """The tensors of a nested (output, state) result, in order."""
    if isinstance(result, (tuple, list)):
        return [t for item in result for t in _flat(item)]
    return [] if result is None else [result]


def _assert_same_results_and_gradients(ours, theirs, inputs: list, rng) -> None:
    """Run both modules on the same float64 inputs; compare every output, then the gradients
    of a random projection of them with respect to the inputs and every parameter."""
    ours_in = [tg.tensor(x, requires_grad=True) if x is not None else None for x in inputs]
    theirs_in = [torch.tensor(x, requires_grad=True) if x is not None else None for x in inputs]
    ours_out = _flat(ours(*_nest(ours, ours_in)))
    theirs_out = _flat(theirs(*_nest(theirs, theirs_in)))
    assert len(ours_out) == len(theirs_out)
    loss_ours, loss_theirs = 0, 0
    for mine, reference in zip(ours_out, theirs_out):
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_allclose(mine.numpy(force=True), reference.detach().numpy(), atol=1e-10)
        weights = rng.standard_normal(tuple(reference.shape))
        loss_ours = loss_ours + (mine * tg.tensor(weights)).sum()
        loss_theirs = loss_theirs + (reference * torch.tensor(weights)).sum()
    loss_ours.backward()
    loss_theirs.backward()
    for mine, reference in zip(ours_in, theirs_in):
        if mine is not None:
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=1e-10)
    theirs_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(
            parameter.grad.numpy(),
            theirs_parameters[name].grad.numpy(),
            atol=1e-10,
            err_msg=name,
        )


def _nest(module, tensors: list) -> list:
    """(input, h0, c0) → the call's arguments: an LSTM takes its states as a tuple."""
    x, *states = tensors
    if not states or states[0] is None:
        return [x]
    if len(states) == 2:
        return [x, (states[0], states[1])]
    return [x, states[0]]


LAYERS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bias": False, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 2, "bidirectional": True}),
    ("LSTM", {"bias": False}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "batch_first": True}),
    ("GRU", {"bidirectional": True, "bias": False}),
]


@pytest.mark.parametrize("name, options", LAYERS, ids=[f"{n}-{o}" for n, o in LAYERS])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
def test_layer_matches_torch(name, options, with_state):
    ours, theirs = _twins(name, 3, 4, **options)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(1)
    steps, batch = 5, 2
    shape = (batch, steps, 3) if options.get("batch_first") else (steps, batch, 3)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    inputs = [rng.standard_normal(shape)]
    if with_state:
        inputs.append(rng.standard_normal((layers, batch, options.get("proj_size") or 4)))
        if name == "LSTM":
            inputs.append(rng.standard_normal((layers, batch, 4)))
    _assert_same_results_and_gradients(ours, theirs, inputs, rng)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_matches_torch(name):
    ours, theirs = _twins(name, 3, 4, num_layers=2)
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal((6, 3)), rng.standard_normal((2, 4))]
    if name == "LSTM":
        inputs.append(rng.standard_normal((2, 4)))
    _assert_same_results_and_gradients(ours, theirs, inputs, rng)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_input_matches_torch(name, enforce_sorted):
    """Sequences of different lengths: each final state is read after its own last step."""
    ours, theirs = _twins(name, 3, 4, bidirectional=True, batch_first=True)
    rng = np.random.default_rng(3)
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    padded = rng.standard_normal((3, 5, 3))
    initial = rng.standard_normal((2, 3, 4))
    results, gradients = {}, {}
    for lib, module in (("tg", ours), ("torch", theirs)):
        x = (tg if lib == "tg" else torch).tensor(padded, requires_grad=True)
        h0 = (tg if lib == "tg" else torch).tensor(initial, requires_grad=True)
        pack = pack_padded_sequence if lib == "tg" else torch.nn.utils.rnn.pack_padded_sequence
        unpack = pad_packed_sequence if lib == "tg" else torch.nn.utils.rnn.pad_packed_sequence
        packed = pack(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
        output, state = module(packed, (h0, h0) if name == "LSTM" else h0)
        h_n = state[0] if name == "LSTM" else state
        unpacked, out_lengths = unpack(output, batch_first=True)
        assert list(out_lengths.tolist()) == lengths
        results[lib] = [unpacked.detach().numpy(), h_n.detach().numpy()]
        (
            (unpacked**2).sum()
            + (h_n * h_n.new_tensor(np.arange(h_n.numel()).reshape(h_n.shape))).sum()
        ).backward()
        gradients[lib] = [x.grad.numpy(), h0.grad.numpy()]
    for mine, reference in zip(
        results["tg"] + gradients["tg"], results["torch"] + gradients["torch"]
    ):
        np.testing.assert_allclose(mine, reference, atol=1e-10)


CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", {}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("name, options", CELLS, ids=[f"{n}-{o}" for n, o in CELLS])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(name, options, batched):
    ours, theirs = _twins(name, 3, 4, **options)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(4)
    lead = (2,) if batched else ()
    inputs = [rng.standard_normal((*lead, 3)), rng.standard_normal((*lead, 4))]
    if name == "LSTMCell":
        inputs.append(rng.standard_normal((*lead, 4)))
    _assert_same_results_and_gradients(ours, theirs, inputs, rng)
    _assert_same_results_and_gradients(ours, theirs, inputs[:1], rng)  # zero state


def test_parameters_initialise_like_torch():
    layer = tg.nn.LSTM(10, 25, num_layers=2, proj_size=5)
    names = [name for name, _ in layer.named_parameters()]
    assert names == list(torch.nn.LSTM(10, 25, num_layers=2, proj_size=5).state_dict())
    assert layer.weight_hh_l1.shape == (100, 5) and layer.weight_hr_l0.shape == (5, 25)
    values = np.concatenate([p.numpy(force=True).ravel() for p in layer.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= 1 / 5 and np.abs(values).max() > 0.19  # U(±1/√25)
    assert [len(group) for group in layer.all_weights] == [5, 5]


def test_dropout_between_layers_only_in_training():
    tg.manual_seed(0)
    layer = tg.nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = tg.randn(5, 2, 3)
    tg.manual_seed(1)
    first = layer(x)[0]
    tg.manual_seed(1)
    again = layer(x)[0]
    np.testing.assert_array_equal(first.numpy(force=True), again.numpy(force=True))
    layer.eval()
    evaluated = layer(x)[0]
    assert not np.allclose(first.numpy(force=True), evaluated.numpy(force=True))
    layer.dropout = 0.0
    layer.train()
    np.testing.assert_allclose(layer(x)[0].numpy(force=True), evaluated.numpy(force=True))


def test_an_lstm_output_changed_in_place_still_backpropagates():
    """Gated cells keep their gates for backward, not their output (PyTorch allows this)."""
    layer = tg.nn.LSTM(2, 3)
    x = tg.randn(4, 1, 2, requires_grad=True)
    output, _ = layer(x)
    output.data.mul_(2)
    output.sum().backward()
    assert x.grad.shape == (4, 1, 2) and np.abs(x.grad.numpy()).sum() > 0


def test_double_backward_raises_instead_of_a_wrong_answer():
    layer = tg.nn.LSTM(2, 3)
    x = tg.randn(4, 1, 2, requires_grad=True)
    (grad,) = tg.autograd.grad(layer(x)[0].sum(), x, create_graph=False)
    assert grad.shape == (4, 1, 2)
    with pytest.raises(RuntimeError, match="create_graph"):
        tg.autograd.grad(layer(x)[0].sum(), x, create_graph=True)


def _errors(lib):
    nn = lib.nn
    lstm = nn.LSTM(4, 5, 2)
    cell = nn.LSTMCell(4, 5)
    return {
        "wrong input size": lambda: lstm(lib.zeros(3, 2, 3)),
        "4-D input": lambda: lstm(lib.zeros(3, 2, 4, 1)),
        "wrong h0 layers": lambda: lstm(
            lib.zeros(3, 2, 4), (lib.zeros(1, 2, 5), lib.zeros(2, 2, 5))
        ),
        "wrong c0 batch": lambda: lstm(
            lib.zeros(3, 2, 4), (lib.zeros(2, 2, 5), lib.zeros(2, 3, 5))
        ),
        "3-D state, unbatched": lambda: lstm(
            lib.zeros(3, 4), (lib.zeros(2, 2, 5), lib.zeros(2, 2, 5))
        ),
        "dtype mismatch": lambda: lstm(lib.zeros(3, 2, 4, dtype=lib.float64)),
        "empty sequence": lambda: lstm(lib.zeros(0, 2, 4)),
        "GRU state of wrong size": lambda: nn.GRU(4, 5)(lib.zeros(3, 2, 4), lib.zeros(1, 2, 6)),
        "dropout out of range": lambda: nn.LSTM(4, 5, dropout=1.5),
        "zero hidden size": lambda: nn.LSTM(4, 0),
        "proj_size too large": lambda: nn.LSTM(4, 5, proj_size=5),
        "proj_size on a GRU": lambda: nn.GRU(4, 5, proj_size=2),
        "unknown nonlinearity": lambda: nn.RNN(4, 5, nonlinearity="sigmoid"),
        "cell input size": lambda: cell(lib.zeros(2, 3)),
        "cell batch mismatch": lambda: cell(lib.zeros(2, 4), (lib.zeros(3, 5), lib.zeros(3, 5))),
        "cell 3-D input": lambda: cell(lib.zeros(2, 4, 1)),
        "cell nonlinearity": lambda: nn.RNNCell(4, 5, nonlinearity="x")(lib.zeros(1, 4)),
        "state dtype": lambda: nn.GRU(3, 4).double()(
            lib.zeros(2, 1, 3, dtype=lib.float64), lib.zeros(1, 1, 4)
        ),
        "cell state dtype": lambda: nn.GRUCell(3, 4)(lib.zeros(1, 3), lib.zeros(1, 4).double()),
        "float input_size": lambda: nn.LSTM(4.0, 5),
        "one LSTMCell state": lambda: cell(lib.zeros(2, 4), (lib.zeros(2, 5),)),
    }


SHAPE_MISTAKES = {
    "wrong input size": "Expected 4, got 3",
    "wrong h0 layers": "(2, 2, 5), got [1, 2, 5]",
    "wrong c0 batch": "(2, 2, 5), got [2, 3, 5]",
    "GRU state of wrong size": "(1, 2, 5), got [1, 2, 6]",
    "cell batch mismatch": "batch size 2 doesn't match hidden0 batch size 3",
}


@pytest.mark.parametrize("case", list(_errors(tg)))
def test_errors_match_torch(case):
    with pytest.raises(Exception) as theirs:
        _errors(torch)[case]()
    with pytest.raises(theirs.type) as ours:
        _errors(tg)[case]()
    if case in SHAPE_MISTAKES:  # the message names the sizes involved
        assert SHAPE_MISTAKES[case] in str(ours.value), str(ours.value)


@st.composite
def _packed_cases(draw):
    """A mode, sizes, and a non-increasing run of batch sizes (sequences sorted by length)."""
    mode = draw(st.sampled_from(["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]))
    batch = draw(st.integers(1, 3))
    lengths = sorted(draw(st.lists(st.integers(1, 4), min_size=batch, max_size=batch)))[::-1]
    batch_sizes = tuple(sum(length > t for length in lengths) for t in range(lengths[0]))
    features, hidden = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    projection = draw(st.integers(0, hidden - 1)) if mode == "LSTM" else 0
    options = dict(
        bias=draw(st.booleans()), reverse=draw(st.booleans()), seed=draw(st.integers(0, 99))
    )
    return mode, batch_sizes, features, hidden, projection, options


@settings(max_examples=25)
@given(case=_packed_cases())
def test_fused_backward_matches_finite_differences(case):
    mode, batch_sizes, features, hidden, projection, options = case
    rng = np.random.default_rng(options["seed"])
    gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode] * hidden
    out_size = projection or hidden

    def leaf(*shape):
        return tg.tensor(rng.uniform(-1, 1, shape), requires_grad=True)

    tensors = {
        "input": leaf(sum(batch_sizes), features),
        "hx": leaf(batch_sizes[0], out_size),
        "cx": leaf(batch_sizes[0], hidden) if mode == "LSTM" else None,
        "weight_ih": leaf(gates, features),
        "weight_hh": leaf(gates, out_size),
        "bias_ih": leaf(gates) if options["bias"] else None,
        "bias_hh": leaf(gates) if options["bias"] else None,
        "weight_hr": leaf(projection, hidden) if projection else None,
    }
    names = [name for name, value in tensors.items() if value is not None]

    def layer(*values):
        given = dict(zip(names, values))
        arguments = {name: given.get(name) for name in tensors}
        return recurrent_layer(
            mode, batch_sizes=batch_sizes, reverse=options["reverse"], **arguments
        )

    assert_gradients_close(layer, *[tensors[name] for name in names])
