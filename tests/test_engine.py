"""The backward engine, grad modes, ``autograd.grad``, ``autograd.functional``, custom
``Function``s and ``gradcheck``: semantics checked against PyTorch."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function, differentiate, functional, gradcheck, gradgradcheck

# ----------------------------------------------------------------------------- backward


def test_backward_of_a_scalar():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_backward_with_explicit_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.backward(tg.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [3.0, 30.0]


def test_non_scalar_output_without_gradient_raises_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        (torch.ones(2, requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match=r"scalar.*\(2,\)"):
        (tg.ones(2, requires_grad=True) * 2).backward()


def test_gradient_of_wrong_shape_raises():
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(tg.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(2).sum().backward()


def test_grads_accumulate_across_calls():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    x.grad = None
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_grad_is_not_aliased_to_the_upstream_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    upstream = tg.tensor([1.0, 1.0])
    x.backward(upstream)  # a leaf's own backward: .grad must be a copy
    x.grad.mul_(5)
    assert upstream.tolist() == [1.0, 1.0]
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(1.0)
    assert b.grad.tolist() == [1.0]


def test_second_backward_through_freed_graph_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_deep_chain_of_100k_ops_has_no_recursion_limit():
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_diamond_graph_sums_both_paths():
    torch = pytest.importorskip("torch")

    def run(lib, x):
        a = x * 2
        b = a.exp()
        c = a.sin()
        d = (b * c + a).sum()
        d.backward()
        return x.grad.numpy()

    value = [0.1, -0.4, 0.7]
    ours = run(tg, tg.tensor(value, dtype=tg.float64, requires_grad=True))
    theirs = run(torch, torch.tensor(value, dtype=torch.float64, requires_grad=True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_same_tensor_used_twice_in_one_op():
    x = tg.tensor([3.0], requires_grad=True)
    (x * x).backward(tg.ones(1))
    assert x.grad.tolist() == [6.0]


def test_broadcast_gradients_are_reduced_to_the_input_shape():
    a = tg.ones(3, 1, requires_grad=True)
    b = tg.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[4.0]] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [3.0] * 4


def test_backward_inputs_limits_accumulation():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0] and b.grad is None


def test_backward_create_graph_gives_differentiable_grads(monkeypatch):
    monkeypatch.setattr(differentiate, "_warned", [False])  # PyTorch warns once per process
    x = tg.tensor([2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x**3).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad and first.tolist() == [12.0]
    x.grad = None
    first.sum().backward()
    assert x.grad.tolist() == [12.0]  # d(3x^2)/dx = 6x


def test_retain_grad_on_a_non_leaf():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [4.0, 8.0]
    assert x.grad.tolist() == [8.0, 16.0]


def test_results_under_no_grad_record_nothing():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None


# ----------------------------------------------------------------------------- grad modes


def test_grad_mode_context_managers_nest_and_restore():
    x = tg.ones(1, requires_grad=True)
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
        with tg.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert tg.is_grad_enabled()
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ValueError), tg.no_grad():
        raise ValueError("boom")
    assert tg.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = tg.ones(1, requires_grad=True)

    @tg.no_grad()
    def without():
        return x * 2

    @tg.enable_grad()
    def with_grad():
        return x * 2

    @tg.set_grad_enabled(False)
    def off():
        return x * 2

    assert tg.is_grad_enabled()  # decorating alone changes nothing
    assert not without().requires_grad
    assert not off().requires_grad
    with tg.no_grad():
        assert with_grad().requires_grad
    assert tg.is_grad_enabled()
    assert without.__name__ == "without"


def test_set_grad_enabled_as_a_plain_call():
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()


# ----------------------------------------------------------------------------- autograd.grad


def test_grad_returns_without_touching_dot_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad((x**2).sum(), x)
    assert g.tolist() == [2.0, 4.0] and x.grad is None


def test_grad_second_derivative_and_hessian_vector_product():
    torch = pytest.importorskip("torch")
    value, vector = [0.3, -1.2, 0.8], [1.0, -2.0, 0.5]

    def run(lib, autograd):
        x = lib.tensor(value, dtype=lib.float64, requires_grad=True)
        v = lib.tensor(vector, dtype=lib.float64)
        y = (x.sin() * x.exp()).sum() + (x[0] * x[1] * x[2])
        (g,) = autograd.grad(y, x, create_graph=True)
        (hv,) = autograd.grad((g * v).sum(), x, retain_graph=True)
        (g2,) = autograd.grad(g.sum(), x, create_graph=True)
        (g3,) = autograd.grad(g2.sum(), x)
        return g.detach().numpy(), hv.numpy(), g3.numpy()

    for ours, theirs in zip(run(tg, tg.autograd), run(torch, torch.autograd), strict=False):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_grad_allow_unused():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = tg.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert ga.tolist() == [2.0] and gb is None
    _, gb = tg.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    assert gb.tolist() == [0.0]


def test_grad_results_do_not_alias():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    ga, gb = tg.autograd.grad((h + x).sum(), [h, x])
    ga.add_(100.0)
    assert gb.tolist() == [2.0, 2.0]
    assert not np.shares_memory(ga.numpy(), gb.numpy())


def test_grad_with_respect_to_a_non_leaf_and_grad_outputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = h**2
    (gh,) = tg.autograd.grad(y, h, grad_outputs=tg.tensor([1.0, 0.5]))
    assert gh.tolist() == [6.0, 6.0]


# ----------------------------------------------------------------------------- functional


def _f_vector(x):
    return x.sin() * x.sum()


def _f_scalar(x):
    return (x.exp() * x).sum() + (x**3).prod()


def _compare_nested(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=False):
            _compare_nested(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_functional_matches_torch(name):
    torch = pytest.importorskip("torch")
    value = [[0.2, -0.5], [1.1, 0.4]]
    vector = [[1.0, 2.0], [-1.0, 0.5]]
    ours_x = tg.tensor(value, dtype=tg.float64)
    theirs_x = torch.tensor(value, dtype=torch.float64)
    ours_v = tg.tensor(vector, dtype=tg.float64)
    theirs_v = torch.tensor(vector, dtype=torch.float64)
    ours_fn, theirs_fn = getattr(functional, name), getattr(torch.autograd.functional, name)
    if name == "jacobian":
        ours, theirs = ours_fn(_f_vector, ours_x), theirs_fn(_f_vector, theirs_x)
    elif name == "hessian":
        ours, theirs = ours_fn(_f_scalar, ours_x), theirs_fn(_f_scalar, theirs_x)
    elif name in ("vjp", "jvp"):
        ours, theirs = ours_fn(_f_vector, ours_x, ours_v), theirs_fn(_f_vector, theirs_x, theirs_v)
    else:
        ours, theirs = ours_fn(_f_scalar, ours_x, ours_v), theirs_fn(_f_scalar, theirs_x, theirs_v)
    _compare_nested(ours, theirs)


def test_functional_with_tuple_inputs_matches_torch():
    torch = pytest.importorskip("torch")

    def f(a, b):
        return (a * b.sum()).tanh(), a.exp()

    a, b = [0.1, 0.2, 0.3], [1.0, -0.5]
    ours = functional.jacobian(f, (tg.tensor(a, dtype=tg.float64), tg.tensor(b, dtype=tg.float64)))
    theirs = torch.autograd.functional.jacobian(
        f, (torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    )
    _compare_nested(ours, theirs)

    def g(a, b):
        return (a.sum() * b**2).sum()

    ours = functional.hessian(g, (tg.tensor(a, dtype=tg.float64), tg.tensor(b, dtype=tg.float64)))
    theirs = torch.autograd.functional.hessian(
        g, (torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    )
    _compare_nested(ours, theirs)


def test_functional_results_are_detached_and_inputs_untouched():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    jac = functional.jacobian(lambda t: t**2, x)
    assert not jac.requires_grad and not x.requires_grad and x.grad is None
    np.testing.assert_array_equal(jac.numpy(), np.diag([2.0, 4.0]))


# ----------------------------------------------------------------------------- Function


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


class ScaleBy(Function):
    """Non-tensor arguments get None as their gradient."""

    @staticmethod
    def forward(x, factor, label):
        return x * factor

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, factor, _ = inputs
        ctx.factor = factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, None, None


class SplitSum(Function):
    """Two outputs, one of them non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        total = x.sum()
        index = x.argmax()
        ctx.mark_non_differentiable(index)
        ctx.save_for_backward(x)
        return x * 2, total, index

    @staticmethod
    def backward(ctx, grad_double, grad_total, grad_index):
        (x,) = ctx.saved_tensors
        return grad_double * 2 + grad_total * tg.ones_like(x)


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class WrongDerivative(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.cos() * 1.01


def test_custom_function_backward_and_node_name():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.tolist() == [1.0, 8.0] and y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_custom_function_is_twice_differentiable():
    x = tg.tensor([2.0], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    assert g.item() == 12.0 and h.item() == 12.0


def test_setup_context_style_and_non_tensor_args():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    y = ScaleBy.apply(x, 4.0, "label")
    y.sum().backward()
    assert y.tolist() == [4.0, -4.0] and x.grad.tolist() == [4.0, 4.0]


def test_multiple_outputs_and_mark_non_differentiable():
    x = tg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    double, total, index = SplitSum.apply(x)
    assert index.item() == 1 and not index.requires_grad
    assert double.requires_grad and total.requires_grad
    (double.sum() + 10 * total).backward(retain_graph=True)
    assert x.grad.tolist() == [12.0, 12.0, 12.0]
    x.grad = None
    total.backward()  # the other outputs get materialized zero gradients
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_wrong_number_of_gradients_raises():
    torch = pytest.importorskip("torch")

    class TorchWrongCount(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    with pytest.raises(RuntimeError):
        a = torch.ones(2, requires_grad=True)
        TorchWrongCount.apply(a, torch.ones(2, requires_grad=True)).sum().backward()
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongCountBackward.*1 gradients, expected 2"):
        WrongCount.apply(a, b).sum().backward()


def test_function_without_grad_records_nothing():
    y = Cube.apply(tg.tensor([2.0]))
    assert y.grad_fn is None and y.tolist() == [8.0]


# ----------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_correct_ops():
    x = tg.tensor([[0.3, -0.7], [1.2, 0.1]], dtype=tg.float64, requires_grad=True)
    w = tg.tensor([[0.5], [-1.5]], dtype=tg.float64, requires_grad=True)
    assert gradcheck(lambda a, b: (a @ b).tanh() * a.sum(), (x, w))
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(lambda a, b: (a @ b).sigmoid(), (x, w))
    assert gradgradcheck(Cube.apply, (x,))


def test_gradcheck_fails_on_a_wrong_function():
    x = tg.tensor([0.3, -0.7, 1.2], dtype=tg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongDerivative.apply, (x,))
    assert gradcheck(WrongDerivative.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_fails_on_a_wrong_second_derivative():
    class FirstOrderOnly(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x.detach() ** 2  # right value, but cut from the graph

    x = tg.tensor([0.3, -0.7], dtype=tg.float64, requires_grad=True)
    assert gradcheck(FirstOrderOnly.apply, (x,))
    assert gradgradcheck(FirstOrderOnly.apply, (x,), raise_exception=False) is False
