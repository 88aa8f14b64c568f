"""Every op of the table: analytic gradients (and second derivatives) vs central differences.

Built on ``tensorgrad.testing``: each check also asserts gradient shapes, untouched inputs and
gradients that share no memory. Inputs come in any memory layout (permuted, strided, reversed).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_table import OPS

import tensorgrad
from tensorgrad.testing import assert_gradients_close, assert_second_gradients_close

REQUIRED = {
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "pow_int_scalar",
    "pow_float_scalar",
    "scalar_pow",
    "neg",
    "abs",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "clamp",
    "clamp_tensor_bounds",
    "maximum",
    "minimum",
    "where",
    "sum",
    "mean",
    "prod",
    "amax",
    "amin",
    "max",
    "min",
    "max_dim",
    "min_dim",
    "var",
    "std",
    "logsumexp",
    "norm",
    "cumsum",
    "reshape",
    "view",
    "flatten",
    "permute",
    "transpose",
    "T",
    "mT",
    "unsqueeze",
    "squeeze",
    "expand",
    "broadcast_to",
    "repeat",
    "flip",
    "cat",
    "stack",
    "split",
    "chunk",
    "gather",
    "index_select",
    "masked_fill",
    "getitem_basic",
    "getitem_integer_tensors",
    "getitem_mixed",
    "getitem_mask",
    "matmul",
    "mm",
    "bmm",
    "dot",
    "outer",
    "conv1d",
    "conv2d",
    "conv3d",
    "pad_reflect",
    "pad_replicate",
    "pad_circular",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "interpolate_nearest",
    "interpolate_bilinear",
    "pixel_shuffle",
    "group_norm",
    "conv_transpose2d",
    "unfold",
    "einsum_matmul",
    "einsum_trace",
    "einsum_three",
    "addmm",
    "baddbmm",
    "addbmm",
    "scaled_dot_product_attention",
}
REQUIRED |= {  # more pointwise functions
    "tan",
    "exp2",
    "log2",
    "log10",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "erf",
    "erfc",
    "erfinv",
    "floor",
    "ceil",
    "round",
    "round_decimals",
    "trunc",
    "frac",
    "reciprocal",
    "square",
    "hypot",
    "lerp",
    "lerp_tensor_weight",
    "addcmul",
    "addcdiv",
    "nan_to_num",
}

REQUIRED |= {  # linear algebra
    "linalg_inv",
    "inverse",
    "linalg_det",
    "linalg_slogdet",
    "logdet",
    "linalg_solve",
    "linalg_cholesky",
    "linalg_qr",
    "linalg_eigh",
    "linalg_eigvalsh",
    "linalg_svd",
    "linalg_svdvals",
    "linalg_matrix_norm_svd",
}

REQUIRED |= {  # scans, scatters and gathers, structure
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "diff",
    "scatter",
    "scatter_value",
    "scatter_add",
    "scatter_reduce_sum",
    "scatter_reduce_prod",
    "scatter_reduce_mean",
    "scatter_reduce_amax",
    "scatter_reduce_amin",
    "index_add",
    "index_copy",
    "index_fill",
    "take",
    "take_along_dim",
    "masked_scatter",
    "roll",
    "diag",
    "diagonal",
    "diag_embed",
    "trace",
    "kron",
    "tensordot",
    "cross",
    "linalg_cross",
    "cdist",
}


def test_the_table_covers_every_differentiable_op():
    names = [op.name for op in OPS]
    assert len(names) == len(set(names))
    assert REQUIRED - set(names) == set()


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_gradient_matches_finite_differences(op, data):
    inputs, params = data.draw(op.case, label="inputs, params")
    assert_gradients_close(op.bind(tensorgrad, params), *inputs)


@pytest.mark.parametrize("op", [op for op in OPS if op.second_order], ids=lambda op: op.name)
@given(data=st.data())
def test_second_derivatives_match_finite_differences(op, data):
    inputs, params = data.draw(op.case, label="inputs, params")
    # Larger inputs get random-projection checks: each numeric step is a whole backward pass.
    assert_second_gradients_close(op.bind(tensorgrad, params), *inputs, max_elements=16)
