"""``tensorgrad.compile``: replays equal the eager calls, and what cannot be replayed stays eager.

Bit-identical is the bar: a replay runs the same array calls in the same order as the eager
call (the backward in the engine's order), so parameters, gradients, optimizer state, running
statistics and random draws must match exactly, not approximately.
"""

import copy
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_table import OPS

import tensorgrad as tg
import tensorgrad.compiler._compiled as compiled_module
import tensorgrad.nn.functional as F
from tensorgrad import nn
from tensorgrad.ops import _warnings as ops_warnings

THIS_FILE = re.escape(__file__)


def _tensors(value) -> list:
    if isinstance(value, tg.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return []


def _arrays(tensors) -> list:
    return [None if t is None else t.detach().numpy().copy() for t in tensors]


def _assert_same(expected: list, actual: list) -> None:
    assert len(expected) == len(actual)
    for a, b in zip(expected, actual):
        if a is None or b is None:
            assert a is None and b is None
        else:
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(b, a)


# ---------------------------------------------------------------------- every op
VALUE_DEPENDENT_SHAPES = {"getitem_mask"}  # x[mask]: its length is the mask's count


@pytest.mark.parametrize("spec", OPS, ids=[spec.name for spec in OPS])
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_op_replays_its_values_and_gradients(spec, data):
    tensors, params = data.draw(spec.case)
    function = spec.bind(tg, params)

    def step(*inputs):
        out = function(*inputs)
        differentiable = [o for o in _tensors(out) if o.requires_grad]
        if differentiable:  # weights make every output element's gradient distinct
            sum(
                (o * (1 + 0.1 * tg.arange(o.numel(), dtype=o.dtype).reshape(o.shape))).sum()
                for o in differentiable
            ).backward()
        return out

    def run(callable_):
        for t in tensors:
            t.grad = None
        out = callable_(*tensors)
        return _arrays(_tensors(out)) + _arrays([t.grad for t in tensors])

    expected = run(step)
    if spec.name in VALUE_DEPENDENT_SHAPES:  # refused: Python after it would keep the shape
        compiled = tg.compile(step)
        with pytest.warns(UserWarning, match="depends on the values"):
            _assert_same(expected, run(compiled))
        _assert_same(expected, run(compiled))
        assert compiled.recordings == 0
        return
    for lowered in (True, False):  # generated code, and the step-by-step interpreter
        compiled_module.LOWER = lowered
        compiled = tg.compile(step)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a fallback would warn
                run(compiled)  # records
                replayed = run(compiled)
        finally:
            compiled_module.LOWER = True
        assert compiled.recordings == 1
        _assert_same(expected, replayed)


# ---------------------------------------------------------------------- training
class _SequenceModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 6)
        self.lstm = nn.LSTM(6, 8, batch_first=True)
        self.head = nn.Linear(8, 10)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        return self.head(out).reshape(-1, 10)


def _mlp():
    return nn.Sequential(nn.Linear(8, 16), nn.Sigmoid(), nn.Linear(16, 3))


def _data(kind: str, dtype=tg.float32):
    rng = np.random.default_rng(1)
    if kind == "cnn":
        x = rng.standard_normal((4, 1, 8, 8))
        return tg.tensor(x, dtype=dtype), tg.tensor(rng.integers(0, 3, 4))
    if kind == "lstm":
        return tg.tensor(rng.integers(0, 10, (3, 5))), tg.tensor(rng.integers(0, 10, 15))
    return tg.tensor(rng.standard_normal((16, 8)), dtype=dtype), tg.tensor(rng.integers(0, 3, 16))


MODELS = {
    "mlp-sgd": (_mlp, lambda p: tg.optim.SGD(p, lr=0.1), "mlp"),
    "mlp-sgd-momentum-float64": (
        lambda: _mlp().double(),
        lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        "mlp64",
    ),
    "mlp-adam": (_mlp, lambda p: tg.optim.Adam(p, lr=0.01), "mlp"),
    "dropout": (
        lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3)),
        lambda p: tg.optim.SGD(p, lr=0.1),
        "mlp",
    ),
    "batchnorm": (
        lambda: nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3)),
        lambda p: tg.optim.AdamW(p, lr=0.01),
        "mlp",
    ),
    "cnn": (
        lambda: nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64, 3),
        ),
        lambda p: tg.optim.Adam(p, lr=0.01),
        "cnn",
    ),
    "lstm": (_SequenceModel, lambda p: tg.optim.Adam(p, lr=0.01), "lstm"),
}


def _train(name: str, compiled: bool, steps: int):
    build, make_optimizer, kind = MODELS[name]
    tg.manual_seed(0)
    model = build()
    optimizer = make_optimizer(model.parameters())
    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    x, y = _data("mlp" if kind == "mlp64" else kind, tg.float64 if kind == "mlp64" else tg.float32)

    def step(inputs, targets):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        return loss

    run = tg.compile(step) if compiled else step
    losses = [run(x, y).item() for _ in range(steps)]
    state = [t for t in model.state_dict().values()]
    moments = [
        value
        for per_parameter in optimizer.state_dict()["state"].values()
        for value in per_parameter.values()
    ]
    return losses, _arrays(state), moments, scheduler.get_last_lr(), run


