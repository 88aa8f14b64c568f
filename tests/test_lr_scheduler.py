"""Learning-rate schedulers: lr sequences against PyTorch and against closed forms."""

import math

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
