"""Grad mode, inference mode, anomaly mode and graph scopes are per thread, as in PyTorch.

Every interleaving here is forced with a ``Barrier`` or ``Event``, so the tests are
deterministic: with a process-wide flag each of them fails every time, not just sometimes.
Scenarios that PyTorch shares run on both libraries (``lib`` is ``tensorgrad`` or ``torch``)
and must give the same literal answers.
"""

import threading

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.autograd import Function, grad_mode, graph
from tensorgrad.autograd import anomaly as anomaly_mode

TIMEOUT = 10.0  # seconds; only reached when a test is already failing


@pytest.fixture(params=["tensorgrad", "torch"])
def lib(request):
    """The library a shared scenario runs on; torch is the oracle."""
    if request.param == "torch":
        return pytest.importorskip("torch")
    return tg


class Background:
    """Run ``function`` on a new thread; ``result()`` joins and re-raises its exception."""

    def __init__(self, function, *args):
        self._outcome = {}
        self._thread = threading.Thread(target=self._run, args=(function, args), daemon=True)
        self._thread.start()

    def _run(self, function, args):
        try:
            self._outcome["value"] = function(*args)
        except BaseException as error:  # handed to the main thread by result()
            self._outcome["error"] = error

    def result(self):
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "thread did not finish"
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


def in_thread(function, *args):
    """Run ``function`` on a fresh thread and return its result."""
    return Background(function, *args).result()


def wait(event):
    assert event.wait(TIMEOUT), "timed out waiting for the other thread"


def records_square(lib):
    """Does this thread record? Returns (result.requires_grad, x.grad) for ``sum(x*x)``."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    if y.requires_grad:
        y.backward()
    return y.requires_grad, None if x.grad is None else x.grad.tolist()


RECORDED = (True, [2.0, 4.0, 6.0])


# ----------------------------------------------------------------------------- two trainings

STEPS = 30


def make_problem(seed):
    """A small MLP and its data, seeded with NumPy only (no shared global generator)."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    with tg.no_grad():
        for parameter in model.parameters():
            parameter.copy_(tg.tensor(rng.standard_normal(parameter.shape) * 0.5))
    x, x_val = (tg.tensor(rng.standard_normal((16, 4)), dtype=tg.float32) for _ in range(2))
    y, y_val = (tg.tensor(rng.standard_normal((16, 2)), dtype=tg.float32) for _ in range(2))
    return model, x, y, x_val, y_val


def check_grads(model):
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name}.grad missing"
        assert np.isfinite(parameter.grad.numpy()).all() and parameter.grad.abs().sum() > 0


def snapshot(model, losses):
    return [p.detach().numpy().copy() for p in model.parameters()], losses


def train_plain(seed, sync):
    """Plain training; its forward, backward and optimizer step each run while the other
    thread is parked inside a ``no_grad`` block (sync 1 to 3)."""
    model, x, y, _, _ = make_problem(seed)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(STEPS):
        sync()  # 1: the other thread has entered no_grad and waits
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        assert loss.requires_grad and tg.is_grad_enabled()
        sync()  # 2: the other thread toggles grad mode while this one steps
        loss.backward()
        check_grads(model)
        optimizer.step()
        losses.append(loss.item())
        sync()  # 3
    return snapshot(model, losses)


def train_toggling(seed, sync):
    """Each step's forward runs inside no_grad -> enable_grad, among no_grad, inference_mode
    and set_grad_enabled toggles and an evaluation pass."""
    model, x, y, x_val, y_val = make_problem(seed)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(STEPS):
        with tg.no_grad():
            sync()  # 1: the other thread runs its forward while this one is in no_grad
            assert not tg.is_grad_enabled()
            sync()  # 2
            val_loss = nn.functional.mse_loss(model(x_val), y_val)
            assert not val_loss.requires_grad
            with tg.enable_grad():
                assert tg.is_grad_enabled()
                hidden = model[1](model[0](x))
                with tg.inference_mode():
                    assert not model(x).requires_grad
                with tg.set_grad_enabled(False):
                    assert not model(x).requires_grad
                output = model[2](hidden)
                assert output.requires_grad
            assert not tg.is_grad_enabled()
            sync()  # 3
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(output, y)
        loss.backward()
        check_grads(model)
        optimizer.step()
        losses.append((loss.item(), val_loss.item()))
    return snapshot(model, losses)


def run_concurrently(*functions):
    """Run ``functions(sync)`` on one thread each, in lock-step on a shared barrier."""
    barrier = threading.Barrier(len(functions), timeout=TIMEOUT)
    results, errors = [None] * len(functions), []

    def run(index, function):
        try:
            results[index] = function(barrier.wait)
        except BaseException as error:
            errors.append(error)
            barrier.abort()  # release the other thread at once

    threads = [
        threading.Thread(target=run, args=item, daemon=True) for item in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    first = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)] + errors
    if first:
        raise first[0]
    return results


