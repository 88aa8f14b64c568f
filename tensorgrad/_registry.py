"""The op registry: each op declares its names once, where it is defined.

    @op("clamp", "clip", numpy=("clip",))
    def clamp(input, min=None, max=None): ...

declares ``tensorgrad.clamp`` and ``tensorgrad.clip``, the Tensor methods ``clamp`` and
``clip``, and that ``numpy.clip(tensor, …)`` dispatches to it. ``tensorgrad.ops`` exports
what was declared, ``_tensor_methods`` installs the methods, and ``_numpy_dispatch`` reads
the NumPy names: adding an op means editing its ops file (and the op table of the tests).
It sits just above ``tensor.py``, so every layer above that can declare.

What PyTorch's argument parser gives every native function is added here, once, to the public
names (``tensorgrad.X``, ``Tensor.X``; the ops' own modules keep the plain functions):

- NumPy's spellings ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``;
- on ``tensorgrad.X``, ``out=``: the result is written into the given tensor (resized, with
  PyTorch's warning, if it has the wrong shape), which is returned. As in PyTorch it refuses
  tensors that require grad while grad mode is on.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from collections.abc import Callable

from ._backend import array_module, as_array, device_of, ndarray
from ._dtypes import from_numpy_dtype
from ._tracing import observed
from .tensor import Tensor

__all__ = ["op", "tensor_method", "tensor_property", "functions", "methods", "numpy_names"]

functions: dict[str, Callable] = {}  # tensorgrad.X
methods: dict[str, object] = {}  # Tensor.X (functions, and properties)
numpy_names: dict[str, Callable] = {}  # numpy.X(tensor, …) runs this

# The thread's grad mode (``autograd.grad_mode.state``), which ``out=`` consults. The registry
# sits below autograd, so ``_tensor_methods`` hands it over when it installs the methods.
grad_state = None


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
            _claim(functions, name, _public(function, name, method=False), "function")
        for name in public if methods is None else methods:
            _claim(globals()["methods"], name, _public(function, name, method=True), "method")
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
            _claim(methods, name, _public(function, name, method=True), "method")
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


# PyTorch computes ``2 * t`` as ``t * 2`` (and ``2 + t`` as ``t + 2``): the same numbers, and
# the tensor's edge first in ``grad_fn.next_functions``.
_COMMUTATIVE = {"add", "mul", "and", "or", "xor"}


def _reflected(function: Callable, name: str) -> Callable:
    if name in _COMMUTATIVE:

        def method(self, other):
            if not isinstance(other, _OPERANDS):
                return NotImplemented
            return function(self, other)

    else:

        def method(self, other):
            if not isinstance(other, _OPERANDS):
                return NotImplemented
            return function(other, self)

    method.__name__ = f"__r{name}__"
    method.__doc__ = f"``other {name} self``: :func:`{function.__name__}`."
    return method


# ----------------------------------------------------------------------------- numpy aliases, out=
_NUMPY_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))
# PyTorch's functions written in Python do not go through its argument parser: no NumPy aliases.
_NO_ALIASES = {"norm", "split"}
_NO_ALIASES_ON_METHODS = _NO_ALIASES | {"unflatten"}
# PyTorch's functions without ``out=`` (views, functions written in Python, a few others); the
# in-place ones (a trailing underscore) have none either. tests/test_tensor_api.py checks this
# list against PyTorch's signatures for every declared function.
_NO_OUT = {
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "allclose",
    "avg_pool1d",
    "broadcast_tensors",
    "broadcast_to",
    "cdist",
    "celu",
    "chunk",
    "clone",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_similarity",
    "count_nonzero",
    "det",
    "diag_embed",
    "diagonal",
    "dsplit",
    "einsum",
    "equal",
    "flatten",
    "flip",
    "hsplit",
    "index_fill",
    "index_put",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "logdet",
    "masked_fill",
    "masked_scatter",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "moveaxis",
    "movedim",
    "narrow",
    "pairwise_distance",
    "permute",
    "pixel_shuffle",
    "pixel_unshuffle",
    "positive",
    "prelu",
    "relu",
    "reshape",
    "roll",
    "select",
    "selu",
    "split",
    "squeeze",
    "std_mean",
    "swapaxes",
    "swapdims",
    "t",
    "tensor_split",
    "trace",
    "transpose",
    "unbind",
    "unflatten",
    "unsqueeze",
    "var_mean",
    "vsplit",
}
_MISSING = object()
_wrappers: dict = {}


def _public(function: Callable, name: str, method: bool) -> Callable:
    """``function`` as ``tensorgrad.name`` (``method=False``) or ``Tensor.name``: with the
    NumPy aliases and ``out=`` PyTorch gives that name, or ``function`` itself if none apply.

    A wrapper costs a call on every use, so names that need none get the function itself.
    """
    # The parameters are the function's own, under any recording wrapper (see _tracing).
    code = getattr(inspect.unwrap(function), "__code__", None)
    if method and _is_inplace(name):
        function = observed(function, inplace=True)
    if code is None:
        return function
    parameters = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    skip = _NO_ALIASES_ON_METHODS if method else _NO_ALIASES
    aliases = tuple(
        (alias, target)
        for alias, target in _NUMPY_ALIASES
        if target in parameters and alias not in parameters and name not in skip
    )
    takes_out = not (method or name in _NO_OUT or name.endswith("_") or name.startswith("__")) and (
        "out" not in parameters
    )
    if not aliases and not takes_out:
        return function
    key = (function, aliases, takes_out)
    if key not in _wrappers:
        _wrappers[key] = _wrap(function, name, aliases, takes_out)
    return _wrappers[key]


_INPLACE_OPERATORS = (
    {"__setitem__"}
    | {
        f"__i{name}__"
        for name in (
            "add",
            "sub",
            "mul",
            "truediv",
            "floordiv",
            "mod",
            "pow",
            "matmul",
            "and",
            "or",
        )
    }
    | {"__ixor__", "__ilshift__", "__irshift__"}
)


def _is_inplace(name: str) -> bool:
    """True for the methods that change their tensor in place (``add_``, ``+=``, ``x[i] = v``):
    inside a compiled step each call is one step that the replay repeats."""
    return (name.endswith("_") and not name.startswith("_")) or name in _INPLACE_OPERATORS


def _wrap(function: Callable, name: str, aliases: tuple, takes_out: bool) -> Callable:
    @functools.wraps(function)
    def public(*args, **kwargs):
        if kwargs:
            for alias, target in aliases:
                value = kwargs.pop(alias, _MISSING)
                if value is not _MISSING:
                    if target in kwargs:
                        raise TypeError(
                            f"{name}() got both {target}= and {alias}= (NumPy's name for it)"
                        )
                    kwargs[target] = value
            if takes_out:
                out = kwargs.pop("out", None)
                if out is not None:
                    return _write_out(name, function, args, kwargs, out)
        return function(*args, **kwargs)

    signature = inspect.signature(function)
    extra = [inspect.Parameter(a, inspect.Parameter.KEYWORD_ONLY, default=None) for a, _ in aliases]
    if takes_out:
        extra.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
    listed = list(signature.parameters.values())
    position = next(
        (i for i, p in enumerate(listed) if p.kind is inspect.Parameter.VAR_KEYWORD), len(listed)
    )
    public.__signature__ = signature.replace(
        parameters=listed[:position] + extra + listed[position:]
    )
    return public


def _write_out(name: str, function: Callable, args: tuple, kwargs: dict, out):
    """``function(*args, **kwargs)`` written into ``out`` (a tensor, or one per output)."""
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for target in outs:
        if not isinstance(target, Tensor):
            raise TypeError(
                f"{name}(): argument 'out' must be a Tensor or a tuple of Tensors, not "
                f"{type(target).__name__}"
            )
    result = function(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(outs):
        expected = "a Tensor" if len(results) == 1 else f"a tuple of {len(results)} Tensors"
        raise TypeError(f"{name}(): out must be {expected}, got {len(outs)} tensors")
    # As in PyTorch, only a differentiable result is refused: recorded (an input requires
    # grad), or bound for an out that requires grad, while grad mode is on.
    if grad_state.enabled and any(
        value._requires_grad or (target._requires_grad and value._data.dtype.kind == "f")
        for target, value in zip(outs, results)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            f"differentiation, but one of the arguments requires grad."
        )
    for target, value in zip(outs, results):
        _copy_into(name, target, value._data)
    if not isinstance(result, tuple):
        return out
    return type(result)(*outs) if hasattr(result, "_fields") else outs


def _can_cast(source, target) -> bool:
    """PyTorch's rule for writing a result into ``out``: never float into an integer or bool
    tensor, nor a number into a bool tensor."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    if target.kind == "b":
        return source.kind == "b"
    return order[source.kind] <= order[target.kind]


def _copy_into(name: str, target: Tensor, data) -> None:
    data = as_array(data)
    destination = target._data
    if type(data) is not type(destination):
        raise RuntimeError(
            f"{name}(): Expected out tensor to have device {device_of(data)}, but got "
            f"{device_of(destination)} instead"
        )
    if not _can_cast(data.dtype, destination.dtype):
        raise RuntimeError(
            f"{name}(): result type {from_numpy_dtype(data.dtype)} can't be cast to the desired "
            f"output type {target.dtype}"
        )
    if destination.shape == data.shape:
        array_module(destination).copyto(destination, data, casting="unsafe")
    else:
        if destination.size:
            warnings.warn(  # PyTorch's warning (it resizes only empty outs silently)
                f"{name}(): an output with one or more elements was resized since it had shape "
                f"{list(destination.shape)}, which does not match the required output shape "
                f"{list(data.shape)}. PyTorch deprecates this: pass an out of the right shape, "
                f"or an empty one",
                UserWarning,
                stacklevel=4,
            )
        target._data = data.astype(destination.dtype, copy=True)
    target._version_counter[0] += 1
