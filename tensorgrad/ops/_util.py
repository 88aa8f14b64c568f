"""What the ops share: operands and promotion, the dtype policy, broadcasting errors, BLAS sums."""

from __future__ import annotations

import functools
import numbers

from .. import _backend
from .._backend import array_module, default_module, ndarray
from .._creation import tensor
from .._dtypes import default_float_numpy, result_numpy_dtype
from .._shapes import broadcast_error, broadcast_shape
from .._tracing import constant, watch
from ..tensor import Tensor
from ._op import on_one_device
from .conversion import cast

Number = numbers.Number
_PYTHON_NUMBERS = (int, float)  # exact types: bool is excluded on purpose


def as_tensor_operand(value, op: str) -> Tensor:
    """A non-scalar operand (Tensor, ndarray, list) as a Tensor; scalars are handled by callers."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, _backend.ndarray) or type(value) in _backend.array_types:
        return constant(Tensor(value)) if watch.threads else Tensor(value)
    if isinstance(value, (list, tuple)):
        return tensor(value)
    raise TypeError(f"{op}: expected a Tensor or a number, got {type(value).__name__}")


def scalar_tensor(value, np_dtype, like: Tensor) -> Tensor:
    """A 0-d constant of ``np_dtype`` on ``like``'s array module."""
    data = like._data
    xp = _backend.default_module if type(data) is _backend.ndarray else _backend.array_module(data)
    try:
        result = Tensor(xp.asarray(value, dtype=np_dtype))
    except OverflowError:  # an int out of range for a small integer dtype wraps, as in PyTorch
        result = Tensor(xp.asarray(value).astype(np_dtype))
    return constant(result) if watch.threads else result


def promote(op: str, *operands) -> list[Tensor]:
    """Turn tensors and Python scalars into tensors of one dtype, by PyTorch's rules.

    A float32 tensor with a Python float (or a NumPy float64 scalar) stays float32, an int64
    tensor with a float becomes the default float type, two tensors promote by category and
    size (int64 + float32 is float32, not NumPy's float64).
    """
    first = operands[0]
    if len(operands) == 2:
        second = operands[1]
        if type(first) is Tensor:
            if type(second) is Tensor and first._data.dtype == second._data.dtype:
                if type(first._data) is not type(second._data):
                    return on_one_device(op, [first, second])
                return [first, second]
            if type(second) in _PYTHON_NUMBERS and first._data.dtype.kind == "f":
                # A float tensor with a Python number: the number takes the tensor's dtype.
                return [first, scalar_tensor(second, first._data.dtype, first)]
        elif (
            type(second) is Tensor
            and type(first) in _PYTHON_NUMBERS
            and second._data.dtype.kind == "f"
        ):
            return [scalar_tensor(first, second._data.dtype, second), second]
    normalized = [
        v if isinstance(v, Number) and not isinstance(v, Tensor) else as_tensor_operand(v, op)
        for v in operands
    ]
    like = next((v for v in normalized if isinstance(v, Tensor)), None)
    if like is None:
        raise TypeError(f"{op}: at least one operand must be a Tensor")
    target = result_numpy_dtype(normalized)
    result = []
    for value in normalized:
        if isinstance(value, Tensor):
            if value._data.dtype != target:
                value = cast(value, target)
        else:
            value = scalar_tensor(value, target, like)
        result.append(value)
    kinds = {type(value._data) for value in result}
    return result if len(kinds) == 1 else on_one_device(op, result)


def check_broadcastable(op: str, *shapes: tuple[int, ...]) -> None:
    """Raise our broadcast error (naming the op, the shapes and the dim) if ``shapes`` do not
    broadcast; called after NumPy raised a ValueError, to tell that case from others."""
    if broadcast_shape(*shapes) is None:
        raise broadcast_error(op, *shapes) from None


def apply_elementwise(op_class, op: str, *tensors: Tensor, **params) -> Tensor:
    """``op_class.apply`` for an elementwise op, with NumPy's broadcast ValueError made ours."""
    try:
        return op_class.apply(*tensors, **params)
    except ValueError:
        check_broadcastable(op, *(t.shape for t in tensors))
        raise


# The dtype policy of the ops, PyTorch's, in one place: the ops defined on real numbers take
# integers and bools as the default float dtype (`as_floating`); the others accept the kinds
# PyTorch accepts and refuse the rest with PyTorch's exception type (`require_kind`).