@pytest.mark.parametrize("lowered", [True, False], ids=["generated", "interpreted"])
@pytest.mark.parametrize("name", list(MODELS))
def test_compiled_training_is_bit_identical_to_eager(name, lowered, monkeypatch):
    steps = 100 if name.startswith("mlp") else 30
    losses, state, moments, lrs, _ = _train(name, False, steps)
    monkeypatch.setattr(compiled_module, "LOWER", lowered)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c_losses, c_state, c_moments, c_lrs, compiled = _train(name, True, steps)
    assert compiled.recordings == 1
    assert c_losses == losses and c_lrs == lrs
    _assert_same(state, c_state)
    assert len(moments) == len(c_moments)
    for a, b in zip(moments, c_moments):
        if isinstance(a, tg.Tensor):
            np.testing.assert_array_equal(b.numpy(), a.numpy())
        else:
            assert a == b


def test_the_tutorial_update_by_hand_replays():
    """``p -= lr * p.grad; p.grad.zero_()`` under no_grad, the from-scratch scripts' style."""

    def train(compiled: bool):
        tg.manual_seed(0)
        model = _mlp()
        x, y = _data("mlp")

        def step():
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            with tg.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
                    p.grad.zero_()
            return loss

        run = tg.compile(step) if compiled else step
        return [run().item() for _ in range(20)], _arrays(model.parameters())

    losses, params = train(False)
    c_losses, c_params = train(True)
    assert c_losses == losses
    _assert_same(params, c_params)


@pytest.mark.parametrize("lowered", [True, False], ids=["generated", "interpreted"])
@pytest.mark.parametrize("outer_grad_mode", [True, False])
def test_steps_run_in_the_grad_mode_they_were_recorded_in(lowered, outer_grad_mode, monkeypatch):
    """The generated code knows the grad mode without reading it, until a function that is
    not tensorgrad's own may have changed it: each call step must still see its recorded
    mode, and the thread must be left as eager mode leaves it."""
    monkeypatch.setattr(compiled_module, "LOWER", lowered)
    seen = []

    @tg.compiler.allow_in_graph
    def note_grad_mode():
        seen.append(tg.is_grad_enabled())

    weight = tg.randn(3, requires_grad=True)
    optimizer = tg.optim.SGD([weight], lr=0.1)

    def step(x):
        optimizer.zero_grad()
        with tg.enable_grad():
            (x * weight).sum().backward()
        with tg.no_grad():
            note_grad_mode()  # the mode is still known here: set for this call
            optimizer.step()
        note_grad_mode()  # after a user's function: read
        return x * 2

    compiled = tg.compile(step)
    for _ in range(3):
        seen.clear()
        with tg.set_grad_enabled(outer_grad_mode):
            compiled(tg.ones(3))
            assert tg.is_grad_enabled() is outer_grad_mode
        assert seen == [False, outer_grad_mode]
    assert compiled.recordings == 1
    np.testing.assert_allclose(weight.grad.numpy(), np.ones(3))


@pytest.mark.parametrize("lowered", [True, False], ids=["generated", "interpreted"])
def test_user_code_inside_a_recorded_call_may_switch_grad_mode_on_a_later_call(
    lowered, monkeypatch
):
    """A scheduler's ``lr_lambda`` runs inside a recorded call: when it switches grad mode
    off (on the third call, after the recording), the replay must not take the mode it
    knew at the start for the rest of the call: a later call in ``enable_grad`` still runs
    with grad on, and the thread is left as eager mode leaves it (the backward restores
    the mode it found)."""
    monkeypatch.setattr(compiled_module, "LOWER", lowered)

    def run(compile_it: bool) -> list:
        seen = []

        @tg.compiler.allow_in_graph
        def probe():
            seen.append(tg.is_grad_enabled())

        model = tg.nn.Linear(3, 1)
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1)

        def factor(epoch):
            if epoch >= 3:
                tg.set_grad_enabled(False)
            return 1.0

        scheduler = tg.optim.lr_scheduler.LambdaLR(optimizer, factor)

        def step(x):
            optimizer.zero_grad()
            loss = (model(x) ** 2).sum()
            scheduler.step()
            with tg.enable_grad():
                probe()
            loss.backward()
            optimizer.step()
            return loss

        step = tg.compile(step) if compile_it else step
        after = []
        try:
            for _ in range(4):
                tg.set_grad_enabled(True)
                step(tg.ones(2, 3))
                after.append(tg.is_grad_enabled())
        finally:
            tg.set_grad_enabled(True)
        return seen, after

    eager = run(False)
    assert eager == ([True] * 4, [True, True, False, False])
    assert run(True) == eager


def _switch_grad_mode(x, weight):
    y = (x * weight).sum()
    tg.set_grad_enabled(False)
    return y * 2


def _switch_default_dtype(x, weight):
    y = (x * weight).sum()
    tg.set_default_dtype(tg.float64)
    return y * tg.tensor(2.0)