def test_two_threads_train_independent_models_as_on_one_thread():
    concurrent = run_concurrently(lambda s: train_plain(1, s), lambda s: train_toggling(2, s))
    alone = [train_plain(1, lambda: None), train_toggling(2, lambda: None)]
    for (params, losses), (params_alone, losses_alone) in zip(concurrent, alone):
        assert len(losses) == STEPS and losses == losses_alone
        for p, p_alone in zip(params, params_alone):
            np.testing.assert_array_equal(p, p_alone)
    plain_losses, toggling_losses = concurrent[0][1], concurrent[1][1]
    assert plain_losses[-1] < 0.5 * plain_losses[0]
    assert toggling_losses[-1][0] < 0.8 * toggling_losses[0][0]
    assert tg.is_grad_enabled()


# ----------------------------------------------------------------------------- grad mode


def test_no_grad_held_open_in_a_thread_does_not_stop_the_main_thread(lib):
    inside, release = threading.Event(), threading.Event()

    def hold_no_grad():
        with lib.no_grad():
            inside.set()
            wait(release)
            return lib.is_grad_enabled(), records_square(lib)

    holder = Background(hold_no_grad)
    try:
        wait(inside)
        assert lib.is_grad_enabled()
        assert records_square(lib) == RECORDED
    finally:
        release.set()
    assert holder.result() == (False, (False, None))
    assert lib.is_grad_enabled()


def test_a_new_thread_records_while_the_main_thread_is_in_no_grad(lib):
    with lib.no_grad():
        assert in_thread(lambda: (lib.is_grad_enabled(), records_square(lib))) == (True, RECORDED)
        assert not lib.is_grad_enabled()
    lib.set_grad_enabled(False)
    try:
        assert in_thread(lib.is_grad_enabled)
    finally:
        lib.set_grad_enabled(True)


