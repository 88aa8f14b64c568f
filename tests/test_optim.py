"""Optimizers: PyTorch parity for every option, hand-computed steps, state dicts, errors."""

import itertools
import math

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.optim as optim

RNG = np.random.default_rng(1234)
X, Y = RNG.normal(size=(8, 4)), RNG.normal(size=(8, 3))
W0, B0 = RNG.normal(size=(3, 4)), RNG.normal(size=3)


def _grid(**options):
    """Every combination of the given option values, as keyword dicts."""
    keys = list(options)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*options.values())]


CASES = (
    [
        ("SGD", kw)
        for kw in _grid(
            lr=[0.1],
            momentum=[0.0, 0.9],
            dampening=[0.0, 0.5],
            nesterov=[False, True],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
        if not (kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0))
    ]
    + [
        (name, kw)
        for name in ("Adam", "AdamW")
        for kw in _grid(
            lr=[0.05],
            betas=[(0.9, 0.999), (0.3, 0.8)],  # beta1 < 0.5 takes lerp's other branch
            weight_decay=[0.0, 0.1],
            amsgrad=[False, True],
            maximize=[False, True],
        )
    ]
    + [
        ("RMSprop", kw)
        for kw in _grid(
            lr=[0.01],
            alpha=[0.99, 0.3],
            centered=[False, True],
            momentum=[0.0, 0.5],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
    ]
    + [
        ("Adagrad", kw)
        for kw in _grid(
            lr=[0.1],
            lr_decay=[0.0, 0.1],
            weight_decay=[0.0, 0.1],
            initial_accumulator_value=[0.0, 0.5],
            eps=[1e-10, 1e-3],
            maximize=[False, True],
        )
    ]
)


def _train(module, optimizer_class, param_groups, steps: int = 10):
    """Run ``steps`` steps of least squares from W0, B0; returns the final (W, b) arrays.

    ``param_groups(W, b)`` builds the optimizer's ``params`` argument.
    """
    W = module.tensor(W0.copy(), requires_grad=True)
    b = module.tensor(B0.copy(), requires_grad=True)
    x, y = module.tensor(X), module.tensor(Y)
    optimizer = optimizer_class(param_groups(W, b))
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((x @ W.T + b - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    return W.detach().numpy().copy(), b.detach().numpy().copy()


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_ten_steps_match_pytorch(name, options):
    torch = pytest.importorskip("torch")
    ours = _train(tg, lambda p: getattr(optim, name)(p, **options), lambda W, b: [W, b])
    theirs = _train(torch, lambda p: getattr(torch.optim, name)(p, **options), lambda W, b: [W, b])
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[0], W0)  # the steps did move the weights


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_param_groups_with_their_own_lr_match_pytorch(name):
    torch = pytest.importorskip("torch")

    def groups(W, b):
        return [{"params": [W]}, {"params": [b], "lr": 0.3}]

    kwargs = {"lr": 0.02, "momentum": 0.5} if name == "SGD" else {"lr": 0.02}
    ours = _train(tg, lambda p: getattr(optim, name)(p, **kwargs), groups)
    theirs = _train(torch, lambda p: getattr(torch.optim, name)(p, **kwargs), groups)
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10)


# ---------------------------------------------------------------- without torch: by hand
def _steps_with_gradients(optimizer_class, gradients, start=1.0, **options):
    """Apply the given gradient sequence to a 1-element parameter; returns its values."""
    p = tg.tensor([start], dtype=tg.float64, requires_grad=True)
    optimizer = optimizer_class([p], **options)
    values = []
    for g in gradients:
        p.grad = tg.tensor([g], dtype=tg.float64)
        optimizer.step()
        values.append(p.item())
    return values


def test_sgd_momentum_nesterov_by_hand():
    lr, mu, wd = 0.1, 0.9, 0.01
    got = _steps_with_gradients(
        optim.SGD, [0.5, -1.0, 2.0], lr=lr, momentum=mu, nesterov=True, weight_decay=wd
    )
    p, buffer, expected = 1.0, None, []
    for g in [0.5, -1.0, 2.0]:
        g = g + wd * p
        buffer = g if buffer is None else mu * buffer + g  # the first buffer is the gradient
        p = p - lr * (g + mu * buffer)
        expected.append(p)
    assert got == pytest.approx(expected, rel=1e-14)
    # the first step by hand: g = 0.5 + 0.01 = 0.51, p = 1 - 0.1 * (0.51 + 0.9 * 0.51)
    assert got[0] == pytest.approx(1 - 0.1 * 0.51 * 1.9, rel=1e-14)


def test_sgd_dampening_and_maximize_by_hand():
    got = _steps_with_gradients(
        optim.SGD, [1.0, 1.0], lr=0.5, momentum=0.5, dampening=0.5, maximize=True
    )
    # step 1: buffer = -1, p = 1 + 0.5; step 2: buffer = 0.5 * -1 + 0.5 * -1 = -1, p = 1.5 + 0.5
    assert got == pytest.approx([1.5, 2.0], rel=1e-15)


def test_adam_by_hand():
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    gradients = [0.5, -0.25, 1.0]
    got = _steps_with_gradients(optim.Adam, gradients, lr=lr)
    p, m, v, expected = 1.0, 0.0, 0.0, []
    for t, g in enumerate(gradients, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(p)
    assert got == pytest.approx(expected, rel=1e-13)
    assert got[0] == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-14)  # first step = lr


def test_adam_amsgrad_keeps_the_largest_second_moment():
    p = tg.tensor([1.0, 1.0], dtype=tg.float64, requires_grad=True)
    optimizer = optim.Adam([p], lr=0.1, amsgrad=True)
    for g in ([10.0, 0.1], [0.1, 0.1]):
        p.grad = tg.tensor(g, dtype=tg.float64)
        optimizer.step()
    state = optimizer.state[p]
    # the first coordinate's v fell after step 1 (0.1 -> 0.0999...): the max kept 0.1
    np.testing.assert_allclose(
        state["max_exp_avg_sq"].numpy(),
        np.maximum(state["exp_avg_sq"].numpy(), 0.001 * np.array([100.0, 0.01])),
        rtol=1e-14,
    )
    assert state["max_exp_avg_sq"].numpy()[0] > state["exp_avg_sq"].numpy()[0]
    assert state["step"].item() == 2.0


def test_adamw_decays_weights_before_the_adam_step():
    got = _steps_with_gradients(optim.AdamW, [0.5], lr=0.1, weight_decay=0.5)
    assert got[0] == pytest.approx(1 * (1 - 0.1 * 0.5) - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-14)


def test_rmsprop_and_adagrad_first_step_by_hand():
    rms = _steps_with_gradients(optim.RMSprop, [2.0], lr=0.01, alpha=0.9)
    assert rms[0] == pytest.approx(1 - 0.01 * 2.0 / (math.sqrt(0.1 * 4.0) + 1e-8), rel=1e-14)
    ada = _steps_with_gradients(optim.Adagrad, [2.0, 1.0], lr=0.1, lr_decay=0.5)
    second = 1 - 0.1 * 2.0 / (2.0 + 1e-10) - 0.1 / 1.5 * 1.0 / (math.sqrt(5.0) + 1e-10)
    assert ada == pytest.approx([1 - 0.1 * 2.0 / (2.0 + 1e-10), second], rel=1e-14)


# ---------------------------------------------------------------- mechanics
def test_step_updates_in_place_and_skips_parameters_without_grad():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    frozen = tg.tensor([3.0], requires_grad=True)
    array, version = p._data, p._version
    optimizer = optim.Adam([p, frozen], lr=0.1)
    p.grad = tg.tensor([1.0, 1.0])
    optimizer.step()
    assert p._data is array and p._version == version + 1
    assert p.dtype == tg.float32 and optimizer.state[p]["exp_avg"].dtype == tg.float32
    assert frozen.item() == 3.0 and frozen not in optimizer.state


def test_step_invalidates_a_graph_that_saved_the_parameter():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    y = (p * p).sum()
    optimizer.step()
    with pytest.raises(RuntimeError):
        y.backward()


def test_closure_and_zero_grad():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([p], lr=0.5)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    optimizer.zero_grad()
    assert p.grad is None


def test_named_parameters_and_add_param_group():
    a, b = tg.zeros(2, requires_grad=True), tg.zeros(3, requires_grad=True)
    optimizer = optim.SGD([("a", a)], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": [("b", b)], "lr": 0.5})
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    assert optimizer.param_groups[1]["momentum"] == 0.9
    assert optimizer.state_dict()["param_groups"][1]["param_names"] == ["b"]


def test_state_dict_round_trip_continues_identically():
    def make():
        p = tg.tensor(W0.copy(), requires_grad=True)
        q = tg.tensor(B0.copy(), requires_grad=True)
        return [p, q], optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.3}], amsgrad=True)

    def steps(params, optimizer, count):
        for _ in range(count):
            for param in params:
                param.grad = tg.tensor(np.sin(param.detach().numpy()))
            optimizer.step()

    params, optimizer = make()
    steps(params, optimizer, 3)
    saved = optimizer.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    assert saved["param_groups"][1]["params"] == [1] and saved["param_groups"][1]["lr"] == 0.3

    clones, restored = make()
    for clone, param in zip(clones, params, strict=True):
        clone._data[...] = param._data
    restored.load_state_dict(saved)
    assert restored.state[clones[0]]["exp_avg"]._data is not saved["state"][0]["exp_avg"]._data
    steps(params, optimizer, 3)
    steps(clones, restored, 3)
    for clone, param in zip(clones, params, strict=True):
        np.testing.assert_array_equal(clone.detach().numpy(), param.detach().numpy())


