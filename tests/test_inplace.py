"""In-place ops: values, version counters, the errors PyTorch raises, and their gradients."""

import numpy as np
import pytest

import tensorgrad as tg

VALUES = [[1.5, -2.0, 0.25], [3.0, -0.5, 4.0]]


def _inplace_cases(lib):
    """(name, function applying the op in place to t) for every in-place op."""
    other = lib.tensor([2.0, -1.0, 0.5])
    return [
        ("add_", lambda t: t.add_(other)),
        ("add_alpha", lambda t: t.add_(other, alpha=3)),
        ("add_scalar", lambda t: t.add_(2.5)),
        ("sub_", lambda t: t.sub_(other)),
        ("sub_alpha", lambda t: t.sub_(other, alpha=0.5)),
        ("mul_", lambda t: t.mul_(other)),
        ("mul_scalar", lambda t: t.mul_(-3)),
        ("div_", lambda t: t.div_(other)),
        ("zero_", lambda t: t.zero_()),
        ("fill_", lambda t: t.fill_(7.0)),
        ("copy_", lambda t: t.copy_(other)),
        ("clamp_", lambda t: t.clamp_(-1.0, 1.0)),
        ("clamp_min", lambda t: t.clamp_(min=0.0)),
        ("setitem_int", lambda t: t.__setitem__(0, 9.0)),
        ("setitem_slice", lambda t: t.__setitem__((slice(None), 1), other[:2])),
        ("setitem_mask", lambda t: t.__setitem__(t > 1, 0.0)),
        ("iadd", lambda t: t.__iadd__(other)),
        ("isub", lambda t: t.__isub__(1.0)),
        ("imul", lambda t: t.__imul__(other)),
        ("itruediv", lambda t: t.__itruediv__(4.0)),
    ]


CASE_NAMES = [name for name, _ in _inplace_cases(tg)]


@pytest.mark.parametrize("index", range(len(CASE_NAMES)), ids=CASE_NAMES)
def test_values_and_version_counter_match_torch(index):
    torch = pytest.importorskip("torch")
    ours, theirs = tg.tensor(VALUES), torch.tensor(VALUES)
    _, apply_ours = _inplace_cases(tg)[index]
    _, apply_theirs = _inplace_cases(torch)[index]
    before = ours._version
    result = apply_ours(ours)
    apply_theirs(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert ours._version == before + 1
    if result is not None:  # every method form returns self
        assert result is ours


def test_version_counter_is_shared_by_views_and_detach():
    t = tg.zeros(2, 3)
    view, detached = t[0], t.detach()
    t.add_(1.0)
    assert t._version == view._version == detached._version == 1
    view.mul_(2.0)
    assert t._version == 2 and t.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]


def test_modifying_a_saved_tensor_raises_at_backward_naming_the_op():
    torch = pytest.importorskip("torch")
    tx = torch.ones(3, requires_grad=True)
    ty = tx.exp()
    ty.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Exp"):
        ty.sum().backward()
    x = tg.ones(3, requires_grad=True)
    y = x.exp()
    y.add_(1)  # the forward itself succeeds, as in PyTorch
    with pytest.raises(RuntimeError, match="ExpBackward0.*in-place"):
        y.sum().backward()


def test_modifying_a_saved_input_raises():
    x = tg.ones(3, requires_grad=True)
    a = x * 1.0
    b = a.sin()  # saves a
    a.mul_(2)
    with pytest.raises(RuntimeError, match="SinBackward0"):
        b.sum().backward()


def test_modifying_a_saved_tensor_through_a_view_raises():
    x = tg.ones(2, 2, requires_grad=True)
    a = x * 1.0
    b = a.exp()
    with tg.no_grad():
        b[0].zero_()  # a view of b shares its version counter
    with pytest.raises(RuntimeError, match="ExpBackward0"):
        b.sum().backward()


def test_modifying_an_unsaved_tensor_is_fine():
    x = tg.ones(3, requires_grad=True)
    y = x * 2  # mul by a constant saves only the constant
    y.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("name", ["add_", "mul_", "zero_", "fill_", "copy_", "clamp_", "setitem"])
