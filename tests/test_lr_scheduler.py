"""Learning-rate schedulers: lr sequences against PyTorch and against closed forms."""

import math
import warnings

import pytest

import tensorgrad as tg
import tensorgrad.optim as optim
from tensorgrad.optim import lr_scheduler

EPOCHS = 20


class Halving:
    """A callable object (its state survives state_dict, unlike a lambda's)."""

    def __init__(self):
        self.rate = 0.5

    def __call__(self, epoch):
        return self.rate**epoch


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),  # goes past T_max: climbs back
    ("CosineAnnealingLR", {"T_max": 20}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (1 + epoch)}),
    ("LambdaLR", {"lr_lambda": [lambda epoch: 0.9**epoch, lambda epoch: epoch % 4]}),
]


def _lr_sequence(module, name, kwargs, epochs=EPOCHS):
    """get_last_lr() after construction and after each of ``epochs`` steps (two groups)."""
    a, b = module.zeros(2, requires_grad=True), module.zeros(1, requires_grad=True)
    package = optim if module is tg else module.optim
    optimizer = package.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    scheduler = getattr(package.lr_scheduler, name)(optimizer, **kwargs)
    lrs = [list(scheduler.get_last_lr())]
    for _ in range(epochs):
        a.grad, b.grad = module.ones(2), module.ones(1)
        optimizer.step()
        scheduler.step()
        lrs.append(list(scheduler.get_last_lr()))
        assert lrs[-1] == [group["lr"] for group in optimizer.param_groups]
    return lrs, scheduler.last_epoch


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_lr_sequence_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, our_epoch = _lr_sequence(tg, name, kwargs)
    theirs, their_epoch = _lr_sequence(torch, name, kwargs)
    assert our_epoch == their_epoch == EPOCHS
    assert len(ours) == len(theirs) == EPOCHS + 1
    assert ours == theirs  # the same formulas in the same order: equal to the last bit


def test_sequences_by_closed_form():
    lrs, last_epoch = _lr_sequence(tg, "StepLR", {"step_size": 3, "gamma": 0.5}, epochs=7)
    assert last_epoch == 7
    assert [lr for lr, _ in lrs] == pytest.approx([0.1 * 0.5 ** (e // 3) for e in range(8)])
    lrs, _ = _lr_sequence(tg, "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}, epochs=10)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    assert [lr for lr, _ in lrs] == pytest.approx(expected, rel=1e-12)
    lrs, _ = _lr_sequence(tg, "MultiStepLR", {"milestones": [2, 4, 4]}, epochs=5)
    assert [lr for _, lr in lrs] == pytest.approx([0.5, 0.5, 0.05, 0.05, 0.0005, 0.0005])


def test_construction_records_initial_lr_and_resumes():
    p = tg.zeros(1, requires_grad=True)
    optimizer = optim.SGD([p], lr=1.0)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == [1.0]
    for _ in range(3):
        scheduler.step()
    assert optimizer.param_groups[0]["initial_lr"] == 1.0
    assert optimizer.param_groups[0]["lr"] == 0.125
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3

    resumed_optimizer = optim.SGD([p], lr=1.0)
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed = lr_scheduler.ExponentialLR(resumed_optimizer, gamma=0.5, last_epoch=2)
    resumed.load_state_dict(state)
    resumed.step()
    scheduler.step()
    assert resumed.get_last_lr() == scheduler.get_last_lr() == [0.0625]
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(optim.SGD([p], lr=1.0), step_size=2, last_epoch=4)


def test_step_with_epoch_uses_the_closed_form():
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(5)
    assert scheduler.last_epoch == 5 and scheduler.get_last_lr() == [pytest.approx(0.01)]


def test_lambda_state_dict_keeps_callable_objects_only():
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    halving = Halving()
    scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda=halving)
    halving.rate = 0.25
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.25}]
    halving.rate = 0.5
    scheduler.load_state_dict(state)
    scheduler.step()
    assert halving.rate == 0.25 and scheduler.get_last_lr() == [0.25]
    as_function = lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda e: 1.0)
    assert as_function.state_dict()["lr_lambdas"] == [None]


METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.7]
PLATEAU = [
    {},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"patience": 1, "threshold": 0.2, "threshold_mode": "abs", "cooldown": 2},
    {"mode": "max", "patience": 0, "threshold_mode": "abs", "min_lr": [0.02, 0.3]},
    {"patience": 2, "factor": 0.5, "min_lr": 0.01, "eps": 0.03},
]