def test_state_dict_layout_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name, kwargs in [
        ("SGD", {"momentum": 0.9}),
        ("Adam", {"amsgrad": True}),
        ("RMSprop", {"centered": True, "momentum": 0.1}),
        ("Adagrad", {}),
    ]:
        states = []
        for module, package in [(tg, optim), (torch, torch.optim)]:
            p = module.ones(2, requires_grad=True)
            frozen = module.ones(2, requires_grad=True)
            optimizer = getattr(package, name)([p, frozen], lr=0.1, **kwargs)
            p.grad = module.ones(2)
            optimizer.step()
            states.append(optimizer.state_dict())
        ours, theirs = states
        assert {k: sorted(v) for k, v in ours["state"].items()} == {
            k: sorted(v) for k, v in theirs["state"].items()
        }, name
        assert set(ours["param_groups"][0]) == set(theirs["param_groups"][0]), name
        if "step" in theirs["state"][0]:
            assert ours["state"][0]["step"].item() == theirs["state"][0]["step"].item() == 1.0


def test_load_state_dict_errors():
    p = tg.zeros(2, requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9)
    other = optim.SGD([tg.zeros(3, requires_grad=True)], lr=0.1, momentum=0.9)
    other.param_groups[0]["params"][0].grad = tg.ones(3)
    other.step()
    with pytest.raises(ValueError, match="momentum_buffer.*shape \\(3,\\).*shape \\(2,\\)"):
        optimizer.load_state_dict(other.state_dict())
    two_groups = optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.1)
    two_groups.add_param_group({"params": [tg.zeros(2, requires_grad=True)]})
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optimizer.load_state_dict(two_groups.state_dict())
    bigger = optim.SGD([tg.zeros(2, requires_grad=True), tg.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="doesn't match the size"):
        optimizer.load_state_dict(bigger.state_dict())


def test_load_state_dict_copies_states_and_casts_them_to_the_parameter_dtype():
    source = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    saved_by = optim.Adam([source], lr=0.1)
    source.grad = tg.tensor([0.3, -0.7], dtype=tg.float64)
    saved_by.step()
    saved = saved_by.state_dict()["state"][0]
    param = tg.tensor([1.0, 2.0], requires_grad=True)  # float32
    optimizer = optim.Adam([param], lr=0.1)
    optimizer.load_state_dict(saved_by.state_dict())
    state = optimizer.state[param]
    assert state["exp_avg"].dtype == tg.float32  # cast to the parameter's dtype, as PyTorch
    np.testing.assert_array_equal(
        state["exp_avg"].numpy(), saved["exp_avg"].numpy().astype(np.float32)
    )
    assert state["step"].dtype == saved["step"].dtype  # the step counter keeps its own
    with tg.no_grad():
        saved["step"].add_(1)
        saved["exp_avg_sq"].mul_(0)
    assert state["step"].item() == 1.0 and state["exp_avg_sq"].numpy().min() > 0  # copies


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # PyTorch's too
def test_step_uses_the_values_of_a_create_graph_gradient():
    p = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    (p**3).sum().backward(create_graph=True)
    assert p.grad.requires_grad  # the gradient has a graph of its own: 3p²
    optim.SGD([p], lr=0.1, momentum=0.5).step()
    np.testing.assert_array_equal(p.detach().numpy(), [1.0 - 0.1 * 3.0, 2.0 - 0.1 * 12.0])


def test_adagrad_makes_the_state_of_a_parameter_added_later():
    a = tg.tensor([1.0], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([1.0, 1.0], dtype=tg.float64, requires_grad=True)
    optimizer = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
    assert optimizer.state[a]["sum"].tolist() == [0.5]  # made at construction, as PyTorch
    optimizer.add_param_group({"params": [b]})
    assert b not in optimizer.state
    b.grad = tg.tensor([2.0, -1.0], dtype=tg.float64)
    optimizer.step()
    assert optimizer.state[b]["step"].item() == 1.0
    assert optimizer.state[b]["sum"].tolist() == [4.5, 1.5]  # 0.5 + g²
    expected = [1 - 0.1 * 2.0 / (math.sqrt(4.5) + 1e-10), 1 + 0.1 / (math.sqrt(1.5) + 1e-10)]
    np.testing.assert_allclose(b.detach().numpy(), expected, rtol=1e-15)


# ---------------------------------------------------------------- bad input
def test_parameter_errors():
    leaf = tg.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf.*shape \\(3,\\)"):
        optim.Adam([leaf * 2])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(leaf, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [leaf]}, {"params": [leaf]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([leaf, leaf], lr=0.1)
    # like PyTorch, a tensor that does not require grad is accepted (and never has a grad)
    assert optim.SGD([tg.ones(2)], lr=0.1).param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: optim.SGD(p, lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires"),
        (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator"),
    ],
)
def test_invalid_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message.replace("(", "\\(").replace(")", "\\)")):
        make([tg.ones(2, requires_grad=True)])