def as_floating(input: Tensor) -> Tensor:
    """``input``, or for an integer or bool tensor its value in the default float dtype (what
    PyTorch's exp, log, sqrt, sigmoid, erf, logsumexp… compute in)."""
    if input._data.dtype.kind != "f":
        return cast(input, default_float_numpy())
    return input


def require_kind(t: Tensor, op: str, kinds: str, error: type[Exception] = RuntimeError) -> None:
    """Raise ``error`` (PyTorch's exception type for ``op``) unless ``t``'s dtype kind is one of
    ``kinds`` (NumPy's letters: ``f`` float, ``i``/``u`` integer, ``b`` bool)."""
    if t._data.dtype.kind not in kinds:
        expected = {"f": "a floating-point", "fiu": "a numeric (not bool)"}.get(kinds, "another")
        raise error(f"{op}: expected {expected} tensor, got dtype {t.dtype}")


def int_tuple(value, dims: int, name: str, op_name: str) -> tuple[int, ...]:
    """A per-dim argument (``stride=2``, ``kernel_size=(3, 5)``) as ``dims`` ints; one value
    is repeated, as PyTorch does."""
    values = (value,) * dims if isinstance(value, int) else tuple(value)
    if len(values) == 1:
        values = values * dims
    if len(values) != dims or not all(isinstance(v, int) for v in values):
        raise RuntimeError(
            f"{op_name}: {name} must be an int or a tuple of {dims} ints, got {value!r}"
        )
    return values


def require_floating(t: Tensor, op: str, error: type[Exception] = RuntimeError) -> None:
    """Raise PyTorch's error for ops that are only defined on floating-point tensors."""
    require_kind(t, op, "f", error)


def is_scalar(value) -> bool:
    """True for Python and NumPy numbers (not tensors, not arrays)."""
    return isinstance(value, Number) and not isinstance(value, Tensor)


def zero_where_no_gradient(xp, grad, value):
    """``value`` where ``grad`` is nonzero, an exact 0 where ``grad`` is exactly 0.

    Used by the backward of ops with singularities: ``0 * inf`` would be NaN, and a discarded
    branch of ``where`` must contribute nothing, not NaN. Under ``create_graph`` (Tensors) only
    the non-finite values are replaced, so that where ``value`` is finite its dependence on
    ``grad`` survives: the second derivative of ``(x / 2) ** 2`` at 0 is 0.5, not 0 (since
    ``value`` is ``grad`` times a factor, a finite value at ``grad == 0`` is 0 anyway).
    """
    if isinstance(grad, Tensor):
        return xp.where((grad == 0) & ~value.isfinite(), 0, value)
    return xp.where(grad == 0, 0, value)


# NumPy's reduce over one axis of a (batch, features) float array runs at a fraction of BLAS
# speed (a short inner axis pays per-row overhead): a product with a vector of ones is ~2x
# faster at 32 rows and 5-9x at 1000, and wins from a single row once the vector is cached
# (measured). The host's vectors are cached read-only; a device allocates its own (from its
# memory pool), so that every device sums the same way and gives the CPU's numbers.
_CACHED_ONES = 1 << 16  # the longest vector cached (256 KiB in float32)


@functools.lru_cache(maxsize=64)
def _host_ones(size: int, dtype) -> ndarray:
    ones = default_module.ones(size, dtype)
    ones.flags.writeable = False
    return ones


def _new_ones(x, size: int):
    """A new vector of ``size`` ones in ``x``'s dtype and array module (a device's, or a
    vector too long to cache)."""
    return array_module(x).ones(size, dtype=x.dtype)


def sum_rows(x):
    """Σ over axis 0 of a 2-D float array (M, N) → (N,)."""
    if type(x) is ndarray and (rows := x.shape[0]) <= _CACHED_ONES:  # the usual case first
        return _host_ones(rows, x.dtype) @ x
    if isinstance(x, Tensor):  # a recorded backward
        return x.sum(axis=0)
    return _new_ones(x, x.shape[0]) @ x


def sum_columns(x):
    """Σ over axis 1 of a 2-D float array (M, N) → (M, 1)."""
    if type(x) is ndarray and (columns := x.shape[1]) <= _CACHED_ONES:
        return (x @ _host_ones(columns, x.dtype))[:, None]
    if isinstance(x, Tensor):
        return x.sum(axis=1, keepdims=True)
    return (x @ _new_ones(x, x.shape[1]))[:, None]
