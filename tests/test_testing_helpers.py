"""``tensorgrad.testing`` tests itself: correct gradients pass, each planted bug is caught."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorgrad
from tensorgrad.autograd import Function
from tensorgrad.testing import (
    assert_gradients_close,
    assert_matches_torch,
    assert_second_gradients_close,
)
from tensorgrad.testing import strategies as tst


class Softsign(Function):
    """y = x / (1 + |x|), dy/dx = 1 / (1 + |x|)^2, in Tensor ops (so twice differentiable)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs()) ** 2


class WrongSign(Softsign):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output / (1 + x.abs()) ** 2


class DetachedBackward(Softsign):
    """Right first derivative, computed outside autograd: its second derivative is lost."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * tensorgrad.tensor(1 / (1 + np.abs(x.detach().numpy())) ** 2)


class MutatesInput(Softsign):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = x / (1 + x.abs())
        x.data.mul_(2.0)  # the planted bug: scales the caller's tensor
        return out


def _leaf(*shape, seed=0):
    values = np.random.default_rng(seed).uniform(0.2, 2.0, shape)
    return tensorgrad.tensor(values, dtype=tensorgrad.float64, requires_grad=True)


def test_a_correct_function_passes_first_and_second_order():
    x = _leaf(3, 4)
    assert_gradients_close(Softsign.apply, x)
    assert_second_gradients_close(Softsign.apply, x)
    assert x.grad is None  # the helpers never touch .grad


def test_broadcasting_builtin_ops_pass_and_inputs_keep_their_values():
    a, b = _leaf(2, 3), _leaf(3, seed=1)
    before = b.detach().numpy().copy()
    assert_gradients_close(lambda a, b: (a * b).tanh() / b, a, b)
    assert np.array_equal(b.detach().numpy(), before)


def test_wrong_sign_is_caught_naming_input_element_and_values():
    with pytest.raises(AssertionError) as caught:
        assert_gradients_close(WrongSign.apply, _leaf(2, 3))
    message = str(caught.value)
    assert "gradient of input 0 (shape (2, 3))" in message
    assert "analytic -" in message and "vs numeric" in message
    assert "6 of 6 elements differ" in message


def test_wrong_gradient_of_a_large_input_is_caught_by_random_projections():
    with pytest.raises(AssertionError, match="random-projection check"):
        assert_gradients_close(WrongSign.apply, _leaf(20, 20))
    assert_gradients_close(Softsign.apply, _leaf(20, 20))


def test_unreduced_broadcast_gradient_is_caught_by_the_shape_check():
    a, b = np.ones((2, 3)), np.arange(3.0)
    with pytest.raises(AssertionError, match=r"input 1 has shape \(2, 3\), but the input has"):
        assert_gradients_close(lambda a, b: a * b, a, b, vjp=lambda g, a, b: (g * b, g * a))
    assert_gradients_close(
        lambda a, b: a * b, a, b, vjp=lambda g, a, b: (g * b, (g * a).sum(axis=0))
    )


def test_mutated_input_is_caught():
    with pytest.raises(AssertionError, match="modified input 0 in place; at index"):
        assert_gradients_close(MutatesInput.apply, _leaf(3))


def test_mutated_upstream_gradient_is_caught():
    def vjp(grad_output, x):
        grad_output *= 2  # the planted bug: reuses the caller's buffer
        return grad_output

    with pytest.raises(AssertionError, match="modified the upstream gradient of output 0"):
        assert_gradients_close(lambda x: 2 * x, np.ones(3), vjp=vjp)


def test_aliasing_gradients_are_caught():
    with pytest.raises(AssertionError, match="gradients of inputs 0 and 1 share memory"):
        assert_gradients_close(
            lambda a, b: a + b, np.ones(3), np.ones(3), vjp=lambda g, a, b: (g, g)
        )


def test_wrong_second_derivative_is_caught():
    x = _leaf(4)
    assert_gradients_close(DetachedBackward.apply, x)  # first order is right
    with pytest.raises(AssertionError, match="assert_second_gradients_close: the gradient of"):
        assert_second_gradients_close(DetachedBackward.apply, x)


def test_hand_derived_backprop_of_a_hidden_layer_passes():
    """The classic tutorial network, forward and backward by hand in NumPy."""

    def forward(x, w1, w2):
        return np.tanh(x @ w1) @ w2

    def backward(grad_output, x, w1, w2):
        hidden = np.tanh(x @ w1)
        grad_hidden = (grad_output @ w2.T) * (1 - hidden**2)
        return x.T @ grad_hidden, hidden.T @ grad_output

    rng = np.random.default_rng(0)
    x, w1, w2 = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    assert_gradients_close(forward, tensorgrad.tensor(x), w1, w2, vjp=backward)


def test_matches_torch_passes_and_catches_a_wrong_gradient():
    pytest.importorskip("torch")
    x = np.linspace(-2, 2, 6).reshape(2, 3)
    assert_matches_torch(Softsign.apply, lambda t: t / (1 + t.abs()), x)
    with pytest.raises(AssertionError, match="the gradient of input 0 differs from PyTorch"):
        assert_matches_torch(WrongSign.apply, lambda t: t / (1 + t.abs()), x)
    with pytest.raises(AssertionError, match=r"output 0 differs from PyTorch at index \(0, 0\)"):
        assert_matches_torch(tensorgrad.exp, lambda t: t.sin(), x)


def test_matches_torch_skips_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(pytest.skip.Exception):
        assert_matches_torch(tensorgrad.exp, None, np.ones(2))


def test_importing_tensorgrad_testing_does_not_import_hypothesis():
    code = (
        "import sys, tensorgrad, tensorgrad.testing; "
        "assert 'hypothesis' not in sys.modules; "
        "from tensorgrad.testing import strategies; assert 'hypothesis' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@given(tst.tensors(tst.shapes(min_dims=1), contiguous=False))
def test_noncontiguous_tensors_are_views_with_the_requested_shape(x):
    assert not x._data.flags.c_contiguous or x._data.size == 1
    assert_gradients_close(lambda t: (t * t).sum(1 if t.ndim > 1 else 0), x.requires_grad_())


@given(tst.broadcastable_tensors(3, requires_grad=True))
def test_broadcastable_tensors_broadcast(tensors):
    assert (
        np.broadcast_shapes(*(t.shape for t in tensors))
        == (tensors[0] + tensors[1] + tensors[2]).shape
    )
    assert all(t.requires_grad and t.dtype == tensorgrad.float64 for t in tensors)


@given(tst.matmul_operands())
def test_matmul_operands_multiply(operands):
    a, b = operands
    assert (a @ b).shape == np.matmul(a.numpy(), b.numpy()).shape


@given(st.data())
def test_dims_are_valid_for_reductions(data):
    x = data.draw(tst.tensors())
    dim = data.draw(tst.dims(x.ndim))
    assert np.allclose(x.sum(dim).numpy(), np.sum(x.numpy(), axis=dim))


@given(tst.away_from([0.0, 1.0], margin=0.2), tst.grid(0.25, offset=0.125), tst.unit_interval())
def test_domains_keep_their_promises(kinked, on_grid, probability):
    assert min(abs(kinked), abs(kinked - 1.0)) >= 0.2 - 1e-12  # up to rounding of p ± margin
    assert (on_grid - 0.125) / 0.25 == round((on_grid - 0.125) / 0.25)
    assert 0 < probability < 1


@given(tst.tensors((50,), elements=tst.edge_values()))
def test_edge_values_are_finite_and_include_extremes(x):
    assert np.isfinite(x.numpy()).all()