@pytest.mark.parametrize("step", [_switch_grad_mode, _switch_default_dtype])
def test_a_call_that_leaves_the_grad_mode_or_default_dtype_switched_runs_eagerly(step):
    """``set_grad_enabled(False)`` as a plain call, or ``set_default_dtype``, changes the
    caller's state: a replay (which starts and ends in the signature's) would not; eager,
    with one warning, and an error with ``fullgraph=True``."""
    weight = tg.randn(3, requires_grad=True)
    compiled = tg.compile(step)
    messages = []
    try:
        for _ in range(3):
            tg.set_grad_enabled(True)
            tg.set_default_dtype(tg.float32)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = compiled(tg.ones(3), weight)
            messages += [str(warning.message) for warning in caught]
            # as the eager call leaves them
            assert (tg.is_grad_enabled(), tg.get_default_dtype()) != (True, tg.float32)
            expected = step(tg.ones(3), weight)
            assert (out.dtype, out.requires_grad) == (expected.dtype, expected.requires_grad)
            assert out.item() == expected.item()
        assert len(messages) == 1 and "leaves grad mode or the default dtype" in messages[0]
        assert compiled.recordings == 0
        tg.set_grad_enabled(True)
        tg.set_default_dtype(tg.float32)
        with pytest.raises(RuntimeError, match="leaves grad mode or the default dtype"):
            tg.compile(step, fullgraph=True)(tg.ones(3), weight)
    finally:
        tg.set_grad_enabled(True)
        tg.set_default_dtype(tg.float32)


def test_an_input_that_requires_grad_gets_its_gradient_and_in_place_changes_replay():
    weight = tg.randn(4, 3, requires_grad=True)

    def step(x, counter):
        counter.add_(1)
        (x @ weight).tanh().sum().backward()
        return counter * 2

    compiled = tg.compile(step)
    for _ in range(3):
        x = tg.randn(5, 4, requires_grad=True)
        counter = tg.zeros(2)
        out = compiled(x, counter)
        eager_x = x.detach().clone().requires_grad_(True)
        (eager_x @ weight).tanh().sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), eager_x.grad.numpy())
        np.testing.assert_array_equal(counter.numpy(), [1.0, 1.0])
        np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])
    assert compiled.recordings == 1


@pytest.mark.parametrize("lowered", [True, False], ids=["generated", "interpreted"])
def test_leaves_never_share_a_replayed_gradient_array(lowered, monkeypatch):
    """An add hands its upstream gradient to both inputs, and an identity-like op passes it
    on: each leaf must get its own array, or one optimizer's in-place update of one .grad
    would change another (the engine's exclusivity rule, in the generated code too)."""
    monkeypatch.setattr(compiled_module, "LOWER", lowered)
    a, b, c = (tg.randn(3, requires_grad=True) for _ in range(3))
    d = tg.randn(3, 3, requires_grad=True)

    def step():
        for p in (a, b, c, d):
            p.grad = None
        ((a + b) * 2 + c.reshape(3) + d.sum(0)).sum().backward()

    compiled = tg.compile(step)
    for _ in range(3):
        compiled()
        grads = [p.grad.numpy() for p in (a, b, c, d)]
        for i, first in enumerate(grads):
            assert not any(np.shares_memory(first, other) for other in grads[i + 1 :])
        a.grad.add_(100)  # an optimizer's in-place change of one gradient
        np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])
        np.testing.assert_array_equal(c.grad.numpy(), [1.0, 1.0, 1.0])
        np.testing.assert_array_equal(d.grad.numpy(), np.ones((3, 3)))
    assert compiled.recordings == 1


@pytest.mark.parametrize("differentiable", [False, True])
def test_the_last_replayed_signature_is_checked_in_full_on_every_call(differentiable):
    """The fast check of a loop's usual call must see everything the cache key sees: the
    same tensor passed twice, a new shape or dtype, requires_grad, the grad mode and the
    default dtype. Each variant differs from the usual call in one thing only, and comes
    right after replays of it, so that the fast check is the first to see it."""

    def step(a, b):
        a.add_(1)
        return a * b + tg.zeros(a.shape)  # zeros: the default dtype

    compiled = tg.compile(step)

    def arguments(size=2, dtype=tg.float32):
        return tg.ones(size, dtype=dtype), tg.full((size,), 3.0, dtype=dtype).requires_grad_(
            differentiable
        )

    def usual_calls():
        for _ in range(2):
            out = compiled(*arguments())
            assert out.requires_grad is differentiable and out.dtype == tg.float32
            np.testing.assert_array_equal(out.detach().numpy(), [6.0, 6.0])

    usual_calls()
    assert compiled(*arguments(size=3)).shape == (3,)
    usual_calls()
    assert compiled(*arguments(dtype=tg.float64)).dtype == tg.float64
    usual_calls()
    if differentiable:
        assert not compiled(tg.ones(2), tg.full((2,), 3.0)).requires_grad
        usual_calls()
        with tg.no_grad():
            assert not compiled(*arguments()).requires_grad
    else:
        z = tg.ones(2)
        np.testing.assert_array_equal(compiled(z, z).numpy(), [4.0, 4.0])  # (1 + 1) * (1 + 1)
    usual_calls()
    previous = tg.get_default_dtype()
    a, b = arguments()
    tg.set_default_dtype(tg.float64)
    try:
        assert compiled(a, b).dtype == tg.float64
    finally:
        tg.set_default_dtype(previous)
    usual_calls()
    assert compiled.recordings == (6 if differentiable else 5)


