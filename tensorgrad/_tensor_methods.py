"""The one place that installs methods and operators on ``Tensor``.

``tensor.py`` imports nothing above it; the op functions, ``backward``, ``to``, NumPy's
dispatch protocols and ``draw`` are attached here, from the layers that define them, so
``x.exp()`` is literally ``tensorgrad.exp(x)`` with no extra call in between.
"""

from __future__ import annotations

import numbers

from . import _backend, _numpy_dispatch
from .autograd.engine import backward
from .creation import new_empty, new_full, new_ones, new_tensor, new_zeros
from .ops import (
    activation,
    arithmetic,
    comparison,
    conversion,
    indexing,
    inplace,
    joining,
    linalg,
    reduction,
    selection,
    shape,
    unary,
)
from .tensor import Tensor
from .viz import draw_graph

_OPERANDS = (Tensor, numbers.Number, _backend.ndarray)


def _operator(function):
    """A binary operator: NotImplemented for operand types it does not know (so that
    ``tensor == None`` is False and other types get their reflected turn)."""

    def method(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return function(self, other)

    method.__name__ = f"__{function.__name__}__"
    method.__doc__ = function.__doc__
    return method


def _reflected(function):
    def method(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return function(other, self)

    method.__name__ = f"__r{function.__name__}__"
    method.__doc__ = f"``other {function.__name__} self`` with the operands swapped."
    return method


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

    Args:
        gradient: d(loss)/d(self), same shape as ``self``; may be omitted for a scalar.
        retain_graph: keep the saved tensors so that backward can run again
            (defaults to ``create_graph``).
        create_graph: record the backward pass itself, for higher-order derivatives.
        inputs: accumulate only into these tensors.
    """
    backward(self, gradient, retain_graph, create_graph, inputs)


def _draw(self, **kwargs):
    """The graph that produced this tensor, as a ``graphviz.Digraph``.

    Same keyword arguments as :func:`tensorgrad.viz.draw_graph` (``params=model``, …).
    """
    return draw_graph(self, **kwargs)


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    return _numpy_dispatch.array_ufunc(ufunc, method, inputs, kwargs)


def _array_function(self, func, types, args, kwargs):
    return _numpy_dispatch.array_function(func, args, kwargs)


def _attach() -> None:
    methods = {
        # arithmetic
        "add": arithmetic.add,
        "sub": arithmetic.sub,
        "subtract": arithmetic.sub,
        "mul": arithmetic.mul,
        "multiply": arithmetic.mul,
        "div": arithmetic.div,
        "divide": arithmetic.div,
        "true_divide": arithmetic.div,
        "pow": arithmetic.pow,
        "neg": arithmetic.neg,
        "negative": arithmetic.neg,
        "abs": arithmetic.abs,
        "absolute": arithmetic.abs,
        "maximum": arithmetic.maximum,
        "minimum": arithmetic.minimum,
        "where": lambda self, condition, other: arithmetic.where(condition, self, other),
        "remainder": arithmetic.remainder,
        "fmod": arithmetic.fmod,
        "floor_divide": arithmetic.floor_divide,
        # comparison
        "eq": comparison.eq,
        "ne": comparison.ne,
        "lt": comparison.lt,
        "le": comparison.le,
        "gt": comparison.gt,
        "ge": comparison.ge,
        "logical_and": comparison.logical_and,
        "logical_or": comparison.logical_or,
        "logical_not": comparison.logical_not,
        "logical_xor": comparison.logical_xor,
        "isnan": comparison.isnan,
        "isinf": comparison.isinf,
        "isfinite": comparison.isfinite,
        "equal": comparison.equal,
        "allclose": comparison.allclose,
        "isclose": comparison.isclose,
        # unary
        "exp": unary.exp,
        "log": unary.log,
        "log2": unary.log2,
        "log10": unary.log10,
        "log1p": unary.log1p,
        "expm1": unary.expm1,
        "sqrt": unary.sqrt,
        "rsqrt": unary.rsqrt,
        "sin": unary.sin,
        "cos": unary.cos,
        "tanh": unary.tanh,
        "sigmoid": unary.sigmoid,
        "relu": unary.relu,
        "clamp": unary.clamp,
        "clip": unary.clamp,
        "sign": unary.sign,
        "square": unary.square,
        "floor": unary.floor,
        "ceil": unary.ceil,
        "round": unary.round,
        "trunc": unary.trunc,
        "reciprocal": unary.reciprocal,
        # reductions
        "sum": reduction.sum,
        "mean": reduction.mean,
        "prod": reduction.prod,
        "max": reduction.max,
        "min": reduction.min,
        "amax": reduction.amax,
        "amin": reduction.amin,
        "argmax": reduction.argmax,
        "argmin": reduction.argmin,
        "var": reduction.var,
        "std": reduction.std,
        "logsumexp": reduction.logsumexp,
        "norm": reduction.norm,
        "cumsum": reduction.cumsum,
        "all": reduction.all,
        "any": reduction.any,
        "count_nonzero": reduction.count_nonzero,
        # shape
        "reshape": shape.reshape,
        "view": shape.view,
        "view_as": shape.view_as,
        "reshape_as": shape.reshape_as,
        "flatten": shape.flatten,
        "unflatten": shape.unflatten,
        "permute": shape.permute,
        "transpose": shape.transpose,
        "swapaxes": shape.swapaxes,
        "movedim": shape.movedim,
        "t": shape.t,
        "unsqueeze": shape.unsqueeze,
        "squeeze": shape.squeeze,
        "expand": shape.expand,
        "expand_as": shape.expand_as,
        "broadcast_to": shape.broadcast_to,
        "repeat": shape.repeat,
        "flip": shape.flip,
        "split": joining.split,
        "chunk": joining.chunk,
        "unbind": joining.unbind,
        "clone": shape.clone,
        "narrow": joining.narrow,
        # indexing
        "gather": indexing.gather,
        "index_select": indexing.index_select,
        "masked_fill": indexing.masked_fill,
        "take_along_dim": indexing.take_along_dim,
        "nonzero": indexing.nonzero,
        # linear algebra
        "matmul": linalg.matmul,
        "mm": linalg.mm,
        "bmm": linalg.bmm,
        "mv": linalg.mv,
        "dot": linalg.dot,
        "outer": linalg.outer,
        "inner": linalg.inner,
        # in place
        "add_": inplace.add_,
        "sub_": inplace.sub_,
        "mul_": inplace.mul_,
        "div_": inplace.div_,
        "zero_": inplace.zero_,
        "fill_": inplace.fill_,
        "copy_": inplace.copy_,
        "clamp_": inplace.clamp_,
        "clip_": inplace.clamp_,
        # operators
        "__add__": _operator(arithmetic.add),
        "__radd__": _reflected(arithmetic.add),
        "__sub__": _operator(arithmetic.sub),
        "__rsub__": _reflected(arithmetic.sub),
        "__mul__": _operator(arithmetic.mul),
        "__rmul__": _reflected(arithmetic.mul),
        "__truediv__": _operator(arithmetic.div),
        "__rtruediv__": _reflected(arithmetic.div),
        "__floordiv__": _operator(arithmetic.floor_divide),
        "__rfloordiv__": _reflected(arithmetic.floor_divide),
        "__mod__": _operator(arithmetic.remainder),
        "__rmod__": _reflected(arithmetic.remainder),
        "__pow__": _operator(arithmetic.pow),
        "__rpow__": _reflected(arithmetic.pow),
        "__matmul__": _operator(linalg.matmul),
        "__rmatmul__": _reflected(linalg.matmul),
        "__neg__": arithmetic.neg,
        "__pos__": lambda self: self,
        "__abs__": arithmetic.abs,
        "__eq__": _operator(comparison.eq),
        "__ne__": _operator(comparison.ne),
        "__lt__": _operator(comparison.lt),
        "__le__": _operator(comparison.le),
        "__gt__": _operator(comparison.gt),
        "__ge__": _operator(comparison.ge),
        "__and__": _operator(comparison.bitwise_and),
        "__rand__": _reflected(comparison.bitwise_and),
        "__or__": _operator(comparison.bitwise_or),
        "__ror__": _reflected(comparison.bitwise_or),
        "__xor__": _operator(comparison.bitwise_xor),
        "__rxor__": _reflected(comparison.bitwise_xor),
        "sort": selection.sort,
        "argsort": selection.argsort,
        "topk": selection.topk,
        "tril": selection.tril,
        "triu": selection.triu,
        "masked_fill_": inplace.masked_fill_,
        "new_zeros": new_zeros,
        "new_ones": new_ones,
        "new_full": new_full,
        "new_empty": new_empty,
        "new_tensor": new_tensor,
        "type_as": lambda self, other: self.to(other.dtype),
        "softmax": activation.softmax,
        "log_softmax": activation.log_softmax,
        "bitwise_and": comparison.bitwise_and,
        "bitwise_or": comparison.bitwise_or,
        "bitwise_xor": comparison.bitwise_xor,
        "bitwise_not": comparison.bitwise_not,
        "__invert__": comparison.bitwise_not,
        "__iadd__": inplace.add_,
        "__isub__": inplace.sub_,
        "__imul__": inplace.mul_,
        "__itruediv__": inplace.div_,
        "__getitem__": indexing.getitem,
        "__setitem__": inplace.setitem,
        "sum_to_size": reduction.sum_to_size,
        "to": conversion.to,
        "backward": _backward,
        "draw": _draw,
        "__array_ufunc__": _array_ufunc,
        "__array_function__": _array_function,
    }
    for name, function in methods.items():
        setattr(Tensor, name, function)
    Tensor.T = property(shape.T, doc="The tensor with all dims reversed.")
    Tensor.mT = property(shape.mT, doc="The last two dims swapped (batched transpose).")


_attach()
