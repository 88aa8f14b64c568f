"""NumPy calls on tensors: ``ndarray * tensor``, ``numpy.exp(tensor)``, ``numpy.sum(tensor)``.

NumPy ufuncs (and the operators of an ndarray, which are ufuncs) dispatch to the tensor op of
the same meaning and return a Tensor, so mixing arrays into a computation never silently
drops the graph. A ufunc without a tensorgrad counterpart raises a TypeError.

Other NumPy functions (``numpy.mean``, ``numpy.concatenate``…) dispatch when tensorgrad has
the same function; otherwise they run on the plain arrays when no tensor involved requires
grad (handy for plotting and metrics) and raise a TypeError when one does.
"""

from __future__ import annotations

from ._backend import default_module as _xp
from .tensor import Tensor


def _ufunc_table() -> dict:
    import tensorgrad as tg

    return {
        _xp.add: tg.add,
        _xp.subtract: tg.sub,
        _xp.multiply: tg.mul,
        _xp.true_divide: tg.div,
        _xp.power: tg.pow,
        _xp.negative: tg.neg,
        _xp.absolute: tg.abs,
        _xp.exp: tg.exp,
        _xp.log: tg.log,
        _xp.log1p: tg.log1p,
        _xp.expm1: tg.expm1,
        _xp.sqrt: tg.sqrt,
        _xp.sin: tg.sin,
        _xp.cos: tg.cos,
        _xp.tanh: tg.tanh,
        _xp.maximum: tg.maximum,
        _xp.minimum: tg.minimum,
        _xp.matmul: tg.matmul,
        _xp.equal: tg.eq,
        _xp.not_equal: tg.ne,
        _xp.less: tg.lt,
        _xp.less_equal: tg.le,
        _xp.greater: tg.gt,
        _xp.greater_equal: tg.ge,
        _xp.sign: tg.sign,
        _xp.floor: tg.floor,
        _xp.ceil: tg.ceil,
        _xp.square: tg.square,
        _xp.logical_and: tg.logical_and,
        _xp.logical_or: tg.logical_or,
        _xp.logical_not: tg.logical_not,
        _xp.isnan: tg.isnan,
        _xp.isinf: tg.isinf,
        _xp.isfinite: tg.isfinite,
        _xp.log2: tg.log2,
        _xp.log10: tg.log10,
        _xp.floor_divide: tg.floor_divide,
        _xp.remainder: tg.remainder,
    }


def _function_table() -> dict:
    import tensorgrad as tg

    return {
        _xp.sum: tg.sum,
        _xp.mean: tg.mean,
        _xp.prod: tg.prod,
        _xp.concatenate: tg.cat,
        _xp.stack: tg.stack,
        _xp.where: tg.where,
        _xp.clip: tg.clamp,
        _xp.dot: tg.matmul,
        _xp.reshape: tg.reshape,
    }


_tables: dict = {}


def _table(name: str, build) -> dict:
    if name not in _tables:
        _tables[name] = build()
    return _tables[name]


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
    function = _table("ufunc", _ufunc_table).get(ufunc)
    if method != "__call__" or function is None or kwargs:
        raise TypeError(
            f"numpy.{name}{'' if method == '__call__' else '.' + method} is not supported on "
            f"tensorgrad Tensors; use the tensorgrad op, or convert with .detach().numpy()"
        )
    return function(*inputs)


def array_function(func, args: tuple, kwargs: dict):
    """Handle a NumPy function (``numpy.mean``…) called with Tensor arguments."""
    function = _table("function", _function_table).get(func)
    if function is not None and not kwargs:
        return function(*args)
    if _requires_grad(args) or _requires_grad(tuple(kwargs.values())):
        raise TypeError(
            f"numpy.{func.__name__} on a tensor that requires grad would drop its graph; use "
            f"the tensorgrad op, or call .detach().numpy() first"
        )
    plain_kwargs = {key: _plain(value) for key, value in kwargs.items()}
    return func(*_plain(args), **plain_kwargs)