# ---------------------------------------------------------------------- what stays eager
def test_a_value_read_into_python_runs_eagerly_with_one_warning_naming_the_line():
    calls = []

    def step(x):
        calls.append(1)
        if x.sum().item() > 0:  # Python decides on a value: no replay can follow
            return x * 2
        return x * 3

    compiled = tg.compile(step)
    with pytest.warns(UserWarning, match=rf"item\(\).*{THIS_FILE}:\d+"):
        assert compiled(tg.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per signature
        assert compiled(-tg.ones(3)).tolist() == [-3.0, -3.0, -3.0]
    assert len(calls) == 2 and compiled.recordings == 0


def test_fullgraph_raises_instead_of_falling_back():
    compiled = tg.compile(lambda x: x * 2 if bool(x.sum() > 0) else x, fullgraph=True)
    with pytest.raises(RuntimeError, match=r"fullgraph=True.*bool\(\)"):
        compiled(tg.ones(2))


def test_a_closure_passed_to_the_optimizer_runs_eagerly():
    model = _mlp()
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = _data("mlp")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    compiled = tg.compile(lambda: optimizer.step(closure))
    with pytest.warns(UserWarning, match="a function was passed"):
        compiled()
    assert compiled.recordings == 0


def test_a_function_marked_disable_keeps_the_caller_eager():
    seen = []

    @tg.compiler.disable
    def side_effect(value):
        seen.append(value)

    def step(x):
        side_effect(1)
        return x + 1

    compiled = tg.compile(step)
    with pytest.warns(UserWarning, match="tensorgrad.compiler.disable"):
        compiled(tg.ones(2))
    compiled(tg.ones(2))
    assert seen == [1, 1]


def test_returning_an_object_it_cannot_rebuild_runs_eagerly():
    class Box:
        def __init__(self, value):
            self.value = value

    compiled = tg.compile(lambda x: Box(x + 1))
    with pytest.warns(UserWarning, match="returns a Box"):
        box = compiled(tg.ones(2))
    assert box.value.tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------- guards and re-records
def test_switching_to_eval_records_again_and_matches_eager():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.BatchNorm1d(8))
    compiled = tg.compile(model)
    x, _ = _data("mlp")
    compiled(x)
    model.eval()
    with tg.no_grad():
        expected = model(x).numpy()
    out = compiled(x)  # a dropout mask or batch statistics here would be a wrong replay
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    np.testing.assert_array_equal(compiled(x).detach().numpy(), expected)


def test_a_replaced_parameter_or_a_reshaped_tensor_records_again():
    layer = nn.Linear(3, 2)
    compiled = tg.compile(layer)
    x = tg.randn(4, 3)
    compiled(x)
    compiled(x)
    layer.weight = nn.Parameter(tg.ones(2, 3))
    np.testing.assert_array_equal(compiled(x).detach().numpy(), layer(x).detach().numpy())
    layer.weight.data = tg.full((2, 3), 2.0)  # same shape, new array: read on every replay
    np.testing.assert_array_equal(compiled(x).detach().numpy(), layer(x).detach().numpy())

    # As many members, one under another name: a guard's lookup misses, and records again.
    del layer.bias
    layer.offset = nn.Parameter(tg.zeros(2))
    layer.bias = None  # a plain attribute now: the layer adds no bias
    np.testing.assert_array_equal(compiled(x).detach().numpy(), layer(x).detach().numpy())
    assert compiled._compiled_forward.recordings == 3

    scale = tg.ones(3)
    scaled = tg.compile(lambda t: t * scale)
    scaled(x)
    scale.data = tg.full((1,), 5.0)  # broadcasts too, but the recording saw shape (3,)
    assert scaled(x).tolist() == (x * 5.0).tolist()
    assert scaled.recordings == 2


def test_a_hook_registered_after_recording_is_called():
    weight = tg.randn(3, requires_grad=True)

    def step(x):
        (x * weight).sum().backward()

    compiled = tg.compile(step)
    compiled(tg.ones(3))
    compiled(tg.ones(3))
    seen = []
    weight.register_hook(lambda grad: seen.append(grad) or grad * 0)
    weight.grad = None
    with pytest.warns(UserWarning, match="hooks"):
        compiled(tg.ones(3))
    assert len(seen) == 1 and weight.grad.tolist() == [0.0, 0.0, 0.0]


