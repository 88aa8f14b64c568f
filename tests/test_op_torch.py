"""Every op of the table against PyTorch: forward values (and dtypes) and gradients, float64;
then the numerically delicate ones again in float32."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_table import OPS

import tensorgrad
from tensorgrad.testing import assert_matches_torch

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_matches_torch(op, data):
    inputs, params = data.draw(op.case, label="inputs, params")
    assert_matches_torch(op.bind(tensorgrad, params), op.bind(torch, params), *inputs)


FLOAT32_CASES = {
    "sigmoid": (lambda lib, x: lib.sigmoid(x * 30), 1),
    "softmax": (lambda lib, x: lib.softmax(x * 100, dim=-1), 1),
    "log_softmax": (lambda lib, x: lib.log_softmax(x * 100, dim=-1), 1),
    "logsumexp": (lambda lib, x: lib.logsumexp(x * 100, dim=-1), 1),
    "exp_log": (lambda lib, x: lib.log(lib.exp(x) + 1), 1),
    "tanh": (lambda lib, x: lib.tanh(x * 10), 1),
    "var_std": (lambda lib, x: lib.var(x, dim=0) + lib.std(x, dim=1).sum(), 1),
    "matmul": (lambda lib, a, b: lib.matmul(a, b.mT), 2),
    "norm": (lambda lib, x: lib.norm(x, dim=-1), 1),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CASES))
def test_float32_matches_torch(name):
    """The table runs in float64; float32 (the default dtype) has its own failure modes."""
    call, arity = FLOAT32_CASES[name]
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((4, 6)).astype(np.float32) for _ in range(arity)]
    assert_matches_torch(lambda *t: call(tensorgrad, *t), lambda *t: call(torch, *t), *arrays)