def test_overlapping_no_grad_blocks_exited_out_of_order(lib):
    """A enters, B enters, A exits, B exits: with one shared flag B would restore False."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_a():
        with lib.no_grad():
            a_in.set()
            wait(b_in)
        a_out.set()
        return lib.is_grad_enabled(), records_square(lib)

    def thread_b():
        wait(a_in)
        with lib.no_grad():
            b_in.set()
            wait(a_out)
            inside = lib.is_grad_enabled()
        return inside, lib.is_grad_enabled(), records_square(lib)

    a, b = Background(thread_a), Background(thread_b)
    assert a.result() == (True, RECORDED)
    assert b.result() == (False, True, RECORDED)
    assert lib.is_grad_enabled() and records_square(lib) == RECORDED
    assert in_thread(lib.is_grad_enabled)


def test_set_grad_enabled_as_a_plain_call_in_a_thread(lib):
    switched, release = threading.Event(), threading.Event()

    def switch_off_and_stay():
        lib.set_grad_enabled(False)  # never switched back: the thread just ends
        switched.set()
        wait(release)
        return lib.is_grad_enabled(), records_square(lib)

    thread = Background(switch_off_and_stay)
    try:
        wait(switched)
        assert lib.is_grad_enabled() and records_square(lib) == RECORDED
    finally:
        release.set()
    assert thread.result() == (False, (False, None))
    assert lib.is_grad_enabled() and in_thread(lib.is_grad_enabled)


def test_no_grad_decorator_applies_to_the_calling_thread_only(lib):
    inside, release = threading.Event(), threading.Event()

    @lib.no_grad()
    def evaluate():
        inside.set()
        wait(release)
        return lib.is_grad_enabled(), records_square(lib)

    @lib.enable_grad()
    def train():
        return lib.is_grad_enabled(), records_square(lib)

    thread = Background(evaluate)
    try:
        wait(inside)
        assert lib.is_grad_enabled() and records_square(lib) == RECORDED
        with lib.no_grad():
            assert train() == (True, RECORDED)  # the decorator called here, in main
            assert not lib.is_grad_enabled()
    finally:
        release.set()
    assert thread.result() == (False, (False, None))
    assert in_thread(evaluate) == (False, (False, None))
    assert lib.is_grad_enabled()


def test_inference_mode_is_per_thread(lib):
    inside, release = threading.Event(), threading.Event()

    def hold_inference_mode():
        with lib.inference_mode():
            inside.set()
            wait(release)
            return lib.is_grad_enabled(), records_square(lib)

    thread = Background(hold_inference_mode)
    try:
        wait(inside)
        assert lib.is_grad_enabled() and records_square(lib) == RECORDED
    finally:
        release.set()
    assert thread.result() == (False, (False, None))

    @lib.inference_mode()
    def decorated():
        return lib.is_grad_enabled()

    with lib.inference_mode():
        assert in_thread(lambda: (lib.is_grad_enabled(), records_square(lib))) == (True, RECORDED)
        assert in_thread(decorated) is False
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled()


def read_states():
    return (
        grad_mode.state.enabled,
        anomaly_mode.state.enabled,
        anomaly_mode.state.in_backward,
        graph.state.frame,
    )


def test_every_thread_starts_from_the_defaults_of_the_state_objects():
    """The module-level ``state`` objects keep their interface: attributes read and written
    directly, each thread seeing its own values, starting from the defaults."""
    grad_mode.state.enabled = False
    anomaly_mode.state.enabled = True
    graph.state.frame = ("main", None)
    try:
        assert in_thread(read_states) == (True, False, False, None)
        assert read_states() == (False, True, False, ("main", None))
        assert not tg.is_grad_enabled() and tg.autograd.is_anomaly_enabled()
        assert graph.current_scope() == ("main", None)
    finally:
        grad_mode.state.enabled = True
        anomaly_mode.state.enabled = False
        graph.state.frame = None


# ----------------------------------------------------------------------------- anomaly mode


def log_of_minus_one():
    """A NaN forward; raises only where anomaly mode is on."""
    x = tg.tensor([-1.0, 4.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.log()
    return [v if v == v else "nan" for v in y.tolist()]


def test_anomaly_mode_in_one_thread_does_not_check_another():
    """(PyTorch keeps this one flag process-wide; tensorgrad keeps it per thread.)"""
    inside, release = threading.Event(), threading.Event()

    def hold_anomaly_mode():
        with tg.autograd.detect_anomaly():
            inside.set()
            wait(release)
            with pytest.raises(RuntimeError, match="anomaly: forward of LogBackward0"):
                log_of_minus_one()
            return tg.autograd.is_anomaly_enabled()

    thread = Background(hold_anomaly_mode)
    try:
        wait(inside)
        assert not tg.autograd.is_anomaly_enabled()
        assert log_of_minus_one() == ["nan", pytest.approx(np.log(4.0))]
    finally:
        release.set()
    assert thread.result() is True

    def switch_on_and_stay():
        tg.autograd.set_detect_anomaly(True)
        with pytest.raises(RuntimeError, match="LogBackward0"):
            log_of_minus_one()

    in_thread(switch_on_and_stay)
    assert not tg.autograd.is_anomaly_enabled()
    with tg.autograd.detect_anomaly():
        assert in_thread(lambda: (tg.autograd.is_anomaly_enabled(), log_of_minus_one())) == (
            False,
            ["nan", pytest.approx(np.log(4.0))],
        )
        with pytest.raises(RuntimeError, match="LogBackward0"):
            log_of_minus_one()


class HoldInBackward(Function):
    """Identity whose backward parks its thread (with anomaly's ``in_backward`` set)."""

    entered = release = None

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad_output):
        HoldInBackward.entered.set()
        wait(HoldInBackward.release)
        return grad_output * 2


def test_a_backward_in_another_thread_does_not_hide_this_threads_forward_nan():
    """The engine's ``in_backward`` flag (forward checks are skipped inside a backward) is
    per thread as well."""
    HoldInBackward.entered, HoldInBackward.release = threading.Event(), threading.Event()

    def backward_under_anomaly():
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        with tg.autograd.detect_anomaly():
            HoldInBackward.apply(x).sum().backward()
        return x.grad.tolist()

    thread = Background(backward_under_anomaly)
    try:
        wait(HoldInBackward.entered)
        assert anomaly_mode.state.in_backward is False
        with tg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="LogBackward0"):
            log_of_minus_one()
    finally:
        HoldInBackward.release.set()
    assert thread.result() == [2.0, 2.0]


# ----------------------------------------------------------------------------- graph scopes


def test_a_scope_labels_only_the_nodes_of_its_own_thread():
    inside, release = threading.Event(), threading.Event()
    x = tg.tensor([1.0, 2.0], requires_grad=True)

    def hold_scope():
        with graph.scope("worker"):
            inside.set()
            wait(release)
            y = x * 2
            return graph.current_scope(), y.grad_fn.scope

    thread = Background(hold_scope)
    try:
        wait(inside)
        assert graph.current_scope() is None
        assert (x * 3).grad_fn.scope is None
        with graph.scope("main"):
            z = x + 1
    finally:
        release.set()
    assert thread.result() == (("worker", None), ("worker", None))
    assert z.grad_fn.scope == ("main", None)

    model = nn.Linear(2, 1)
    with graph.scope("outer"):
        scopes = in_thread(lambda: (graph.current_scope(), model(x).grad_fn.scope))
    assert scopes[0] is None
    assert graph.scope_path(scopes[1]) == [model]  # no "outer" from the main thread