def _plateau_sequence(module, kwargs):
    package = optim if module is tg else module.optim
    a, b = module.zeros(2, requires_grad=True), module.zeros(1, requires_grad=True)
    optimizer = package.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    scheduler = package.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
    lrs = [list(scheduler.get_last_lr())]
    for metric in METRICS:
        scheduler.step(module.tensor(metric))
        lrs.append(list(scheduler.get_last_lr()))
    return lrs, (scheduler.best, scheduler.num_bad_epochs, scheduler.last_epoch)


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    ours, our_state = _plateau_sequence(tg, kwargs)
    theirs, their_state = _plateau_sequence(torch, kwargs)
    assert ours == theirs
    assert our_state == pytest.approx(their_state)


def test_reduce_lr_on_plateau_by_hand():
    lrs, (best, bad, last_epoch) = _plateau_sequence(tg, {"patience": 2, "factor": 0.5})
    first_group = [lr for lr, _ in lrs]
    # epochs 3-5 are bad (0.95 vs 0.9): the third one (> patience) halves the lr at epoch 5;
    # 0.8 improves at 6, 7-9 are bad -> cut at 9; 0.7 improves at 12, 13-15 bad -> cut at 15
    assert first_group[:6] == [0.1] * 5 + [0.05]
    assert first_group[6:10] == [0.05] * 3 + [0.025]
    assert first_group[10:] == [0.025] * 5 + [0.0125]
    assert best == pytest.approx(0.7) and last_epoch == len(METRICS) and bad == 0


def test_scheduler_errors():
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR("sgd", step_size=1)
    with pytest.raises(ValueError, match="expected 1 lr_lambdas, but got 2"):
        lr_scheduler.LambdaLR(optimizer, [lambda e: 1, lambda e: 1])
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(optimizer, factor=1.5)
    with pytest.raises(ValueError, match="mode 'best' is unknown"):
        lr_scheduler.ReduceLROnPlateau(optimizer, mode="best")
    with pytest.raises(ValueError, match="threshold mode 'ratio' is unknown"):
        lr_scheduler.ReduceLROnPlateau(optimizer, threshold_mode="ratio")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        lr_scheduler.ReduceLROnPlateau(optimizer, min_lr=[0.1, 0.2])


# ---------------------------------------------------------------- warm-ups, cycles, combinations
def _schedules(L, optimizer):
    """id -> a function making the scheduler from a lr_scheduler package and an optimizer."""
    return {
        "ConstantLR": lambda: L.ConstantLR(optimizer, factor=0.5, total_iters=4),
        "LinearLR-up": lambda: L.LinearLR(optimizer, start_factor=0.25, total_iters=6),
        "LinearLR-down": lambda: L.LinearLR(
            optimizer, start_factor=1.0, end_factor=0.1, total_iters=8
        ),
        "PolynomialLR": lambda: L.PolynomialLR(optimizer, total_iters=8, power=2.0),
        "PolynomialLR-default": lambda: L.PolynomialLR(optimizer),
        "WarmRestarts": lambda: L.CosineAnnealingWarmRestarts(optimizer, T_0=5),
        "WarmRestarts-T_mult": lambda: L.CosineAnnealingWarmRestarts(
            optimizer, T_0=3, T_mult=2, eta_min=0.01
        ),
        "CyclicLR": lambda: L.CyclicLR(optimizer, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4),
        "CyclicLR-triangular2": lambda: L.CyclicLR(
            optimizer, 0.01, 0.1, step_size_up=3, step_size_down=5, mode="triangular2"
        ),
        "CyclicLR-exp_range": lambda: L.CyclicLR(
            optimizer, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9
        ),
        "CyclicLR-scale_fn": lambda: L.CyclicLR(
            optimizer,
            [0.01, 0.02],
            0.1,
            step_size_up=2,
            scale_fn=lambda x: 1 / (1 + x),
            scale_mode="iterations",
            base_momentum=[0.7, 0.75],
            max_momentum=0.95,
        ),
        "CyclicLR-no-momentum": lambda: L.CyclicLR(
            optimizer, 0.01, 0.1, step_size_up=5, cycle_momentum=False
        ),
        "OneCycleLR": lambda: L.OneCycleLR(optimizer, max_lr=[0.1, 0.3], total_steps=30),
        "OneCycleLR-linear-three-phase": lambda: L.OneCycleLR(
            optimizer,
            max_lr=0.1,
            epochs=6,
            steps_per_epoch=5,
            pct_start=0.25,
            anneal_strategy="linear",
            three_phase=True,
            div_factor=10.0,
            final_div_factor=100.0,
            base_momentum=[0.8, 0.85],
        ),
        "OneCycleLR-no-momentum": lambda: L.OneCycleLR(
            optimizer, max_lr=0.1, total_steps=31, cycle_momentum=False
        ),
        "SequentialLR": lambda: L.SequentialLR(
            optimizer,
            [
                L.LinearLR(optimizer, start_factor=0.1, total_iters=5),
                L.CosineAnnealingLR(optimizer, T_max=10),
                L.StepLR(optimizer, step_size=4),
            ],
            milestones=[5, 15],
        ),
        "SequentialLR-one": lambda: L.SequentialLR(
            optimizer, [L.ExponentialLR(optimizer, gamma=0.9)], milestones=[]
        ),
        "ChainedScheduler": lambda: L.ChainedScheduler(
            [L.ConstantLR(optimizer, factor=0.5, total_iters=4), L.ExponentialLR(optimizer, 0.9)]
        ),
        "Chained-in-Sequential": lambda: L.SequentialLR(
            optimizer,
            [
                L.ChainedScheduler(
                    [L.LinearLR(optimizer, 0.5, total_iters=3), L.ExponentialLR(optimizer, 0.95)]
                ),
                L.PolynomialLR(optimizer, total_iters=10),
            ],
            milestones=[8],
        ),
    }