def test_each_new_shape_records_until_the_recompile_limit_then_runs_eagerly():
    layer = nn.Linear(2, 2)
    compiled = tg.compile(layer)
    limit = tg._dynamo.config.recompile_limit
    for batch in range(1, limit + 1):
        x = tg.randn(batch, 2)
        np.testing.assert_array_equal(compiled(x).detach().numpy(), layer(x).detach().numpy())
    with pytest.warns(UserWarning, match="recompile limit"):
        x = tg.randn(limit + 1, 2)
        np.testing.assert_array_equal(compiled(x).detach().numpy(), layer(x).detach().numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once
        compiled(tg.randn(limit + 2, 2))
        first = tg.randn(1, 2)  # the records kept still replay
        np.testing.assert_array_equal(
            compiled(first).detach().numpy(), layer(first).detach().numpy()
        )
    assert compiled._compiled_forward.recordings == limit
    strict = tg.compile(layer, fullgraph=True)
    for batch in range(1, limit + 1):
        strict(tg.randn(batch, 2))
    with pytest.raises(RuntimeError, match="recompile limit"):
        strict(tg.randn(limit + 1, 2))


def test_python_arguments_are_part_of_the_signature():
    compiled = tg.compile(lambda x, scale: x * scale)
    assert compiled(tg.ones(2), 2.0).tolist() == [2.0, 2.0]
    assert compiled(tg.ones(2), 3.0).tolist() == [3.0, 3.0]
    assert compiled(tg.ones(2), 3.0).tolist() == [3.0, 3.0]
    assert compiled.recordings == 2


# ---------------------------------------------------------------------- the API
def test_a_compiled_module_shares_the_state_and_differentiates_once():
    tg.manual_seed(0)
    model = _mlp()
    compiled = tg.compile(model)
    assert isinstance(compiled, nn.Module) and not isinstance(compiled, nn.Sequential)
    assert compiled._orig_mod is model
    assert [id(p) for p in compiled.parameters()] == [id(p) for p in model.parameters()]
    x = tg.randn(5, 8, requires_grad=True)
    for _ in range(3):
        out = compiled(x)
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    out.square().sum().backward()
    grads = _arrays([x.grad] + [p.grad for p in model.parameters()])
    x.grad = None
    model.zero_grad()
    model(x).square().sum().backward()
    _assert_same(_arrays([x.grad] + [p.grad for p in model.parameters()]), grads)
    with pytest.raises(RuntimeError, match="create_graph"):
        tg.autograd.grad(compiled(x).sum(), x, create_graph=True)


def test_results_keep_their_structure():
    @tg.compile
    def f(x):
        return {"double": x * 2, "parts": [x + 1, x.max(0)], "count": 3}

    for _ in range(2):
        result = f(tg.tensor([[1.0, 5.0], [4.0, 2.0]]))
    assert result["count"] == 3 and result["double"].tolist() == [[2.0, 10.0], [8.0, 4.0]]
    values, indices = result["parts"][1]
    assert values.tolist() == [4.0, 5.0] and indices.tolist() == [1, 0]


def test_disable_environment_variable_reset_and_is_compiling(monkeypatch):
    seen = []

    def step(x):
        seen.append(tg.compiler.is_compiling())
        return x + 1

    compiled = tg.compile(step)
    compiled(tg.ones(1))
    compiled(tg.ones(1))  # replayed: step's Python does not run
    assert seen == [True]
    monkeypatch.setenv(tg.compiler.DISABLE_VARIABLE, "1")
    compiled(tg.ones(1))
    assert seen == [True]  # read when compiled, and at reset(): not on every call
    tg.compiler.reset()
    compiled(tg.ones(1))
    assert seen == [True, False]
    assert tg.compile(step)(tg.ones(1)) is not None and seen == [True, False, False]
    monkeypatch.delenv(tg.compiler.DISABLE_VARIABLE)
    tg.compiler.reset()
    assert compiled.recordings == 0
    compiled(tg.ones(1))
    assert seen == [True, False, False, True]
    eager = tg.compile(step, disable=True)
    eager(tg.ones(1))
    eager(tg.ones(1))
    assert seen[-2:] == [False, False]


def test_arguments_are_checked_like_pytorchs():
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        tg.compile(lambda x: x, mode="fastest")
    with pytest.raises(ValueError, match="invalid backend"):
        tg.compile(lambda x: x, backend="nope")
    decorator = tg.compile(mode="reduce-overhead")
    assert decorator(lambda x: x + 1)(tg.ones(1)).tolist() == [2.0]


def test_a_compiled_method_binds_its_instance_and_a_training_step_returns_plain_tensors():
    class Trainer:
        def __init__(self):
            self.weight = tg.ones(2, requires_grad=True)

        @tg.compile
        def step(self, x):
            loss = (self.weight * x).sum()
            loss.backward()
            return loss

    first, second = Trainer(), Trainer()
    for _ in range(3):
        loss = first.step(tg.ones(2))
    second.step(tg.full((2,), 2.0))
    assert first.weight.grad.tolist() == [3.0, 3.0] and second.weight.grad.tolist() == [2.0, 2.0]
    # The step ran its backward: the replayed loss carries no graph to run another through.
    assert loss.tolist() == 2.0 and loss.grad_fn is None and not loss.requires_grad


def test_the_usual_calls_signature_is_the_general_one():
    """Positional tensors take a shortcut to their cache key: it must be the same key."""
    from tensorgrad.compiler._compiled import _structure, _tensors_structure

    a, b = tg.ones(2, 3), tg.zeros(3, requires_grad=True)
    general, quick = [], []
    assert _structure(((a, b, a), {}), general, {}) == _tensors_structure((a, b, a), quick)
    assert all(x is y for x, y in zip(general, quick, strict=True))


def test_module_compile_compiles_the_module_in_place_and_copies_recompile():
    import copy

    tg.manual_seed(0)
    model = _mlp()
    x = tg.randn(4, 8)
    expected = model(x).detach().numpy()
    model.compile()
    for _ in range(2):
        np.testing.assert_array_equal(model(x).detach().numpy(), expected)
    assert model._compiled_call.recordings == 1
    twin = copy.deepcopy(model)  # its own parameters, its own compiled calls
    with tg.no_grad():
        twin[0].weight.mul_(2)
    assert twin._compiled_call is not model._compiled_call
    np.testing.assert_array_equal(model(x).detach().numpy(), expected)
    assert not np.array_equal(twin(x).detach().numpy(), expected)


def test_hooks_inside_the_call_or_added_to_a_module_are_never_skipped():
    seen = []

    def step(x, weight):
        hidden = x * weight
        hidden.register_hook(lambda grad: grad * 2)  # a replay would not run it
        hidden.sum().backward()

    compiled = tg.compile(step)
    weight = tg.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match=r"register_hook\(\) inside the call"):
        compiled(tg.ones(3), weight)
    compiled(tg.ones(3), weight)
    assert weight.grad.tolist() == [4.0, 4.0, 4.0]

    layer = nn.Linear(2, 2)
    compiled_layer = tg.compile(layer)
    x = tg.randn(3, 2)
    compiled_layer(x)
    compiled_layer(x)
    layer.register_forward_hook(lambda module, args, output: seen.append(1) or output * 0)
    with pytest.warns(UserWarning, match="forward hooks"):
        assert compiled_layer(x).abs().sum().item() == 0.0
    assert compiled_layer(x).abs().sum().item() == 0.0 and seen == [1, 1]


