"""One formula, two kinds of values: a built-in op's backward runs on raw arrays in an ordinary
backward and on Tensors (recording) under create_graph; a user's Function sees Tensors always."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops import _tensor_xp
from tensorgrad.ops._op import Op


class Cube(Op):
    """y = x³, with a backward that records what it was handed."""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 3x²
        (x,) = ctx.saved_tensors
        Cube.seen.append((type(grad), type(x), ctx.xp))
        return grad * 3 * x * x


@pytest.fixture(autouse=True)
def _clear():
    Cube.seen.clear()


def test_an_ordinary_backward_hands_the_formula_arrays_and_numpy():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    assert Cube.seen == [(np.ndarray, np.ndarray, np)]
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert isinstance(x.grad, tg.Tensor) and x.grad.grad_fn is None


def test_create_graph_hands_the_same_formula_tensors_and_records_it():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    (first,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert Cube.seen == [(tg.Tensor, tg.Tensor, _tensor_xp)]
    assert first.requires_grad and first.grad_fn is not None
    (second,) = tg.autograd.grad(first.sum(), x)  # d/dx 3x² = 6x
    np.testing.assert_allclose(second.numpy(), [6.0, 12.0])


def test_the_node_is_back_to_arrays_after_a_create_graph_backward():
    x = tg.tensor([2.0], dtype=tg.float64, requires_grad=True)
    y = Cube.apply(x).sum()
    tg.autograd.grad(y, x, create_graph=True, retain_graph=True)
    y.backward()
    assert [kind for kind, _, _ in Cube.seen] == [tg.Tensor, np.ndarray]
    np.testing.assert_allclose(x.grad.numpy(), [12.0])


def test_a_user_function_sees_tensors_in_both_modes():
    seen = []

    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            seen.append((type(grad_output), type(x)))
            return 2 * x * grad_output

    x = tg.tensor([3.0], dtype=tg.float64, requires_grad=True)
    Square.apply(x).sum().backward()
    (g,) = tg.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert seen == [(tg.Tensor, tg.Tensor)] * 2
    np.testing.assert_allclose(x.grad.numpy(), [6.0])
    assert g.requires_grad


def test_a_user_function_returning_something_else_than_a_tensor_is_named():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output.numpy()

    x = tg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="BadBackward: backward must return Tensors"):
        Bad.apply(x).sum().backward()


def test_hooks_see_tensors_in_an_ordinary_backward():
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    kinds = []
    y.register_hook(lambda g: kinds.append(type(g)))
    x.register_hook(lambda g: kinds.append(type(g)) or g * 10)
    y.sum().backward()
    assert kinds == [tg.Tensor, tg.Tensor]
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0, 20.0])


def test_second_derivative_survives_a_zero_first_derivative():
    """The NaN-hygiene zeroing of singular ops must not cut the graph where the first-order
    gradient happens to be exactly 0: d²/dx² (x / 2)² is 0.5 at x = 0 too."""
    torch = pytest.importorskip("torch")
    from tensorgrad.autograd.functional import hessian

    points = [0.0, 1.0, -2.0]
    ours = hessian(lambda x: ((x / 2) ** 2 + (x + 1).log() * x).sum(), tg.tensor(points).double())
    theirs = torch.autograd.functional.hessian(
        lambda x: ((x / 2) ** 2 + (x + 1).log() * x).sum(),
        torch.tensor(points, dtype=torch.float64),
    )
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12, equal_nan=True)