MORE = list(_schedules(lr_scheduler, None))


def _trajectory(module, name, optimizer_name="SGD", epochs=30, restart_at=None):
    """(lrs, momentum, betas) of both groups after construction and each step; optionally a
    fresh scheduler resumes with ``last_epoch=restart_at`` after ``restart_at`` steps."""
    package = optim if module is tg else module.optim
    a, b = module.zeros(2, requires_grad=True), module.zeros(1, requires_grad=True)
    optimizer = getattr(package, optimizer_name)([{"params": [a]}, {"params": [b], "lr": 0.5}])
    scheduler = _schedules(package.lr_scheduler, optimizer)[name]()

    def record():
        groups = optimizer.param_groups
        return (
            list(scheduler.get_last_lr()),
            [group.get("momentum") for group in groups],
            [group.get("betas") for group in groups],
        )

    path = [record()]
    for epoch in range(1, epochs + 1):
        a.grad, b.grad = module.ones(2), module.ones(1)
        optimizer.step()
        scheduler.step()
        path.append(record())
        if epoch == restart_at:
            kwargs = {"last_epoch": restart_at}
            scheduler = type(scheduler)(optimizer, **_ARGUMENTS[name], **kwargs)
            path.append(record())
    return path, scheduler


# PyTorch warns when SequentialLR restarts a ChainedScheduler before the first optimizer step
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
@pytest.mark.parametrize("name", MORE)
def test_more_lr_sequences_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, our_scheduler = _trajectory(tg, name)
    theirs, their_scheduler = _trajectory(torch, name)
    assert ours == theirs  # lrs and momentum, to the last bit
    assert len({tuple(lrs) for lrs, _, _ in ours}) > 1  # the schedule does move
    assert set(our_scheduler.state_dict()) == set(their_scheduler.state_dict())


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR", "OneCycleLR-linear-three-phase"])
@pytest.mark.parametrize("optimizer_name", ["Adam", "NAdam", "RMSprop"])
def test_cycled_momentum_is_beta1_or_momentum_as_in_pytorch(name, optimizer_name):
    torch = pytest.importorskip("torch")
    ours, _ = _trajectory(tg, name, optimizer_name)
    theirs, _ = _trajectory(torch, name, optimizer_name)
    assert ours == theirs
    betas = [betas for _, _, betas in ours]
    if optimizer_name == "RMSprop":
        assert len({momentum[0] for _, momentum, _ in ours}) > 3
    else:
        assert len({pair[0][0] for pair in betas}) > 3 and {pair[0][1] for pair in betas} == {0.999}


# the keyword arguments each resumable schedule is remade with in the last_epoch test
_ARGUMENTS = {
    "ConstantLR": {"factor": 0.5, "total_iters": 12},
    "LinearLR-up": {"start_factor": 0.25, "total_iters": 14},
    "PolynomialLR": {"total_iters": 16, "power": 2.0},
    "WarmRestarts-T_mult": {"T_0": 3, "T_mult": 2, "eta_min": 0.01},
    "CyclicLR": {"base_lr": 0.01, "max_lr": [0.1, 0.2], "step_size_up": 4},
    "OneCycleLR": {"max_lr": [0.1, 0.3], "total_steps": 30},
}


