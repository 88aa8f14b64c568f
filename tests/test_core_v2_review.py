"""Regressions found by the review of core v2, each checked against PyTorch where it has the
behaviour: what a backward frees, what it reads, and the corners of the lean paths."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def test_backward_frees_what_the_graph_saved():
    x = tg.randn(200, 200, requires_grad=True)
    h = x.exp()
    loss = (h * 2).sum()
    saved = weakref.ref(h.detach().numpy())
    del h
    loss.backward()
    gc.collect()
    assert saved() is None


def test_backward_reads_a_saved_input_whose_data_was_replaced_like_pytorch():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        w.data = lib.tensor([30.0, 40.0])
        (first,) = lib.autograd.grad(y, x, retain_graph=True)
        (second,) = lib.autograd.grad(y, x, create_graph=True)
        return first.tolist(), second.tolist()

    assert run(tg) == run(torch) == ([30.0, 40.0], [30.0, 40.0])


@pytest.mark.parametrize("function", [lambda x: x.log(), lambda x: x.sqrt(), lambda x: 1 / x])
def test_backward_works_with_warnings_turned_into_errors(function):
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        function(x).sum().backward()
    assert np.isinf(x.grad.numpy()[0])


def test_grad_of_the_same_input_twice_gives_it_twice():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        return [g.tolist() for g in lib.autograd.grad((x * x).sum(), [x, x])]

    assert run(tg) == run(torch) == [[2.0, 4.0], [2.0, 4.0]]


def test_grad_of_a_hooked_non_leaf_is_captured_where_pytorch_captures_it():
    def run(lib, inputs):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g * 100)
        chosen = {"y": [y], "x, y": [x, y]}[inputs]
        return [g.tolist() for g in lib.autograd.grad((y * y).sum(), chosen)]

    for inputs in ("y", "x, y"):
        assert run(tg, inputs) == run(torch, inputs)


def test_a_hook_that_changes_the_dtype_is_refused():
    x = tg.ones(2, requires_grad=True)
    x.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="dtype"):
        (x * 2).sum().backward()


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tensor([5, 7]) // 0,
        lambda lib: lib.tensor([5, 7]) % 0,
        lambda lib: lib.tensor([5, 7]).div(0, rounding_mode="trunc"),
        lambda lib: lib.tensor([1.0]) - lib.tensor([True]),
    ],
)
def test_integer_division_by_zero_and_bool_subtraction_raise_like_pytorch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(tg)


def test_true_division_of_integers_by_a_large_scalar_does_not_wrap():
    pixels = np.array([0, 128, 255], np.uint8)
    for divisor in (256, -1, 1000):
        ours = (tg.tensor(pixels) / divisor).numpy()
        theirs = (torch.tensor(pixels) / divisor).numpy()
        np.testing.assert_allclose(ours, theirs)


def test_an_in_place_change_through_an_integer_index_reaches_the_tensor():
    for lib in (tg, torch):
        t = lib.tensor([1.0, 2.0])
        t[0].add_(10)
        m = lib.ones(2, 2)
        m[1, 1].mul_(100)
        assert t.tolist() == [11.0, 2.0] and m.tolist() == [[1.0, 1.0], [1.0, 100.0]]


def test_matmul_saves_only_what_the_needed_gradients_use():
    def run(lib):
        x = lib.ones(2, 2, requires_grad=True)
        y = x * 1
        z = y @ lib.ones(2, 2)  # only y needs a gradient: the constant is what is saved
        y.mul_(2)
        z.sum().backward()
        return x.grad.tolist()

    assert run(tg) == run(torch)


@pytest.mark.parametrize(
    "index",
    [
        lambda lib: (0, slice(None), [0, 1]),
        lambda lib: (1, slice(1, 3), [0, 0, 4]),
        lambda lib: ([0, 2], 1, slice(None)),
        lambda lib: (Ellipsis, 2, [1, 3]),
        lambda lib: (0, None, [1, 2], slice(None)),
        lambda lib: (slice(None), 1, lib.tensor([True, False, True, False, True])),
    ],
)
def test_integers_mixed_with_index_arrays_index_like_pytorch(index):
    """PyTorch applies integers first; NumPy would move the broadcast dims to the front."""
    x = np.arange(60.0).reshape(3, 4, 5)
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours[index(tg)], theirs[index(torch)]
    np.testing.assert_array_equal(y_ours.numpy(force=True), y_theirs.detach().numpy())
    weights = np.random.default_rng(0).random(tuple(y_theirs.shape))
    (y_ours * tg.tensor(weights)).sum().backward()
    (y_theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_weights_that_require_grad_are_refused_like_pytorch(loss):
    for lib in (torch, tg):
        logits = lib.randn(3, 4, requires_grad=True)
        weight = lib.rand(4, requires_grad=True)
        with pytest.raises(RuntimeError, match="weight"):
            getattr(lib.nn.functional, loss)(logits, lib.tensor([0, 1, 2]), weight=weight)
        with lib.no_grad():  # nothing is recorded: nothing to refuse
            getattr(lib.nn.functional, loss)(logits, lib.tensor([0, 1, 2]), weight=weight)
