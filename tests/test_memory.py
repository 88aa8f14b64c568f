"""Graphs are freed by reference counting alone: no reference cycles, no growth over training.

Each test runs with the cyclic garbage collector switched off, so an object that is only freed
by ``gc.collect()`` (i.e. one caught in a cycle) shows up as a live weak reference; then
``gc.DEBUG_SAVEALL`` checks that a collection finds no tensorgrad object at all.
"""

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function
from tensorgrad.autograd.function import AccumulateGrad


@pytest.fixture
def no_cyclic_gc():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _cyclic_garbage_from_tensorgrad() -> list:
    """Objects a full collection finds unreachable that belong to tensorgrad."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = [o for o in gc.garbage if type(o).__module__.startswith("tensorgrad")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return found


def _graph_refs(output) -> list:
    """Weak references to every node and intermediate tensor reachable from ``output``."""
    refs, stack, seen = [weakref.ref(output)], [output.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or isinstance(node, AccumulateGrad):
            continue
        seen.add(id(node))
        refs.append(weakref.ref(node))
        stack.extend(edge for edge, _ in node.next_functions)
    return refs


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        y = x * x
        ctx.save_for_backward(x, y)  # saves its own output too
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, _ = ctx.saved_tensors
        return 2 * x * grad_output


def _build(x):
    """A graph with views, saved outputs, a custom Function, indexing and a reduction."""
    h = (x @ x.T).exp()
    h = Square.apply(h.sigmoid()[0:2]).reshape(-1)
    h.retain_grad()
    return tg.logsumexp(h * 2 + h.tanh(), dim=0) + h.max()


def test_graph_is_freed_after_backward(no_cyclic_gc):
    x = tg.randn(3, 2, requires_grad=True)
    loss = _build(x)
    refs = _graph_refs(loss)
    assert len(refs) > 8
    loss.backward()
    del loss
    assert [r for r in refs if r() is not None] == []
    assert x.grad.shape == (3, 2) and x.grad.grad_fn is None
    assert _cyclic_garbage_from_tensorgrad() == []


def test_graph_is_freed_when_the_output_is_dropped_without_backward(no_cyclic_gc):
    x = tg.randn(3, 2, requires_grad=True)
    loss = _build(x)
    refs = _graph_refs(loss)
    del loss
    assert [r for r in refs if r() is not None] == []
    assert _cyclic_garbage_from_tensorgrad() == []


def test_retained_graph_is_freed_once_dropped(no_cyclic_gc):
    x = tg.randn(3, 2, requires_grad=True)
    loss = _build(x)
    refs = _graph_refs(loss)
    loss.backward(retain_graph=True)
    loss.backward()
    del loss
    assert [r for r in refs if r() is not None] == []
    assert _cyclic_garbage_from_tensorgrad() == []


def test_autograd_grad_and_second_order_graphs_are_freed(no_cyclic_gc):
    x = tg.randn(4, requires_grad=True)
    y = (x.sin() * x).sum()
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    refs = _graph_refs(g) + _graph_refs(y)
    (h,) = tg.autograd.grad(g.sum(), x)
    del y, g
    assert [r for r in refs if r() is not None] == []
    assert h.grad_fn is None
    assert _cyclic_garbage_from_tensorgrad() == []


def test_leaf_keeps_no_reference_to_the_graph(no_cyclic_gc):
    x = tg.randn(5, requires_grad=True)
    for _ in range(3):
        loss = (x.exp() * x).sum()
        refs = _graph_refs(loss)
        loss.backward()
        del loss
        assert [r for r in refs if r() is not None] == []
    assert _cyclic_garbage_from_tensorgrad() == []


def _train_mlp(steps: int, on_step) -> list:
    """A 2-8-1 sigmoid MLP on XOR with plain SGD; calls ``on_step(step)`` after each step."""
    inputs = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = (tg.randn(2, 8) * 0.5).requires_grad_()
    b1 = tg.zeros(8, requires_grad=True)
    w2 = (tg.randn(8, 1) * 0.5).requires_grad_()
    b2 = tg.zeros(1, requires_grad=True)
    parameters = (w1, b1, w2, b2)
    losses = []
    for step in range(1, steps + 1):
        hidden = (inputs @ w1 + b1).sigmoid()
        output = (hidden @ w2 + b2).sigmoid()
        loss = ((output - targets) ** 2).mean()
        loss.backward()
        with tg.no_grad():
            for p in parameters:
                p -= 1.0 * p.grad
                p.grad = None
        if step in (1, steps):
            losses.append(loss.item())
        on_step(step)
    return losses


def test_training_keeps_memory_flat():
    """10,000 steps: Python allocations compared at steps 1,000 and 10,000, and every byte
    (NumPy buffers included) traced by tracemalloc from step 9,000 to step 10,000.

    Tracing only the end keeps the test at a few seconds (tracemalloc slows every allocation
    about threefold). Each reading follows a full collection, which also empties CPython's
    free lists: otherwise their slow refill with traced blocks (up to 2,000 tuples of each
    size) would read as growth. A leak of one small tuple per step would add 56 kB.
    """
    blocks, traced = {}, {}

    def on_step(step):
        if step in (1_000, 10_000):
            blocks[step] = sys.getallocatedblocks()
        if step == 8_999:
            gc.collect()
            tracemalloc.start()
        if step in (9_000, 10_000):
            gc.collect()
            traced[step] = tracemalloc.get_traced_memory()[0]

    gc.collect()
    try:
        losses = _train_mlp(10_000, on_step)
    finally:
        tracemalloc.stop()
    assert blocks[10_000] - blocks[1_000] < 200, blocks
    assert traced[10_000] - traced[9_000] < 4 * 1024, traced
    assert losses[-1] < 0.1 * losses[0]  # it did train


def test_no_tensors_leak_per_step(no_cyclic_gc):
    def live_tensors() -> int:
        # type(), not isinstance(): isinstance reads __class__, which some torch shims warn on.
        return sum(issubclass(type(o), tg.Tensor) for o in gc.get_objects())

    x = tg.tensor(np.ones((3, 3)), requires_grad=True)
    (x * 2).sum().backward()
    before = live_tensors()
    for _ in range(50):
        (x.exp() @ x).tanh().sum().backward()
    assert live_tensors() == before