# ---------------------------------------------------------------------- what a review found
def _twice(step, make_args, calls=4):
    """Outputs of ``step`` eager and compiled from the same seed: (eager, compiled, warned)."""
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        run = tg.compile(step()) if compiled else step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append([np.asarray(run(*make_args(i))).tolist() for i in range(calls)])
    return results[0], results[1], [str(w.message) for w in caught]


def test_state_rebinding_and_stale_reads_run_eagerly_instead_of_replaying_wrong():
    def data_assignment():
        weight = tg.ones(3, requires_grad=True)

        def step(x):
            loss = (weight * x).sum()
            loss.backward()
            with tg.no_grad():
                weight.data = weight.data - 0.1 * weight.grad  # the old-style update
            weight.grad = None
            return loss.detach()

        return step

    def grad_from_the_last_call():
        weight = tg.ones(3, requires_grad=True)

        def step(x):
            previous = weight.grad * 1.0 if weight.grad is not None else tg.zeros(3)
            weight.grad = None
            (weight * x).sum().backward()
            return previous

        return step

    class Carrying(nn.Module):
        def __init__(self):
            super().__init__()
            self.state = tg.zeros(3)

        def forward(self, x):
            out = (x + self.state).tanh()
            self.state = out.detach()
            return out

    x = lambda i: (tg.full((3,), float(i + 1)),)  # noqa: E731
    for name, make in (
        (".data", data_assignment),
        (".grad read before", grad_from_the_last_call),
        ("module attribute", Carrying),
    ):
        eager, compiled, warned = _twice(make, x)
        assert compiled == eager, name
        assert warned, name


def test_reseeding_sharing_and_the_default_dtype_replay_like_eager():
    def reseeding():
        def step(x):
            tg.manual_seed(7)
            return x + tg.rand(3)

        return step

    eager, compiled, warned = _twice(reseeding, lambda i: (tg.zeros(3),))
    assert compiled == eager and not warned

    shared = tg.compile(lambda a, b: a.detach() * 1 + b * 10)
    x = tg.ones(2)
    shared(x, x.detach())  # one array behind both: the record reads it once
    assert shared(tg.ones(2), tg.full((2,), 2.0)).tolist() == [21.0, 21.0]

    scaled = tg.compile(lambda t: t * 0.5 + tg.zeros(1))
    scaled(tg.ones(1, dtype=tg.float64))
    previous = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert scaled(tg.ones(1, dtype=tg.float64)).dtype == tg.float64
    finally:
        tg.set_default_dtype(previous)
    assert scaled.recordings == 2


def test_an_update_of_a_parameter_in_place_records_and_a_removed_hook_lets_replays_back():
    model, average = nn.Linear(3, 2), nn.Linear(3, 2)

    def step(x):
        out = model(x).sum()
        with tg.no_grad():  # an exponential moving average, the first touch of `average`
            for kept, current in zip(average.parameters(), model.parameters()):
                kept.mul_(0.9).add_(current, alpha=0.1)
        return out

    compiled = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            compiled(tg.ones(4, 3))
    assert compiled.recordings == 1

    layer = nn.Linear(2, 2)
    forward = tg.compile(layer)
    x = tg.ones(1, 2)
    forward(x)
    handle = layer.register_forward_hook(lambda module, args, output: output)
    with pytest.warns(UserWarning, match="forward hooks"):
        forward(x)
    handle.remove()
    forward(x)  # the first recording's guards hold again: replayed, not recorded
    assert forward._compiled_forward.recordings == 1


