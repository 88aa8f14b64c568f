"""A second backend that every CPU-only CI run has: NumPy behind the device interface, under
the device name ``"strict"``, that refuses NumPy.

Its arrays (:class:`StrictArray`) behave as a GPU library's do: operators, methods, indexing
and its own module of functions (``ctx.xp``) work; handing one to NumPy itself
(``numpy.asarray``, ``numpy.exp``, ``numpy.concatenate``…) or mixing it with a host ndarray
raises ``TypeError``, as CuPy does. So a test that runs ops on ``"strict"`` tensors fails
wherever an op reaches for NumPy directly instead of asking for its inputs' module; the
values it computes are NumPy's, so they must equal the CPU results exactly.

The only way across is the sanctioned one: ``xp.asarray(host_array)`` (CuPy's host-to-device
copy) and the backend's ``from_host``/``to_host``.
"""

from __future__ import annotations

import operator
import types

import numpy

from tensorgrad import Tensor
from tensorgrad._backend import Backend, register_backend
from tensorgrad._device import device

__all__ = ["StrictArray", "STRICT", "strict_namespace", "tensors_in"]

_HOST_ENTRY = {"asarray", "array", "asanyarray", "ascontiguousarray"}  # may take host data


class StrictArray:
    """An ndarray that NumPy cannot see: every operation unwraps, runs NumPy, and wraps."""

    __slots__ = ("_array", "__weakref__")
    __array_ufunc__ = None  # numpy.exp(strict) and ndarray + strict raise TypeError
    __hash__ = None

    def __init__(self, array: numpy.ndarray):
        self._array = array

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "StrictArray: implicit conversion to a NumPy array is not allowed (an op reached "
            "for NumPy instead of its inputs' array module)"
        )

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(
            f"StrictArray: numpy.{func.__name__} called on a strict array (an op reached for "
            f"NumPy instead of its inputs' array module)"
        )

    # What a GPU array has: metadata read off the host copy, a device.
    shape = property(lambda self: self._array.shape)
    dtype = property(lambda self: self._array.dtype)
    ndim = property(lambda self: self._array.ndim)
    size = property(lambda self: self._array.size)
    itemsize = property(lambda self: self._array.itemsize)
    nbytes = property(lambda self: self._array.nbytes)
    strides = property(lambda self: self._array.strides)
    flags = property(lambda self: self._array.flags)
    T = property(lambda self: _wrap(self._array.T, (self,)))
    mT = property(lambda self: _wrap(self._array.mT, (self,)))
    real = property(lambda self: _wrap(self._array.real, (self,)))
    imag = property(lambda self: _wrap(self._array.imag, (self,)))
    base = property(lambda self: None if self._array.base is None else _BASE)
    device = property(lambda self: _DEVICE_ZERO)  # CuPy's `array.device.id`

    def __getattr__(self, name: str):
        if name.startswith("__"):  # NumPy reads __array_interface__ & co.: hide them all
            raise AttributeError(name)
        method = getattr(self._array, name)
        if not callable(method):
            return _wrap(method, (self,))
        return _wrapped_call(method, f"ndarray.{name}", (self,))

    def __getitem__(self, index):
        return _wrap(self._array[_unwrap_index(index)], (self,))

    def __setitem__(self, index, value):
        self._array[_unwrap_index(index)] = _unwrap(value, "__setitem__")

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self):
        return (_wrap(row, (self,)) for row in self._array)

    def __bool__(self) -> bool:
        return bool(self._array)

    def __float__(self) -> float:
        return float(self._array)

    def __int__(self) -> int:
        return int(self._array)

    def __index__(self) -> int:
        return operator.index(self._array)

    def __repr__(self) -> str:
        return f"strict_array({self._array!r})"

    def __copy__(self):
        return StrictArray(self._array.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._array.copy())


_BASE = object()  # "a view of something": code may test `base is None`, never use the base
_DEVICE_ZERO = types.SimpleNamespace(id=0)


def _binary(name: str):
    def method(self, other):
        return _wrap(getattr(self._array, name)(_unwrap(other, name)), (self,))

    method.__name__ = name
    return method


def _inplace(name: str):
    def method(self, other):
        getattr(self._array, name)(_unwrap(other, name))
        return self

    method.__name__ = name
    return method


def _unary(name: str):
    def method(self):
        return _wrap(getattr(self._array, name)(), (self,))

    method.__name__ = name
    return method


_ARITHMETIC = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"]
for _op in [*_ARITHMETIC, "and", "or", "xor", "lshift", "rshift", "divmod"]:
    setattr(StrictArray, f"__{_op}__", _binary(f"__{_op}__"))
    setattr(StrictArray, f"__r{_op}__", _binary(f"__r{_op}__"))
    if _op != "divmod":
        setattr(StrictArray, f"__i{_op}__", _inplace(f"__i{_op}__"))
