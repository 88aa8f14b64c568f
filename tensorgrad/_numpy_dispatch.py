"""NumPy calls on tensors: ``ndarray * tensor``, ``numpy.exp(tensor)``, ``numpy.sum(tensor)``.

NumPy ufuncs (and the operators of an ndarray, which are ufuncs) dispatch to the tensor op of
the same meaning and return a Tensor, so mixing arrays into a computation never silently
drops the graph. A ufunc without a tensorgrad counterpart raises a TypeError.

Other NumPy functions (``numpy.mean``, ``numpy.concatenate``…) dispatch when tensorgrad has
the same function; otherwise they run on the plain arrays when no tensor involved requires
grad (handy for plotting and metrics) and raise a TypeError when one does.
"""

from __future__ import annotations

from . import _registry
from ._backend import default_module as _xp
from .tensor import Tensor


def _table() -> dict:
    """NumPy callable -> tensorgrad function, from the names the ops declared."""
    if not _dispatch:
        for name, function in _registry.numpy_names.items():
            _dispatch[getattr(_xp, name)] = function
    return _dispatch


_dispatch: dict = {}


def _requires_grad(values) -> bool:
    for value in values:
        if isinstance(value, Tensor) and value._requires_grad:
            return True
        if isinstance(value, (list, tuple)) and _requires_grad(value):
            return True
    return False


def _plain(value):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def array_ufunc(ufunc, method: str, inputs: tuple, kwargs: dict):
    """Handle ``ufunc(*inputs, **kwargs)`` where some input is a Tensor."""
    name = getattr(ufunc, "__name__", str(ufunc))
    out = kwargs.pop("out", None)
    if out is not None:
        # Writing into NumPy arrays: only meaningful outside the graph.
        if _requires_grad(inputs):
            raise TypeError(
                f"numpy.{name} with out= would write a tensor that requires grad into a NumPy "
                f"array and drop its graph; use tensor operations instead"
            )
        return getattr(ufunc, method)(*_plain(inputs), out=_plain(out), **kwargs)
    function = _table().get(ufunc) if isinstance(ufunc, _xp.ufunc) else None
    if method != "__call__" or function is None or kwargs:
        raise TypeError(
            f"numpy.{name}{'' if method == '__call__' else '.' + method} is not supported on "
            f"tensorgrad Tensors; use the tensorgrad op, or convert with .detach().numpy()"
        )
    return function(*inputs)


def array_function(func, args: tuple, kwargs: dict):
    """Handle a NumPy function (``numpy.mean``…) called with Tensor arguments."""
    function = None if isinstance(func, _xp.ufunc) else _table().get(func)
    if function is not None and not kwargs:
        return function(*args)
    if _requires_grad(args) or _requires_grad(tuple(kwargs.values())):
        raise TypeError(
            f"numpy.{func.__name__} on a tensor that requires grad would drop its graph; use "
            f"the tensorgrad op, or call .detach().numpy() first"
        )
    plain_kwargs = {key: _plain(value) for key, value in kwargs.items()}
    return func(*_plain(args), **plain_kwargs)


@_registry.tensor_method("__array_ufunc__")
def _array_ufunc_method(self, ufunc, method, *inputs, **kwargs):
    return array_ufunc(ufunc, method, inputs, kwargs)


@_registry.tensor_method("__array_function__")
def _array_function_method(self, func, types, args, kwargs):
    return array_function(func, args, kwargs)