def test_a_call_that_switches_modes_itself_stays_eager_without_recording_every_time():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))

    def step(x):
        model.train()
        out = model(x).sum()
        model.eval()  # the next call starts in eval: no recording of this call could match it
        return out

    compiled = tg.compile(step)
    compiled(tg.ones(2, 3))  # a first call may set things up once: recorded again next time
    with pytest.warns(UserWarning, match="changes a module's training mode"):
        compiled(tg.ones(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            compiled(tg.ones(2, 3))
    assert compiled.recordings == 0 and len(next(iter(compiled._cache.values()))) == 1


# ------------------------------------------------------------ torch._dynamo's names, stances
@pytest.fixture
def recompile_limit():
    config = tg._dynamo.config
    before = config.recompile_limit
    yield config
    config.cache_size_limit = before


def test_dynamo_config_sets_the_recompile_limit_and_refuses_unknown_settings(recompile_limit):
    recompile_limit.cache_size_limit = 2  # PyTorch's older name of the same setting
    assert recompile_limit.recompile_limit == 2
    double = tg.compile(lambda x: x * 2)
    double(tg.ones(1))
    double(tg.ones(2))
    with pytest.warns(UserWarning, match=r"recompile limit \(2 recordings"):
        assert double(tg.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert double.recordings == 2
    recompile_limit.suppress_errors = True  # kept, as PyTorch's
    assert recompile_limit.suppress_errors is True
    recompile_limit.suppress_errors = False
    with pytest.raises(AttributeError, match="does not exist"):
        recompile_limit.cache_limit = 3


def test_stances_force_eager_and_fail_or_run_eagerly_on_recompile():
    seen = []

    def step(x):
        seen.append(tg.compiler.is_compiling())
        return x + 1

    compiled = tg.compile(step)
    with tg.compiler.set_stance("force_eager"):
        compiled(tg.ones(1))
    assert seen == [False] and compiled.recordings == 0
    compiled(tg.ones(1))  # the first recording is made whatever the stance below
    assert seen == [False, True]
    with tg.compiler.set_stance("fail_on_recompile"):
        assert compiled(tg.ones(1)).tolist() == [2.0]  # replayed
        with pytest.raises(RuntimeError, match="fail_on_recompile"):
            compiled(tg.ones(2))
    tg.compiler.set_stance("eager_on_recompile")
    try:
        assert compiled(tg.ones(2)).tolist() == [2.0, 2.0]
    finally:
        tg.compiler.set_stance("default")
    assert seen == [False, True, False] and compiled.recordings == 1


def test_stance_eager_then_compile_and_as_a_decorator():
    seen = []

    def step(x):
        seen.append(tg.compiler.is_compiling())
        return x + 1

    compiled = tg.compile(step)

    @tg.compiler.set_stance("eager_then_compile")
    def run(x):
        return compiled(x)

    assert tg.compiler._settings.state.stance == "default"  # held only during calls
    run(tg.ones(1))
    run(tg.ones(1))
    run(tg.ones(1))
    assert seen == [False, True]
    with pytest.raises(ValueError, match="unknown stance"):
        tg.compiler.set_stance("eager")
    with pytest.raises(RuntimeError, match="force_backend"):
        tg.compiler.set_stance("force_eager", force_backend="eager")
    with pytest.raises(RuntimeError, match="inside a compiled function"):
        tg.compile(lambda x: tg.compiler.set_stance("default") or x, fullgraph=True)(tg.ones(1))
    assert tg.compiler._settings.state.stance == "default"


def test_dynamo_names_scripts_use():
    model = nn.Linear(2, 2)
    compiled = tg.compile(model)
    assert isinstance(compiled, tg._dynamo.eval_frame.OptimizedModule)
    assert not isinstance(compiled, nn.Linear) and not isinstance(model, tg._dynamo.OptimizedModule)
    x = tg.randn(3, 2)
    tg._dynamo.mark_dynamic(x, 0)
    tg._dynamo.maybe_mark_dynamic(x, [0, 1])
    tg._dynamo.mark_static(x)
    with pytest.raises(IndexError, match="out of range"):
        tg._dynamo.mark_dynamic(x, 2)
    compiled(x)
    tg._dynamo.reset()
    assert compiled._compiled_forward.recordings == 0
    assert tg._dynamo.is_compiling() is False
    tg.compiler.cudagraph_mark_step_begin()
    scale = tg.compiler.assume_constant_result(lambda: 2.0)
    doubled = tg.compile(lambda t: t * scale())
    assert [doubled(x).sum().item() for _ in range(3)] == [2 * x.sum().item()] * 3


# ------------------------------------------------------------------- NumPy's warnings in a replay
class _CountingSquare(tg.autograd.Function):
    calls = 0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        _CountingSquare.calls += 1
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def _sqrt_step(through_function: bool):
    """A step whose backward divides by zero (d sqrt(x) at x = 0)."""
    x = tg.tensor([0.0, 4.0], requires_grad=True)

    def step():
        x.grad = None
        y = x.sqrt()
        (_CountingSquare.apply(y) if through_function else y * y).sum().backward()
        return x.grad.clone()

    return step


@pytest.mark.parametrize("through_function", [False, True], ids=["ops", "function"])
@pytest.mark.parametrize("setting", ["default", "always", "error", "seterr"])
def test_a_replayed_backward_warns_and_raises_as_eager_mode_does(through_function, setting):
    def run(step):
        _CountingSquare.calls = 0
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
            if setting in ("always", "error"):
                warnings.simplefilter(setting)
            else:  # only tensorgrad's own filter in front: the replay runs bare
                warnings.resetwarnings()
                warnings.filters.insert(0, ops_warnings._ours)
                if setting == "seterr":
                    np.seterr(all="raise")
            grads = [step().tolist() for _ in range(3)]
        return grads, [str(w.message) for w in caught], _CountingSquare.calls

    eager = run(_sqrt_step(through_function))
    compiled = run(tg.compile(_sqrt_step(through_function)))
    assert compiled == eager
    assert eager[0] == [[0.0, 1.0]] * 3 and eager[1] == []


def test_a_copy_of_a_compiled_module_compiles_a_copy_and_config_patch_restores():
    model = nn.Linear(2, 1)
    compiled = tg.compile(model, fullgraph=True)
    copied = copy.deepcopy(compiled)
    assert isinstance(copied, tg._dynamo.OptimizedModule) and copied._orig_mod is not model
    assert copied._compiled_forward._options() == {"fullgraph": True, "disable": False}
    with tg.no_grad():
        copied.weight.zero_()
        copied.bias.zero_()
    x = tg.ones(1, 2)
    assert copied(x).item() == 0.0 and compiled(x).item() == model(x).item() != 0.0
    config = tg._dynamo.config
    loose = tg.compile(model)
    loose(x)
    with config.patch(cache_size_limit=1):
        assert config.recompile_limit == 1
        with pytest.warns(UserWarning, match="Linear hit the recompile limit") as caught:
            loose(tg.ones(3, 2))
        assert caught[0].filename == __file__  # the caller's line, not tensorgrad's
    assert config.recompile_limit == 8
    with pytest.raises(AttributeError, match="does not exist"):
        config.patch(recompile=2)


def test_updates_through_data_and_detach_aliases_replay_like_word_language_model():
    """pytorch/examples' word_language_model (model.zero_grad(), p.data.add_(p.grad)) and
    makemore (p.data += -lr * p.grad)."""

    def train(compiled: bool):
        tg.manual_seed(0)
        model = _mlp()
        x, y = tg.randn(5, 8), tg.randint(0, 3, (5,))

        def step(x, y):
            model.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-0.05)
                p.data += -0.05 * p.grad  # makemore's update: writes the same array back
            with tg.no_grad():
                model[0].bias.detach().mul_(0.9)  # shares the version counter, unlike .data
            return loss

        run = tg.compile(step) if compiled else step
        return [run(x, y).item() for _ in range(4)], model

    compiled, eager = _recorded_and_eager(train)
    versions = [p._version_counter[0] for p in compiled.parameters()]
    assert versions == [p._version_counter[0] for p in eager.parameters()]


def _recorded_and_eager(train):
    """``train(compiled)`` -> (losses, model), run compiled (recorded: a fallback warning
    fails) and eager; asserts equal losses and parameters; returns both models."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled_losses, compiled = train(True)
    eager_losses, eager = train(False)
    assert compiled_losses == eager_losses
    for a, b in zip(compiled.parameters(), eager.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    return compiled, eager


class _ResidualBlock(nn.Module):
    """torchvision's habits: in-place activations and ``out += identity`` inside the graph."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3), nn.LeakyReLU(0.1, True))

    def forward(self, x):
        out = self.relu(self.conv(x))
        out += x
        out.mul_(0.5)
        return self.head(self.relu(out))


def test_in_place_ops_on_graph_tensors_record_as_their_ops():
    def train(compiled: bool):
        tg.manual_seed(0)
        model = _ResidualBlock()
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, y = tg.randn(4, 2, 4, 4), tg.randint(0, 3, (4,))

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss

        run = tg.compile(step) if compiled else step
        return [run(x, y).item() for _ in range(4)], model

    _recorded_and_eager(train)


def test_binary_cross_entropy_checks_its_values_on_every_replay():
    model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())

    def step(x, target):
        loss = F.binary_cross_entropy(model(x).view(-1), target)
        loss.backward()
        return loss

    compiled = tg.compile(step)
    x = tg.randn(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the value check is an op: recorded, not eager
        compiled(x, tg.tensor([0.0, 1.0, 1.0, 0.0]))
        compiled(x, tg.tensor([1.0, 1.0, 0.0, 0.0]))
    assert compiled.recordings == 1
    with pytest.raises(RuntimeError, match="target should be between 0 and 1, got 2.0 at flat"):
        compiled(x, tg.tensor([0.0, 2.0, 1.0, 0.0]))
