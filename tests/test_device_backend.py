"""The device seam, tested on every CPU-only run: the whole op table, forward, backward and
double backward, on the ``"strict"`` backend (``strict_backend.py``: NumPy that refuses NumPy)
against the CPU. An op that reaches for NumPy directly raises there; one that computes
differently off the CPU gives different numbers. Then devices themselves: moving tensors and
modules, the errors PyTorch gives for mixed devices and NumPy conversion, and an MLP trained
on the device equal to the one trained on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import OPS
from strict_backend import StrictArray

import tensorgrad
from tensorgrad import nn

STRICT = tensorgrad.device("strict", 0)


def _tensors(value) -> list:
    if isinstance(value, tensorgrad.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return []


def _on(inputs, where) -> list:
    return [t.detach().to(where).requires_grad_(t.requires_grad) for t in inputs]


def _run(call, inputs, second_order: bool):
    """Outputs, first gradients and (with ``second_order``) second gradients of ``call``, all
    as host arrays; every output must be on the inputs' device."""
    outputs = _tensors(call(*inputs))
    for output in outputs:
        assert output.device == inputs[0].device, f"an output on {output.device}"
    floats = [o for o in outputs if o.is_floating_point() and o.requires_grad]
    leaves = [t for t in inputs if t.requires_grad]
    values = [o.detach().cpu().numpy() for o in outputs]
    if not floats or not leaves:
        return values, [], []
    # A weighted sum, so that every output element gets its own weight.
    loss = sum((o * tensorgrad.arange(o.numel(), dtype=o.dtype, device=o.device).reshape(
        o.shape).cos()).sum() for o in floats)
    grads = tensorgrad.autograd.grad(loss, leaves, create_graph=second_order, allow_unused=True)
    firsts = [None if g is None else g.detach().cpu().numpy() for g in grads]
    seconds = []
    if second_order:
        used = [g for g in grads if g is not None and g.requires_grad]
        if used:
            total = sum((g * g).sum() for g in used)
            again = tensorgrad.autograd.grad(total, leaves, allow_unused=True)
            seconds = [None if g is None else g.detach().cpu().numpy() for g in again]
    return values, firsts, seconds


def _assert_same(expected: list, actual: list, what: str) -> None:
    assert len(expected) == len(actual), what
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e is None or a is None:
            assert e is None and a is None, f"{what} {i}: None on one device only"
            continue
        assert a.dtype == e.dtype and a.shape == e.shape, f"{what} {i}"
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"{what} {i}")


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(max_examples=4)
@given(data=st.data())
def test_op_on_the_device_equals_the_cpu(op, data):
    inputs, params = data.draw(op.case, label="inputs, params")
    call = op.bind(tensorgrad, params)
    expected = _run(call, _on(inputs, "cpu"), op.second_order)
    actual = _run(call, _on(inputs, STRICT), op.second_order)
    for name, e, a in zip(("value", "gradient", "second gradient"), expected, actual):
        _assert_same(e, a, name)
