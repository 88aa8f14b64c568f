"""The op registry: each op declares its names once, where it is defined.

    @op("clamp", "clip", numpy=("clip",))
    def clamp(input, min=None, max=None): ...

declares ``tensorgrad.clamp`` and ``tensorgrad.clip``, the Tensor methods ``clamp`` and
``clip``, and that ``numpy.clip(tensor, …)`` dispatches to it. ``tensorgrad.ops`` exports
what was declared, ``_tensor_methods`` installs the methods, and ``_numpy_dispatch`` reads
the NumPy names: adding an op means editing its ops file (and the op table of the tests).
It sits just above ``tensor.py``, so every layer above that can declare.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from ._backend import ndarray
from .tensor import Tensor

__all__ = ["op", "tensor_method", "tensor_property", "functions", "methods", "numpy_names"]

functions: dict[str, Callable] = {}  # tensorgrad.X
methods: dict[str, object] = {}  # Tensor.X (functions, and properties)
numpy_names: dict[str, Callable] = {}  # numpy.X(tensor, …) runs this


def _claim(table: dict, name: str, value, what: str) -> None:
    if name in table and table[name] is not value:
        raise RuntimeError(f"registry: {what} {name!r} is declared twice")
    table[name] = value


def op(
    *names: str,
    methods: tuple[str, ...] | None = None,
    numpy: tuple[str, ...] = (),
    operator: str | None = None,
    reflected: bool = True,
    operator_method: Callable | None = None,
):
    """Declare a public op.

    Args:
        names: its names in ``tensorgrad`` (the function's own name if none).
        methods: its Tensor method names (default: ``names``; ``()`` for none).
        numpy: the NumPy functions or ufuncs that dispatch to it on a Tensor.
        operator: the operator it is, e.g. ``"add"`` installs ``__add__`` (and ``__radd__``
            unless ``reflected=False``), returning NotImplemented for operand types it does
            not know so that Python tries the other side.
        operator_method: installed as the operator itself instead of a wrapper around the
            function (it must return NotImplemented for operands it does not know): the
            hot arithmetic operators save a call this way.
    """

    def declare(function: Callable) -> Callable:
        public = names or (function.__name__,)
        for name in public:
            _claim(functions, name, function, "function")
        for name in public if methods is None else methods:
            _claim(globals()["methods"], name, function, "method")
        for name in numpy:
            _claim(numpy_names, name, function, "NumPy name")
        if operator is not None:
            method = operator_method or _operator(function, operator)
            _claim(globals()["methods"], f"__{operator}__", method, "method")
            if reflected:
                reflection = _reflected(operator_method or function, operator)
                _claim(globals()["methods"], f"__r{operator}__", reflection, "method")
        return function

    return declare


def tensor_method(*names: str):
    """Declare a function that is only a Tensor method (PyTorch has no function of the name)."""

    def declare(function: Callable) -> Callable:
        for name in names or (function.__name__,):
            _claim(methods, name, function, "method")
        return function

    return declare


def tensor_property(name: str, doc: str):
    """Declare a function of one tensor as a read-only Tensor property (``x.T``)."""

    def declare(function: Callable) -> Callable:
        _claim(methods, name, property(function, doc=doc), "method")
        return function

    return declare


# What an operator takes; anything else gets NotImplemented, so that ``tensor == None`` is
# False and other types get their reflected turn.
_OPERANDS = (Tensor, numbers.Number, ndarray)


def _operator(function: Callable, name: str) -> Callable:
    def method(self, other):
        if type(other) is not Tensor and not isinstance(other, _OPERANDS):
            return NotImplemented
        return function(self, other)

    method.__name__ = f"__{name}__"
    method.__doc__ = function.__doc__
    return method


def _reflected(function: Callable, name: str) -> Callable:
    def method(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return function(other, self)

    method.__name__ = f"__r{name}__"
    method.__doc__ = f"``other {name} self``: :func:`{function.__name__}`, operands swapped."
    return method
