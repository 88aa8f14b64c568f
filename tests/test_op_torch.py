"""Every op of the table against PyTorch: forward values (and dtypes) and gradients, float64."""

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