@pytest.mark.parametrize("name", sorted(_ARGUMENTS))
def test_a_scheduler_made_with_last_epoch_resumes_as_in_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, _ = _trajectory(tg, name, epochs=24, restart_at=10)
    theirs, _ = _trajectory(torch, name, epochs=24, restart_at=10)
    assert ours == theirs


@pytest.mark.parametrize("name", MORE)
def test_state_dict_round_trip_resumes_the_sequence(name):
    """Save optimizer and scheduler after 12 steps, load both into fresh ones, step on."""

    def fresh():
        a, b = tg.zeros(2, requires_grad=True), tg.zeros(1, requires_grad=True)
        optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        return optimizer, _schedules(lr_scheduler, optimizer)[name]()

    def run(optimizer, scheduler, steps):
        lrs = []
        for _ in range(steps):
            optimizer.step()
            scheduler.step()
            lrs.append(list(scheduler.get_last_lr()))
        return lrs

    optimizer, scheduler = fresh()
    run(optimizer, scheduler, 12)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved_scheduler
    expected = run(optimizer, scheduler, 12)

    optimizer, scheduler = fresh()
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    assert run(optimizer, scheduler, 12) == expected


def test_warm_restarts_with_fractional_epochs_match_pytorch():
    torch = pytest.importorskip("torch")
    epochs = [0.0, 0.5, 1.25, 2.9, 3.0, 4.5, 7.1, 9.0, 9.2, 20.0, 21.5, 2.0, 45.75]
    lrs = []
    for module in (tg, torch):
        package = optim if module is tg else module.optim
        optimizer = package.SGD([module.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = package.lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=3, T_mult=2, eta_min=0.001
        )
        seen = []
        for epoch in epochs:
            optimizer.step()
            scheduler.step(epoch)
            seen.append((scheduler.get_last_lr(), scheduler.T_cur, scheduler.T_i))
            seen.append(scheduler.last_epoch)
        lrs.append(seen)
    assert lrs[0] == lrs[1]
    # by hand: epoch 4.5 is 1.5 into the second period (T_i = 6)
    index = 2 * epochs.index(4.5)
    assert lrs[0][index][0][0] == pytest.approx(0.001 + 0.099 * (1 + math.cos(math.pi / 4)) / 2)
    assert lrs[0][index + 1] == 4  # last_epoch is the floor


def test_warm_restarts_and_one_cycle_by_hand():
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=4)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(8):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    half = [1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2]
    assert lrs == pytest.approx(half + half + [1.0])

    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs, momenta = [scheduler.get_last_lr()[0]], [optimizer.param_groups[0]["momentum"]]
    for _ in range(9):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        momenta.append(optimizer.param_groups[0]["momentum"])
    # warm up over steps 0..2 (end_step = 0.3 * 10 - 1) from 1/25 to 1, then down to 4e-6
    assert lrs[0] == pytest.approx(0.04) and lrs[2] == pytest.approx(1.0)
    assert lrs[9] == pytest.approx(0.04 / 1e4)
    assert momenta[0] == pytest.approx(0.95) and momenta[2] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total"):
        scheduler.step()
        scheduler.step()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ConstantLR", {"factor": 0.5, "total_iters": 4}),
        ("LinearLR", {"start_factor": 0.2, "total_iters": 5}),
        ("PolynomialLR", {"total_iters": 6, "power": 0.5}),
    ],
)
def test_step_with_epoch_uses_the_closed_form_as_in_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        package = optim if module is tg else module.optim
        optimizer = package.SGD([module.zeros(1, requires_grad=True)], lr=0.3)
        scheduler = getattr(package.lr_scheduler, name)(optimizer, **kwargs)
        seen = []
        for epoch in (2, 7, 3, 0, 5):
            optimizer.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                scheduler.step(epoch)
            seen.append(scheduler.get_last_lr())
        results.append(seen)
    assert results[0] == results[1]


def test_get_lr_outside_step_warns_like_pytorch():
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.LinearLR(optimizer)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()


def test_old_style_subclass_of_lrscheduler():
    class Halve(lr_scheduler._LRScheduler):  # PyTorch's old name, still subclassed by scripts
        def get_lr(self):
            return [base_lr * 0.5**self.last_epoch for base_lr in self.base_lrs]

    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = Halve(optimizer)
    scheduler.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.25] and isinstance(scheduler, lr_scheduler.LRScheduler)


