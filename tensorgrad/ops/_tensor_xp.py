"""NumPy's names over Tensors: what ``ctx.xp`` is while a backward records a graph.

Backward formulas are written once against the array-module interface (see ``_op.py``).
Under ``create_graph=True`` these functions stand in for NumPy's, with NumPy's signatures,
and run the differentiable ops, so the formula records its own graph.
"""

from __future__ import annotations

from ..creation import full, zeros
from ..dtypes import to_numpy_dtype
from ..tensor import Tensor
from .arithmetic import abs, maximum, minimum, where  # noqa: F401 - NumPy's names
from .indexing import IndexAdd
from .reduction import cumsum as _cumsum
from .shape import flip as _flip
from .shape import unsqueeze
from .unary import cos, exp, log, log1p, sign, sin, sqrt, tanh  # noqa: F401 - NumPy's names
from .unary import sigmoid as _sigmoid

inf = float("inf")


def expand_dims(x: Tensor, axis: int) -> Tensor:
    return unsqueeze(x, axis)


def flip(x: Tensor, axis) -> Tensor:
    return _flip(x, axis)


def cumsum(x: Tensor, axis: int) -> Tensor:
    return _cumsum(x, axis)


def zeros_like(x: Tensor) -> Tensor:
    return zeros(x.shape, dtype=x.dtype)


def full_like(x: Tensor, value) -> Tensor:
    return full(x.shape, value, dtype=x.dtype)


def asarray(value, dtype=None) -> Tensor:
    if isinstance(value, Tensor):
        return value if dtype is None else value.to(to_numpy_dtype(dtype))
    return full((), value, dtype=dtype)


def expit(x: Tensor) -> Tensor:
    """The logistic sigmoid (SciPy's name)."""
    return _sigmoid(x)


def add_at(shape: tuple, index: tuple, values: Tensor) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeats accumulate)."""
    return IndexAdd.apply(values, shape=shape, index=index)