def test_inplace_on_a_leaf_that_requires_grad_raises_like_torch(name):
    torch = pytest.importorskip("torch")

    def apply(lib, t):
        {
            "add_": lambda: t.add_(1.0),
            "mul_": lambda: t.mul_(2.0),
            "zero_": lambda: t.zero_(),
            "fill_": lambda: t.fill_(1.0),
            "copy_": lambda: t.copy_(lib.zeros(3)),
            "clamp_": lambda: t.clamp_(0.0, 1.0),
            "setitem": lambda: t.__setitem__(0, 5.0),
        }[name]()

    with pytest.raises(RuntimeError):
        apply(torch, torch.ones(3, requires_grad=True))
    leaf = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        apply(tg, leaf)
    assert leaf.tolist() == [1.0, 1.0, 1.0] and leaf._version == 0


def test_augmented_assignment_on_a_leaf_raises():
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1


def test_inplace_on_a_leaf_works_under_no_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with tg.no_grad():
        w -= 0.5 * w.grad
        w.grad.zero_()
    assert w.tolist() == [0.0, 0.0] and w.requires_grad and w.is_leaf
    assert w.grad.tolist() == [0.0, 0.0]


def test_integer_tensor_refuses_a_float_result_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.ones(2, dtype=torch.int64).add_(0.5)
    with pytest.raises(RuntimeError, match="int64"):
        tg.ones(2, dtype=tg.int64).add_(0.5)
    with pytest.raises(RuntimeError):
        tg.ones(2, dtype=tg.int64).div_(2)


def test_inplace_result_that_does_not_broadcast_raises():
    with pytest.raises(RuntimeError):
        tg.zeros(3).add_(tg.ones(2, 3))


def _differentiable_chain(lib, x, w):
    """In-place ops on non-leaves; nothing a backward saved is modified afterwards."""
    h = x * 2
    h.add_(w, alpha=0.5)
    h.sub_(x.sin())
    h.mul_(x)  # saves the current h: no more in-place ops on it
    g = h * 1.0
    g.div_(w.exp())
    c = g * 1.0
    c.clamp_(-1.0, 3.0)
    m = c * 1.0
    m[0] = w[1] * 4
    m[:, 1] = m[:, 1] * 3
    e = m * 1.0
    e.copy_(x.exp() * w)
    k = x * 1.0
    k.zero_()
    k.add_(w)
    return (m**2).sum() + e.sum() + (k * x).sum() + g.sum()


def test_differentiable_inplace_gradients_match_torch():
    torch = pytest.importorskip("torch")
    x_value = [[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]
    w_value = [0.2, -0.4, 0.9]
    x, w = (tg.tensor(v, dtype=tg.float64, requires_grad=True) for v in (x_value, w_value))
    tx, tw = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x_value, w_value))
    ours, theirs = _differentiable_chain(tg, x, w), _differentiable_chain(torch, tx, tw)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_inplace_node_names_follow_torch():
    torch = pytest.importorskip("torch")
    x, tx = tg.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    y, ty = x * 1.0, tx * 1.0
    y.add_(1.0)
    ty.add_(1.0)
    assert y.grad_fn.name() == ty.grad_fn.name() == "AddBackward0"
    y.mul_(x)
    ty.mul_(tx)
    assert y.grad_fn.name() == ty.grad_fn.name() == "MulBackward0"


def test_fill_and_zero_give_the_old_value_a_zero_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor(3.0, requires_grad=True)
    h = x * x
    h.fill_(w)
    (h * tg.tensor([1.0, 2.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and w.grad.item() == 3.0


def test_setitem_gradient_flows_to_the_value_and_the_rest():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tg.tensor(10.0, requires_grad=True)
    h = x * 2
    h[1] = v
    (h * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 6.0] and v.grad.item() == 2.0


def test_retain_grad_keeps_the_gradient_of_the_newest_version_like_torch():
    x = tg.ones(2, requires_grad=True)
    h = x * 2
    h.retain_grad()
    earlier = h * 5  # uses the old version: its gradient must not reach h.grad
    h.add_(1.0)
    (h * 3 + earlier).sum().backward()
    assert h.grad.tolist() == [3.0, 3.0]
    assert x.grad.tolist() == [16.0, 16.0]


def test_inplace_on_a_view_of_a_tensor_that_requires_grad_raises():
    """A documented limitation: PyTorch rewrites the base's graph (CopySlices); tensorgrad
    refuses instead of returning a wrong gradient. ``h[i] = value`` works."""
    h = tg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="view"):
        h[0].mul_(3)
    with pytest.raises(RuntimeError, match="view"):
        h[:, 1] *= 3  # Python runs this as h.__getitem__, view.__imul__, h.__setitem__
    h[:, 1] = h[:, 1] * 3
    assert h.tolist() == [[2.0, 6.0, 2.0], [2.0, 6.0, 2.0]]