for _op in ["lt", "le", "gt", "ge", "eq", "ne"]:
    setattr(StrictArray, f"__{_op}__", _binary(f"__{_op}__"))
for _op in ["neg", "pos", "abs", "invert"]:
    setattr(StrictArray, f"__{_op}__", _unary(f"__{_op}__"))


def _unwrap(value, where: str, host_ok: bool = False):
    """``value`` for NumPy: strict arrays unwrapped (inside lists, tuples and dicts too); a host
    ndarray raises (a GPU library refuses one) unless ``host_ok``."""
    kind = type(value)
    if kind is StrictArray:
        return value._array
    if kind is numpy.ndarray and not host_ok:
        raise TypeError(
            f"StrictArray: {where} got a host numpy.ndarray of shape {value.shape}; move it "
            f"to the device first (xp.asarray)"
        )
    if kind in (list, tuple):
        return kind(_unwrap(item, where, host_ok) for item in value)
    if kind is dict:
        return {key: _unwrap(item, where, host_ok) for key, item in value.items()}
    return value


def _unwrap_index(index):
    # CuPy accepts host integer and boolean arrays as indices (it copies them over).
    return _unwrap(index, "indexing", host_ok=True)


def _wrap(value, inputs: tuple):
    """NumPy's answer as the strict backend's: arrays and NumPy scalars become strict arrays (a
    reduction gives a 0-d array, as on a GPU); an input handed back is that same object."""
    kind = type(value)
    if kind is numpy.ndarray:
        for given in inputs:
            if type(given) is StrictArray and given._array is value:
                return given
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))
    if kind in (list, tuple):
        return kind(_wrap(item, inputs) for item in value)
    if isinstance(value, tuple):  # a named tuple (linalg's results)
        return kind(*(_wrap(item, inputs) for item in value))
    return value


def _wrapped_call(function, name: str, bound: tuple = ()):
    host_ok = name.rpartition(".")[2] in _HOST_ENTRY

    def call(*args, **kwargs):
        inputs = bound + args + tuple(kwargs.values())
        result = function(*_unwrap(args, name, host_ok), **_unwrap(kwargs, name, host_ok))
        return _wrap(result, inputs)

    call.__name__ = name
    return call


# The ufunc methods CuPy has for a few ufuncs only (what tensorgrad's ops may call).
_UFUNC_METHODS = {
    "accumulate": {"add", "multiply"},
    "at": {"add", "subtract", "maximum", "minimum"},
    "reduce": {"add", "multiply", "maximum", "minimum", "logical_and", "logical_or"},
    "reduceat": {"add"},
}


class _StrictUfunc:
    """A NumPy ufunc on strict arrays: calls and ``.at``/``.reduce``/``.accumulate``/…"""

    def __init__(self, ufunc: numpy.ufunc):
        self._ufunc = ufunc
        self._call = _wrapped_call(ufunc, ufunc.__name__)
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __getattr__(self, name: str):
        value = getattr(self._ufunc, name)
        if not callable(value):
            return value
        allowed = _UFUNC_METHODS.get(name)
        if allowed is not None and self._ufunc.__name__ not in allowed:
            raise TypeError(
                f"StrictArray: {self._ufunc.__name__}.{name} is not available on a GPU "
                f"(CuPy has {name} for {', '.join(sorted(allowed))} only)"
            )
        return _wrapped_call(value, f"{self._ufunc.__name__}.{name}")


class StrictNamespace:
    """A NumPy module (``numpy``, ``numpy.linalg``…) over strict arrays: ``ctx.xp``."""

    def __init__(self, module: types.ModuleType):
        self._module = module

    def __getattr__(self, name: str):
        if name == "ndarray":
            value = StrictArray
        else:
            value = getattr(self._module, name)
            if isinstance(value, types.ModuleType):
                value = StrictNamespace(value)
            elif isinstance(value, numpy.ufunc):
                value = _StrictUfunc(value)
            elif callable(value) and not isinstance(value, type):
                value = _wrapped_call(value, f"{self._module.__name__}.{name}")
        setattr(self, name, value)
        return value


strict_namespace = StrictNamespace(numpy)


class StrictBackend(Backend):
    """The ``"strict"`` device: one device (index 0), arrays copied in and out of the host."""

    type = "strict"
    xp = strict_namespace
    array_type = StrictArray

    def device(self, array) -> device:
        return device("strict", 0)

    def resolve(self, target: device) -> device:
        return device("strict", 0 if target.index is None else target.index)

    def from_host(self, array, index):
        return StrictArray(numpy.array(array, copy=True))

    def to_host(self, array):
        return array._array.copy()

    def errstate(self, **settings):
        return numpy.errstate(**settings)


STRICT = StrictBackend()
register_backend(STRICT)


def tensors_in(value) -> list:
    """The tensors in an op's or a layer's result (tuples, lists, named tuples and
    PackedSequences walked), in order: what the device tests compare."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors_in(item)]
    return []
