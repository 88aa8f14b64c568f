"""Stable formulations, NaN hygiene behind ``where``, and anomaly mode."""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg

INF = math.inf


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_saturates_without_overflow(dtype):
    x = tg.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=getattr(tg, dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow on the way
        y = x.sigmoid()
        y.sum().backward()
    assert y.tolist()[0] == 0.0 and y.tolist()[2] == 0.5 and y.tolist()[-1] == 1.0
    assert np.isfinite(x.grad.numpy()).all()
    assert x.grad.tolist()[0] == 0.0 and x.grad.tolist()[2] == 0.25


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_of_large_values(dtype):
    x = tg.tensor([1000.0, 1000.0], dtype=getattr(tg, dtype), requires_grad=True)
    y = tg.logsumexp(x, dim=0)
    assert y.item() == pytest.approx(1000.0 + math.log(2.0), rel=1e-7)
    y.backward()
    # float32 rounds 1000 + log 2 to 6e-5, and exp(x - out) inherits that (as in PyTorch)
    tolerance = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5], rtol=tolerance)


def test_logsumexp_of_very_negative_values():
    x = tg.tensor([-1000.0, -1000.0], dtype=tg.float64)
    assert tg.logsumexp(x, dim=0).item() == pytest.approx(-1000.0 + math.log(2.0), rel=1e-12)


def test_logsumexp_row_of_all_minus_inf_is_minus_inf_with_zero_grads():
    torch = pytest.importorskip("torch")
    rows = [[-INF, -INF], [1.0, 2.0]]
    x = tg.tensor(rows, requires_grad=True)
    y = tg.logsumexp(x, dim=1)
    assert y.tolist()[0] == -INF
    y.sum().backward()
    assert x.grad.tolist()[0] == [0.0, 0.0]
    tx = torch.tensor(rows, requires_grad=True)
    torch.logsumexp(tx, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[1], tx.grad.numpy()[1], rtol=1e-6)
    assert torch.isnan(tx.grad[0]).all()  # PyTorch gives NaN here: we do better


def test_logsumexp_with_one_inf_entry():
    x = tg.tensor([-INF, 0.0], requires_grad=True)
    y = tg.logsumexp(x, dim=0)
    y.backward()
    assert y.item() == 0.0 and x.grad.tolist() == [0.0, 1.0]


def _where_guarded(lib, name, x):
    """Functions whose discarded branch is NaN/inf at the guarded points."""
    if name == "sqrt":
        return lib.where(x > 0, x.sqrt(), 0.0)
    if name == "log":
        return lib.where(x > 0, x.log(), 0.0)
    if name == "div":
        return lib.where(x != 0, 1 / x, 0.0)
    if name == "pow":
        return lib.where(x > 0, x**0.5, 0.0)
    if name == "pow_tensor":
        return lib.where(x > 0, x ** (x * 0 + 0.5), 0.0)
    if name == "rsqrt":
        return lib.where(x > 0, x.rsqrt(), 0.0)
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["sqrt", "log", "div", "pow", "pow_tensor", "rsqrt"])
def test_where_discarded_branch_gives_exact_zero_gradient(name):
    torch = pytest.importorskip("torch")
    values = [-1.0, 0.0, 4.0]
    x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    _where_guarded(tg, name, x).sum().backward()
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    _where_guarded(torch, name, tx).sum().backward()
    ours, theirs = x.grad.numpy(), tx.grad.numpy()
    guarded = [0, 1] if name != "div" else [1]
    assert (ours[guarded] == 0.0).all(), ours
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
    if name in ("sqrt", "div", "pow"):
        assert np.isnan(theirs[guarded]).any()  # PyTorch leaks the NaN: we beat it


def test_where_nan_hygiene_survives_second_derivatives():
    x = tg.tensor([-1.0, 4.0], dtype=tg.float64, requires_grad=True)
    y = tg.where(x > 0, x.sqrt(), 0.0).sum()
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    assert g.tolist() == [0.0, 0.25]
    assert h.tolist()[0] == 0.0 and h.tolist()[1] == pytest.approx(-1 / 32)


def test_masked_fill_hides_a_nan_branch():
    x = tg.tensor([0.0, 2.0], requires_grad=True)
    (1 / x).masked_fill(x == 0, 0.0).sum().backward()
    assert x.grad.tolist() == [0.0, -0.25]


# ----------------------------------------------------------------------------- anomaly mode


def test_anomaly_names_the_forward_op_that_made_nan_and_where():
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    with tg.autograd.detect_anomaly(), pytest.raises(RuntimeError) as info:
        y = x * 2
        z = (y - 10).log()  # the offending line
        z.sum().backward()
    message = str(info.value)
    assert "LogBackward0" in message and "forward" in message
    assert "test_numerics.py" in message and "(y - 10).log()" in message
    assert not tg.autograd.is_anomaly_enabled()


def test_anomaly_names_the_backward_op_that_made_inf_and_where():
    x = tg.tensor([0.0, 4.0], requires_grad=True)
    with tg.autograd.detect_anomaly(), pytest.raises(RuntimeError) as info:
        y = x.sqrt()  # finite forward, infinite derivative at 0
        (y * 3).sum().backward()
    message = str(info.value)
    assert "SqrtBackward0" in message and "backward" in message
    assert "y = x.sqrt()" in message


def test_anomaly_is_silent_when_all_is_finite():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        (x.exp() * x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_anomaly_accepts_the_where_guarded_nan():
    """The discarded branch's forward NaN is reported: it is a NaN the forward made."""
    x = tg.tensor([-1.0, 4.0], requires_grad=True)
    with tg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward0"):
        tg.where(x > 0, x.sqrt(), 0.0)


def test_without_anomaly_mode_nan_passes_silently():
    x = tg.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.log()
    y.sum().backward()
    assert math.isnan(y.item()) and x.grad.item() == -1.0


def test_set_detect_anomaly():
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="LogBackward0"):
            tg.tensor([-1.0], requires_grad=True).log()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.autograd.is_anomaly_enabled()


def test_a_sum_that_makes_nan_is_as_quiet_as_pytorch():
    """inf - inf inside a sum gives NaN without a NumPy RuntimeWarning (PyTorch prints none)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=RuntimeWarning, module="numpy")
        total = tg.tensor([float("inf"), -float("inf")]).sum()
    assert np.isnan(total.item())
    assert [str(w.message) for w in caught] == []
