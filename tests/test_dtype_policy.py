"""One dtype rule for every op of one tensor, PyTorch's: integer and bool inputs of the
transcendental ops become the default float dtype (whatever ``set_default_dtype`` says), the
ops PyTorch refuses for them raise its exception, and the rest keep the input's dtype."""

from __future__ import annotations

import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

# name -> how to call it (one tensor in, dims where the op needs one)
UNARY = {
    name: (lambda lib, x, name=name: getattr(lib, name)(x))
    for name in [
        "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos",
        "tanh", "sigmoid", "reciprocal", "erf", "abs", "neg", "sign", "floor", "ceil",
        "round", "trunc", "relu", "square", "positive", "mean", "var", "std", "norm", "sum",
        "prod", "amax", "amin",
    ]
}  # fmt: skip
UNARY.update(
    {
        name: (lambda lib, x, name=name: getattr(lib, name)(x, 0))
        for name in ["softmax", "log_softmax", "logsumexp", "cumsum"]
    }
)
MORE_POINTWISE = [
    "tan", "exp2", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "sinh", "cosh", "asinh",
    "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "erfc", "erfinv", "fix", "frac", "sgn",
    "signbit", "nan_to_num",
]  # fmt: skip
UNARY.update({name: (lambda lib, x, name=name: getattr(lib, name)(x)) for name in MORE_POINTWISE})
UNARY.update(
    {
        "round_decimals": lambda lib, x: lib.round(x, decimals=1),
        "clamp_int_bounds": lambda lib, x: lib.clamp(x, 0, 1),
        "clamp_float_bounds": lambda lib, x: lib.clamp(x, 0.5, 2.5),
        "clamp_bool_bounds": lambda lib, x: lib.clamp(x, False, True),
        "clamp_tensor_bounds": lambda lib, x: lib.clamp(x, x, x),
        "atan2": lambda lib, x: lib.atan2(x, x),
        "hypot": lambda lib, x: lib.hypot(x, x),
        "lerp": lambda lib, x: lib.lerp(x, x, 0.5),
        "addcmul": lambda lib, x: lib.addcmul(x, x, x, value=2),
        "addcdiv": lambda lib, x: lib.addcdiv(x, x, x),
        "floor_divide": lambda lib, x: lib.floor_divide(x, x),
        "remainder": lambda lib, x: lib.remainder(x, x),
        "fmod": lambda lib, x: lib.fmod(x, x),
        "div_floor": lambda lib, x: lib.div(x, x, rounding_mode="floor"),
        "div_trunc": lambda lib, x: lib.div(x, x, rounding_mode="trunc"),
        "softplus": lambda lib, x: lib.nn.functional.softplus(x),
    }
)
DTYPES = ["int64", "int32", "uint8", "bool", "float32", "float64"]


def _outcome(lib, name: str, dtype: str):
    x = lib.tensor([1, 2, 3]).to(getattr(lib, dtype))
    try:
        return str(UNARY[name](lib, x).dtype).split(".")[-1]
    except Exception as error:  # the exception type is part of the contract
        return type(error).__name__


@pytest.fixture(params=["float32", "float64"])
def default_dtype(request):
    previous_tg, previous_torch = tg.get_default_dtype(), torch.get_default_dtype()
    tg.set_default_dtype(getattr(tg, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    yield request.param
    tg.set_default_dtype(previous_tg)
    torch.set_default_dtype(previous_torch)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_result_dtype_or_exception_matches_pytorch(name, default_dtype):
    ours = {dtype: _outcome(tg, name, dtype) for dtype in DTYPES}
    theirs = {dtype: _outcome(torch, name, dtype) for dtype in DTYPES}
    assert ours == theirs