def test_cyclic_lr_state_dict_keeps_a_callable_objects_scale_fn_only():
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    halving = Halving()
    scheduler = lr_scheduler.CyclicLR(optimizer, 0.1, 1.0, step_size_up=2, scale_fn=halving)
    halving.rate = 0.25
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.25}
    halving.rate = 0.5
    scheduler.load_state_dict(state)
    assert halving.rate == 0.25 and state["_scale_fn_custom"] == {"rate": 0.25}
    as_function = lr_scheduler.CyclicLR(optimizer, 0.1, 1.0, scale_fn=lambda x: 1.0)
    assert as_function.state_dict()["_scale_fn_custom"] is None


def _error_cases(module, package):
    """(make, exception type, message) for bad scheduler arguments, in ``package``'s optim."""
    L = package.lr_scheduler
    optimizer = package.SGD([module.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    other = L.StepLR(package.SGD([module.zeros(1, requires_grad=True)], lr=1.0), step_size=2)
    adagrad = package.Adagrad([module.zeros(1, requires_grad=True)])
    plateau = L.ReduceLROnPlateau(optimizer)
    return [
        (lambda: L.ConstantLR(optimizer, factor=1.5), ValueError, "between 0 and 1"),
        (lambda: L.LinearLR(optimizer, start_factor=0), ValueError, "greater than 0"),
        (lambda: L.LinearLR(optimizer, end_factor=1.5), ValueError, "Ending multiplicative"),
        (lambda: L.CosineAnnealingWarmRestarts(optimizer, T_0=0), ValueError, "positive integer"),
        (lambda: L.CosineAnnealingWarmRestarts(optimizer, T_0=2.5), ValueError, "T_0, but got"),
        (lambda: L.CosineAnnealingWarmRestarts(optimizer, 2, T_mult=0), ValueError, "T_mult >= 1"),
        (lambda: L.CosineAnnealingWarmRestarts(optimizer, 2, eta_min="0"), ValueError, "eta_min"),
        (lambda: L.CosineAnnealingWarmRestarts(optimizer, 2).step(-1), ValueError, "non-negative"),
        (lambda: L.CyclicLR(optimizer, 0.1, 1.0, mode="sine"), ValueError, "mode is invalid"),
        (lambda: L.CyclicLR(adagrad, 0.1, 1.0), ValueError, "must support momentum or beta1"),
        (lambda: L.CyclicLR(optimizer, [0.1, 0.2], 1.0), ValueError, "base_lr must have the same"),
        (lambda: L.CyclicLR("sgd", 0.1, 1.0), TypeError, "is not an Optimizer"),
        (lambda: L.OneCycleLR(optimizer, 1.0), ValueError, "You must define either total_steps"),
        (lambda: L.OneCycleLR(optimizer, 1.0, total_steps=0), ValueError, "total_steps, but got"),
        (lambda: L.OneCycleLR(optimizer, 1.0, epochs=2, steps_per_epoch=0), ValueError, "steps_p"),
        (lambda: L.OneCycleLR(optimizer, 1.0, 10, pct_start=1), ValueError, "pct_start"),
        (lambda: L.OneCycleLR(optimizer, 1.0, 10, anneal_strategy="cosine"), ValueError, "cos"),
        (lambda: L.OneCycleLR(adagrad, 1.0, 10), ValueError, "must support momentum or beta1"),
        (lambda: L.OneCycleLR("sgd", 1.0, 10), TypeError, "is not an Optimizer"),
        (lambda: L.SequentialLR(optimizer, [], []), ValueError, "at least one scheduler"),
        (lambda: L.SequentialLR(optimizer, [plateau], []), ValueError, "ReduceLROnPlateau"),
        (lambda: L.SequentialLR(optimizer, [other], []), ValueError, "the same optimizer"),
        (lambda: L.SequentialLR(optimizer, [object()], []), TypeError, "`optimizer` as its"),
        (
            lambda: L.SequentialLR(optimizer, [L.StepLR(optimizer, 2)], [3]),
            ValueError,
            "one more than the number of milestone points",
        ),
        (lambda: L.ChainedScheduler([]), ValueError, "at least one scheduler to be chained"),
        (lambda: L.ChainedScheduler([plateau]), ValueError, "ReduceLROnPlateau"),
        (lambda: L.ChainedScheduler([other], optimizer), ValueError, "the same optimizer"),
    ]


def test_scheduler_errors_are_pytorchs():
    """Each bad argument raises PyTorch's exception type, and PyTorch raises it too."""
    torch = pytest.importorskip("torch")
    for module, package in [(tg, optim), (torch, torch.optim)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's order-of-steps warnings
            for make, error, message in _error_cases(module, package):
                with pytest.raises(error, match=message):
                    make()
