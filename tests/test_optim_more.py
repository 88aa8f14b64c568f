"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS: PyTorch parity for every option,
state dicts interchangeable with PyTorch's, hand-computed steps, errors; the options that only
choose PyTorch's kernel; ``nn.utils.clip_grad_value_``."""

import itertools
import math

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn as nn
import tensorgrad.optim as optim

RNG = np.random.default_rng(4321)
X, Y = RNG.normal(size=(8, 4)), RNG.normal(size=(8, 3))
W0, B0 = RNG.normal(size=(3, 4)), RNG.normal(size=3)
STEPS = 10  # RAdam's rectified branch starts at step 6


def _grid(**options):
    """Every combination of the given option values, as keyword dicts."""
    keys = list(options)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*options.values())]


CASES = (
    [
        ("Adadelta", kw)
        for kw in _grid(
            lr=[1.0, 0.5], rho=[0.9, 0.3], weight_decay=[0.0, 0.1], maximize=[False, True]
        )
    ]
    + [
        ("Adamax", kw)
        for kw in _grid(
            lr=[0.05],
            betas=[(0.9, 0.999), (0.3, 0.8)],  # beta1 < 0.5 takes lerp's other branch
            eps=[1e-8, 0.5],  # a large eps wins the max(beta2 * u, |g| + eps)
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
    ]
    + [
        ("NAdam", kw)
        for kw in _grid(
            lr=[0.05],
            betas=[(0.9, 0.999), (0.3, 0.8)],
            weight_decay=[0.0, 0.1],
            momentum_decay=[4e-3, 0.1],
            decoupled_weight_decay=[False, True],
            maximize=[False, True],
        )
    ]
    + [
        ("RAdam", kw)
        for kw in _grid(
            lr=[0.05],
            betas=[(0.9, 0.999), (0.3, 0.8)],
            weight_decay=[0.0, 0.1],
            decoupled_weight_decay=[False, True],
            maximize=[False, True],
        )
    ]
    + [
        ("ASGD", kw)
        for kw in _grid(
            lr=[0.01, 0.05],
            lambd=[1e-4, 0.1],
            alpha=[0.75, 0.5],
            t0=[1e6, 3],  # averaging starts after step t0
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
    ]
    + [
        ("Rprop", kw)
        for kw in _grid(
            lr=[0.01, 0.05],
            etas=[(0.5, 1.2), (0.3, 1.5)],
            step_sizes=[(1e-6, 50), (0.01, 0.04)],  # the second clamps both ways
            maximize=[False, True],
        )
    ]
)
NAMES = ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"]


def _least_squares(module, make_optimizer, steps: int = STEPS):
    """``steps`` steps of least squares from W0, B0; returns the final arrays and optimizer."""
    W = module.tensor(W0.copy(), requires_grad=True)
    b = module.tensor(B0.copy(), requires_grad=True)
    x, y = module.tensor(X), module.tensor(Y)
    optimizer = make_optimizer([W, b])
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((x @ W.T + b - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    return [W.detach().numpy().copy(), b.detach().numpy().copy()], optimizer


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_steps_match_pytorch(name, options):
    torch = _torch()
    ours, _ = _least_squares(tg, lambda p: getattr(optim, name)(p, **options))
    theirs, _ = _least_squares(torch, lambda p: getattr(torch.optim, name)(p, **options))
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[0], W0)  # the steps did move the weights


def _mlp(module, make_optimizer, steps: int = 5):
    """A 4-5-2 tanh MLP on fixed data (float64), ``steps`` steps; returns its parameters."""
    package = nn if module is tg else module.nn
    model = package.Sequential(package.Linear(4, 5), package.Tanh(), package.Linear(5, 2))
    model.to(module.float64)
    init = np.random.default_rng(7)
    with module.no_grad():
        for param in model.parameters():
            param.copy_(module.tensor(init.normal(size=tuple(param.shape))))
    x, y = module.tensor(X), module.tensor(Y[:, :2])
    optimizer = make_optimizer(list(model.parameters()))
    for _ in range(steps):
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("name", NAMES)
def test_an_mlp_matches_pytorch_after_five_steps(name):
    torch = _torch()
    ours = _mlp(tg, lambda p: getattr(optim, name)(p, lr=0.05))
    theirs = _mlp(torch, lambda p: getattr(torch.optim, name)(p, lr=0.05))
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_their_own_lr_match_pytorch(name):
    torch = _torch()

    def make(package):
        return lambda p: getattr(package, name)([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.3}])

    ours, _ = _least_squares(tg, make(optim))
    theirs, _ = _least_squares(torch, make(torch.optim))
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- state dicts
def _to_torch(value, torch):
    """A tensorgrad state dict's value with every Tensor turned into PyTorch's (or back)."""
    if isinstance(value, dict):
        return {key: _to_torch(item, torch) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(item, torch) for item in value)
    if isinstance(value, tg.Tensor):
        return torch.tensor(value.numpy())
    if isinstance(value, torch.Tensor):
        return tg.tensor(value.numpy())
    return value


@pytest.mark.parametrize("name", [*NAMES, "LBFGS"])
def test_state_dict_layout_matches_pytorch(name):
    torch = _torch()
    saved = []
    for module, package in [(tg, optim), (torch, torch.optim)]:
        p = module.ones(2, requires_grad=True)
        frozen = module.ones(2, requires_grad=True)
        optimizer = getattr(package, name)([p, frozen], lr=0.1)

        def closure(p=p, optimizer=optimizer):
            optimizer.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        for _ in range(2):
            optimizer.step(closure)
        saved.append(optimizer.state_dict())
    ours, theirs = saved
    assert set(ours["param_groups"][0]) == set(theirs["param_groups"][0])
    assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"] == [0, 1]
    assert sorted(ours["state"]) == sorted(theirs["state"]) == [0]
    mine, reference = ours["state"][0], theirs["state"][0]
    assert sorted(mine) == sorted(reference)
    for key, value in reference.items():
        if isinstance(value, torch.Tensor):  # the same dtype (a float32 step), shape, values
            assert str(mine[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
            assert tuple(mine[key].shape) == tuple(value.shape), key
            np.testing.assert_allclose(mine[key].numpy(), value.numpy(), rtol=1e-6, err_msg=key)
        elif isinstance(value, list):
            assert len(mine[key]) == len(value), key
        else:
            assert mine[key] == pytest.approx(value), key


def _resume(module, package, name, options, state):
    """Rebuild the half-way parameters, load ``state`` and run the second half of the steps."""
    half, _ = _least_squares(module, lambda p: getattr(package, name)(p, **options), STEPS // 2)
    W = module.tensor(half[0], requires_grad=True)
    b = module.tensor(half[1], requires_grad=True)
    optimizer = getattr(package, name)([W, b], **options)
    optimizer.load_state_dict(state)
    x, y = module.tensor(X), module.tensor(Y)
    for _ in range(STEPS - STEPS // 2):
        optimizer.zero_grad()
        ((x @ W.T + b - y) ** 2).mean().backward()
        optimizer.step()
    return [W.detach().numpy(), b.detach().numpy()]


@pytest.mark.parametrize("name", NAMES)
def test_state_dicts_are_interchangeable_with_pytorchs(name):
    """PyTorch's state dict (its Tensors converted) resumes our optimizer mid-run, ours
    resumes PyTorch's, and both go on as PyTorch resumed from its own. (Loading casts every
    state but ``step`` to the parameter's dtype, NAdam's float32 ``mu_product`` too, in both.)
    """
    torch = _torch()
    options = {"lr": 0.05}

    def state_after_half(module, package):
        make = lambda p: getattr(package, name)(p, **options)  # noqa: E731
        return _least_squares(module, make, steps=STEPS // 2)[1].state_dict()

    torch_state = state_after_half(torch, torch.optim)
    # converted first: PyTorch's load_state_dict keeps (and steps) the Tensors it is given
    converted = _to_torch(torch_state, torch)
    ours_for_torch = _to_torch(state_after_half(tg, optim), torch)
    reference = _resume(torch, torch.optim, name, options, torch_state)
    for got in (
        _resume(tg, optim, name, options, converted),
        _resume(torch, torch.optim, name, options, ours_for_torch),
    ):
        for mine, expected in zip(got, reference, strict=True):
            np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("default", [tg.float32, tg.float64])
def test_scalar_states_take_pytorchs_scalar_dtype(default):
    """NAdam's mu_product and ASGD's eta and mu are rounded to float32 under a float32
    default dtype (PyTorch's ``_get_scalar_dtype``), float64 under float64."""
    previous = tg.get_default_dtype()
    tg.set_default_dtype(default)
    try:
        p = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
        nadam, asgd = optim.NAdam([p]), optim.ASGD([tg.zeros(1, requires_grad=True)], lr=0.1)
        p.grad = tg.ones(2, dtype=tg.float64)
        nadam.step()
        asgd.param_groups[0]["params"][0].grad = tg.ones(1)
        asgd.step()
    finally:
        tg.set_default_dtype(previous)
    mu_product = nadam.state[p]["mu_product"]
    eta = next(iter(asgd.state.values()))["eta"]
    assert mu_product.dtype == eta.dtype == default
    mu = 0.9 * (1 - 0.5 * 0.96**0.004)
    assert mu_product.item() == float(np.asarray(mu, dtype=np.dtype(str(default).split(".")[-1])))
    assert eta.item() == pytest.approx(0.1 / (1 + 1e-4 * 0.1) ** 0.75, rel=1e-7)


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


def test_adadelta_by_hand():
    rho, eps, lr = 0.9, 1e-6, 1.0
    got = _steps_with_gradients(optim.Adadelta, [0.5, -1.0], rho=rho)
    p, v, u, expected = 1.0, 0.0, 0.0, []
    for g in [0.5, -1.0]:
        v = rho * v + (1 - rho) * g * g
        delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p -= lr * delta
        expected.append(p)
    assert got == pytest.approx(expected, rel=1e-14)


def test_adamax_by_hand():
    got = _steps_with_gradients(optim.Adamax, [0.5, -2.0], lr=0.1)
    # step 1: m = 0.05, u = 0.5 (+eps): p = 1 - 0.1 / 0.1 * 0.05 / 0.5
    first = 1 - 0.1 / (1 - 0.9) * 0.05 / (0.5 + 1e-8)
    # step 2: m = 0.045 - 0.2 = -0.155, u = max(0.4995, 2 + eps)
    second = first - 0.1 / (1 - 0.81) * -0.155 / (2 + 1e-8)
    assert got == pytest.approx([first, second], rel=1e-13)


def test_radam_takes_plain_momentum_steps_until_rho_exceeds_5():
    got = _steps_with_gradients(optim.RAdam, [1.0] * 6, lr=0.1)
    # a constant gradient: m_hat = 1, so the first five steps move exactly lr each
    assert got[:5] == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5], rel=1e-13)
    rho_inf = 2 / 0.001 - 1
    rho = rho_inf - 2 * 6 * 0.999**6 / (1 - 0.999**6)
    rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    # m_hat = 1 and v = 1 - 0.999^6 = bias_correction2: the adaptive factor is ~1
    root = math.sqrt(1 - 0.999**6)
    assert got[5] == pytest.approx(0.5 - 0.1 * rect * root / (root + 1e-8), rel=1e-12)


def test_asgd_keeps_the_average_of_the_iterates_after_t0():
    p = tg.tensor([0.0], dtype=tg.float64, requires_grad=True)
    optimizer = optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    iterates = []
    for _ in range(6):
        p.grad = tg.tensor([-1.0], dtype=tg.float64)
        optimizer.step()
        iterates.append(p.item())
    # plain SGD with eta = lr (lambd = 0), eta kept in float32 as in PyTorch
    assert iterates == pytest.approx([0.1 * k for k in range(1, 7)], rel=1e-7)
    # mu = 1 / max(1, t - t0) after step t: ax copies p through step t0 + 2 = 4, then
    # averages, so ax is the mean of the iterates from step 4 on
    average = optimizer.state[p]["ax"].item()
    assert average == pytest.approx(np.mean(iterates[3:]), rel=1e-7)  # mu is float32 too


def test_rprop_grows_shrinks_and_skips_after_a_sign_flip():
    p = tg.tensor([0.0, 0.0], dtype=tg.float64, requires_grad=True)
    optimizer = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0))
    trail = []
    for g in ([1.0, 1.0], [1.0, -1.0], [1.0, -1.0], [1.0, 0.0]):
        p.grad = tg.tensor(g, dtype=tg.float64)
        optimizer.step()
        trail.append(p.tolist())
    # first coordinate: steps of 0.1, 0.2, 0.4, 0.8 against the gradient's sign
    assert [x for x, _ in trail] == pytest.approx([-0.1, -0.3, -0.7, -1.5])
    # second: -0.1; the flip halves the step and skips the move; next move 0.05 (no flip:
    # the skipped gradient was stored as 0); a zero gradient does not move
    assert [y for _, y in trail] == pytest.approx([-0.1, -0.1, -0.05, -0.05])
    assert optimizer.state[p]["step_size"].tolist() == pytest.approx([0.8, 0.05])


# ---------------------------------------------------------------- LBFGS
def _rosenbrock_run(module, package, steps=1, **options):
    """LBFGS on a 3-d Rosenbrock plus a 2x2 matrix term, with a parameter that gets no grad."""
    x = module.tensor(np.array([-1.5, 2.0, 0.5]), requires_grad=True)
    w = module.tensor(np.array([[0.3, -0.2], [0.1, 0.4]]), requires_grad=True)
    unused = module.tensor(np.array([1.0]), requires_grad=True)
    optimizer = package.LBFGS([x, w, unused], **options)

    def closure():
        optimizer.zero_grad()
        loss = (
            (1 - x[0]) ** 2
            + 100 * (x[1] - x[0] ** 2) ** 2
            + (1 - x[1]) ** 2
            + 100 * (x[2] - x[1] ** 2) ** 2
            + ((w @ w - 0.5) ** 2).sum()
        )
        loss.backward()
        return loss

    # each step returns the loss at its start; the last entry is the loss after the steps
    losses = [float(optimizer.step(closure).detach()) for _ in range(steps)]
    losses.append(float(closure().detach()))
    state = optimizer.state[x]
    return {
        "x": x.detach().numpy().copy(),
        "w": w.detach().numpy().copy(),
        "losses": losses,
        "counts": (state["func_evals"], state["n_iter"]),
        "keys": sorted(state),
    }


LBFGS_CASES = [
    ({"lr": 0.05}, 3),
    ({"lr": 0.01, "history_size": 3, "max_iter": 7}, 4),  # the history is full and shifts
    ({"lr": 1, "line_search_fn": "strong_wolfe"}, 1),
    ({"lr": 1, "line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 8}, 2),
    ({"lr": 0.5, "line_search_fn": "strong_wolfe", "max_eval": 6}, 2),  # stops on max_eval
    ({"lr": 1, "line_search_fn": "strong_wolfe", "tolerance_change": 1e-2}, 2),
]


@pytest.mark.parametrize(("options", "steps"), LBFGS_CASES, ids=[str(c) for c, _ in LBFGS_CASES])
def test_lbfgs_matches_pytorch_on_rosenbrock(options, steps):
    torch = _torch()
    ours = _rosenbrock_run(tg, optim, steps, **options)
    theirs = _rosenbrock_run(torch, torch.optim, steps, **options)
    assert ours["counts"] == theirs["counts"]  # the same evaluations and iterations
    assert ours["keys"] == theirs["keys"]
    np.testing.assert_allclose(ours["x"], theirs["x"], rtol=1e-10)
    np.testing.assert_allclose(ours["w"], theirs["w"], rtol=1e-10)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-10)
    assert ours["losses"][-1] < ours["losses"][0]  # it did descend


def test_lbfgs_strong_wolfe_finds_rosenbrocks_minimum():
    got = _rosenbrock_run(tg, optim, steps=10, lr=1, line_search_fn="strong_wolfe")
    # it stops once the loss changes by less than tolerance_change (1e-9)
    np.testing.assert_allclose(got["x"], [1.0, 1.0, 1.0], atol=1e-5)
    assert got["losses"][-1] < 1e-9


def test_lbfgs_returns_at_once_from_an_optimum_and_checks_its_arguments():
    p = tg.tensor([0.0], dtype=tg.float64, requires_grad=True)
    optimizer = optim.LBFGS([p])
    calls = []

    def closure():
        calls.append(1)
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 0.0 and len(calls) == 1  # gradient 0: done
    assert optimizer.state[p] == {"func_evals": 1, "n_iter": 0}
    assert optimizer.param_groups[0]["max_eval"] == 25  # max_iter * 5 // 4
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [tg.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optimizer.add_param_group({"params": [tg.zeros(1, requires_grad=True)]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)
    with tg.no_grad():
        p.fill_(1.0)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([p], line_search_fn="armijo").step(closure)
    with pytest.raises(TypeError):
        optim.LBFGS([p]).step()  # the closure is required, as in PyTorch


def test_lbfgs_state_dict_round_trip_continues_identically():
    def run(steps, state=None):
        x = tg.tensor([-1.2, 1.0], dtype=tg.float64, requires_grad=True)
        if state is not None:
            with tg.no_grad():
                x.copy_(state[0])
        optimizer = optim.LBFGS([x], lr=1, max_iter=4, line_search_fn="strong_wolfe")
        if state is not None:
            optimizer.load_state_dict(state[1])

        def closure():
            optimizer.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss

        for _ in range(steps):
            optimizer.step(closure)
        return x.detach().clone(), optimizer.state_dict()

    straight, straight_state = run(4)
    halfway = run(2)
    resumed, saved = run(2, halfway)
    np.testing.assert_array_equal(resumed.numpy(), straight.numpy())
    assert saved["state"][0]["n_iter"] == straight_state["state"][0]["n_iter"] > 8
    assert isinstance(saved["state"][0]["old_dirs"], list)


# ---------------------------------------------------------------- options and errors
KERNEL_OPTIONS = {
    "SGD": ["foreach", "differentiable", "fused"],
    "Adam": ["foreach", "capturable", "differentiable", "fused"],
    "AdamW": ["foreach", "capturable", "differentiable", "fused"],
    "RMSprop": ["capturable", "foreach", "differentiable"],
    "Adagrad": ["foreach", "differentiable", "fused"],
    "Adadelta": ["foreach", "capturable", "differentiable"],
    "Adamax": ["foreach", "capturable", "differentiable"],
    "NAdam": ["foreach", "capturable", "differentiable"],
    "RAdam": ["foreach", "capturable", "differentiable"],
    "ASGD": ["foreach", "capturable", "differentiable"],
    "Rprop": ["foreach", "capturable", "differentiable"],
}


@pytest.mark.parametrize("name", sorted(KERNEL_OPTIONS))
def test_signatures_and_kernel_options_match_pytorch(name):
    import inspect

    torch = _torch()
    ours = inspect.signature(getattr(optim, name))
    theirs = inspect.signature(getattr(torch.optim, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]
    p = tg.zeros(2, requires_grad=True)
    chosen = {"foreach": True, "capturable": True, "fused": True}
    options = {k: chosen[k] for k in KERNEL_OPTIONS[name] if k != "differentiable"}
    if options.get("foreach") and options.get("fused"):
        del options["foreach"]
    optimizer = getattr(optim, name)([p], lr=0.1, **options)
    for key, value in options.items():
        assert optimizer.param_groups[0][key] is value
    plain = tg.zeros(2, requires_grad=True)
    reference = getattr(optim, name)([plain], lr=0.1)
    p.grad, plain.grad = tg.ones(2), tg.ones(2)
    optimizer.step()
    reference.step()
    np.testing.assert_array_equal(p.detach().numpy(), plain.detach().numpy())  # the same update
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        getattr(optim, name)([p], lr=0.1, differentiable=True)


def test_fused_with_foreach_or_differentiable_is_pytorchs_runtime_error():
    p = tg.zeros(2, requires_grad=True)
    for name in ("SGD", "Adam", "AdamW", "Adagrad"):
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
            getattr(optim, name)([p], lr=0.1, fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
            getattr(optim, name)([p], lr=0.1, fused=True, differentiable=True)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: optim.Adadelta(p, lr=-1), ValueError, "Invalid learning rate: -1"),
        (lambda p: optim.Adadelta(p, rho=1.5), ValueError, "Invalid rho value: 1.5"),
        (lambda p: optim.Adadelta(p, eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
        (lambda p: optim.Adadelta(p, weight_decay=-1), ValueError, "Invalid weight_decay value"),
        (lambda p: optim.Adamax(p, betas=(1.0, 0.9)), ValueError, "beta parameter at index 0"),
        (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), ValueError, "beta parameter at index 1"),
        (lambda p: optim.NAdam(p, momentum_decay=-1), ValueError, "Invalid momentum_decay value"),
        (lambda p: optim.NAdam(p, eps=-1), ValueError, "Invalid epsilon value: -1"),
        (lambda p: optim.RAdam(p, betas=(-0.1, 0.9)), ValueError, "index 0: -0.1"),
        (lambda p: optim.RAdam(p, weight_decay=-0.5), ValueError, "weight_decay value: -0.5"),
        (lambda p: optim.ASGD(p, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
        (lambda p: optim.ASGD(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
        (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), ValueError, "Invalid eta values: 1.5, 1.2"),
        (lambda p: optim.Rprop(p, etas=(0.5, 0.9)), ValueError, "Invalid eta values: 0.5, 0.9"),
        (lambda p: optim.Rprop(p, lr=-1), ValueError, "Invalid learning rate: -1"),
        (lambda p: optim.Adam(p, betas=(0, 0.9)), ValueError, "both floats or both Tensors"),
        (lambda p: optim.NAdam(p, maximise=True), TypeError, "maximise"),
    ],
)
def test_invalid_hyperparameters_raise_pytorchs_errors(make, error, message):
    with pytest.raises(error, match=message.replace("(", "\\(").replace(")", "\\)")):
        make([tg.ones(2, requires_grad=True)])


def test_adam_accepts_two_tensor_betas_as_floats():
    p = tg.zeros(2, requires_grad=True)
    optimizer = optim.Adam([p], betas=(tg.tensor(0.8), tg.tensor(0.9)))
    assert optimizer.param_groups[0]["betas"] == pytest.approx((0.8, 0.9))


# ---------------------------------------------------------------- clip_grad_value_
@pytest.mark.parametrize("clip_value", [0.5, 2, -1.0])
def test_clip_grad_value_matches_pytorch(clip_value):
    torch = _torch()
    grads = [np.array([[-3.0, 0.2], [np.nan, 1.5]]), np.array([0.7, -0.1, -np.inf])]
    results = []
    for module, utils in [(tg, nn.utils), (torch, torch.nn.utils)]:
        params = [module.zeros(*g.shape, dtype=module.float64, requires_grad=True) for g in grads]
        for param, grad in zip(params, grads, strict=True):
            param.grad = module.tensor(grad)
        no_grad = module.zeros(2, requires_grad=True)
        assert utils.clip_grad_value_(iter([*params, no_grad]), clip_value) is None
        assert no_grad.grad is None
        single = module.tensor([5.0, -5.0], requires_grad=True)
        single.grad = module.tensor([5.0, -5.0])
        utils.clip_grad_value_(single, clip_value)
        results.append([p.grad.numpy().copy() for p in [*params, single]])
    for mine, reference in zip(*results, strict=True):
        np.testing.assert_array_equal(mine, reference)
