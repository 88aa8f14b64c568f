"""NumPy's names over Tensors: what ``ctx.xp`` is while a backward records a graph.

Backward formulas are written once against the array-module interface (see ``_op.py``).
Under ``create_graph=True`` these functions stand in for NumPy's, with NumPy's signatures,
and run the differentiable ops, so the formula records its own graph. A formula may use
only the names listed here (a test runs every op's double backward through them).
"""

from __future__ import annotations

from .._creation import zeros as _zeros
from ..tensor import Tensor
from .arithmetic import abs, maximum, minimum
from .conditional import where
from .reduction import cumsum as _cumsum
from .shape import broadcast_to
from .shape import flip as _flip
from .shape import unsqueeze as _unsqueeze
from .unary import cos, exp, log, log1p, sign, sin, sqrt, tanh

__all__ = [
    "abs",
    "broadcast_to",
    "cos",
    "cumsum",
    "exp",
    "expand_dims",
    "flip",
    "log",
    "log1p",
    "maximum",
    "minimum",
    "sign",
    "sin",
    "sqrt",
    "tanh",
    "where",
    "zeros",
]


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """``numpy.expand_dims``: a size-1 dim inserted at ``axis``."""
    return _unsqueeze(x, axis)


def flip(x: Tensor, axis) -> Tensor:
    """``numpy.flip`` along ``axis`` (an int or a tuple)."""
    return _flip(x, axis)


def cumsum(x: Tensor, axis: int) -> Tensor:
    """``numpy.cumsum`` along ``axis``."""
    return _cumsum(x, axis)


def zeros(shape: tuple, dtype) -> Tensor:
    """``numpy.zeros`` (``dtype`` is the tensor dtype a formula read from ``grad.dtype``)."""
    return _zeros(shape, dtype=dtype)
