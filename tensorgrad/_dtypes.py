"""Data types and PyTorch's type-promotion rules.

A ``tensorgrad.dtype`` is a thin, named wrapper over a NumPy dtype so that reprs read
``tensorgrad.float32`` and comparisons work against NumPy dtypes too
(``t.dtype == numpy.float32`` is True).
"""

from __future__ import annotations

import numpy

__all__ = [
    "dtype",
    "bfloat16",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "half",
    "float",
    "double",
    "short",
    "int",
    "long",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
]

_builtin_bool, _builtin_int, _builtin_float = bool, int, float


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type: ``tensorgrad.float32``, ``tensorgrad.int64``, ``tensorgrad.bool``…"""

    __slots__ = ("name", "numpy_dtype", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, numpy_dtype: numpy.dtype):
        self.name = name
        self.numpy_dtype = numpy_dtype
        self.is_floating_point = numpy_dtype.kind == "f"
        self.is_signed = numpy_dtype.kind in "if"
        self.itemsize = numpy_dtype.itemsize

    def __repr__(self) -> str:
        return f"tensorgrad.{self.name}"

    def __eq__(self, other) -> _builtin_bool:
        if isinstance(other, dtype):
            return self is other
        if other is None:  # numpy.dtype(None) is float64, but no dtype equals None
            return False
        try:
            return self.numpy_dtype == numpy.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> _builtin_int:
        return hash(self.numpy_dtype)

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = half = dtype("float16", numpy.dtype(numpy.float16))
float32 = float = dtype("float32", numpy.dtype(numpy.float32))
float64 = double = dtype("float64", numpy.dtype(numpy.float64))
uint8 = dtype("uint8", numpy.dtype(numpy.uint8))
int8 = dtype("int8", numpy.dtype(numpy.int8))
int16 = short = dtype("int16", numpy.dtype(numpy.int16))
int32 = int = dtype("int32", numpy.dtype(numpy.int32))
int64 = long = dtype("int64", numpy.dtype(numpy.int64))
bool = dtype("bool", numpy.dtype(numpy.bool_))  # noqa: A001 - PyTorch's name


class _UnsupportedDtype(dtype):
    """A PyTorch dtype NumPy has no type for: it exists, so that scripts naming it (nanoGPT's
    ``{'bfloat16': torch.bfloat16, ...}`` table) run, and any tensor of it is a clear error."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: _builtin_int) -> None:
        self.name = name
        self.is_floating_point = True
        self.is_signed = True
        self.itemsize = itemsize

    @property
    def numpy_dtype(self):
        raise TypeError(
            f"tensorgrad.{self.name} is not supported: NumPy has no {self.name} type "
            f"(use float32 or float64)"
        )

    def __eq__(self, other) -> _builtin_bool:
        return self is other

    def __hash__(self) -> _builtin_int:
        return hash(self.name)


bfloat16 = _UnsupportedDtype("bfloat16", 2)

_BY_NUMPY = {
    d.numpy_dtype: d for d in (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
}
_BY_NAME = {d.name: d for d in _BY_NUMPY.values()}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

_default_float = [numpy.dtype(numpy.float32)]
# The same one-element list, for generated code that reads it inline (a call costs 3×).
default_float_cell = _default_float


def get_default_dtype() -> dtype:
    """The dtype Python floats become (``float32`` unless changed)."""
    return _BY_NUMPY[_default_float[0]]


def set_default_dtype(d) -> None:
    """Set the dtype Python floats become; only floating dtypes are allowed."""
    np_dtype = to_numpy_dtype(d)
    if np_dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point dtypes are allowed, got {d}")
    _default_float[0] = np_dtype


def default_float_numpy() -> numpy.dtype:
    """The NumPy dtype of the default float type (internal fast path)."""
    return _default_float[0]


def to_numpy_dtype(d) -> numpy.dtype:
    """Convert a tensorgrad dtype, NumPy dtype, Python type or name to a NumPy dtype."""
    if isinstance(d, dtype):
        return d.numpy_dtype
    if d is _builtin_float:  # the Python type means float64, as in PyTorch
        return numpy.dtype(numpy.float64)
    if d is _builtin_int:
        return numpy.dtype(numpy.int64)
    if d is _builtin_bool:
        return numpy.dtype(numpy.bool_)
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d].numpy_dtype
    try:
        np_dtype = numpy.dtype(d)
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype tensorgrad understands") from None
    if np_dtype not in _BY_NUMPY:
        raise TypeError(f"dtype {np_dtype} is not supported by tensorgrad")
    return np_dtype


def as_dtype(d) -> dtype:
    """Convert anything :func:`to_numpy_dtype` accepts to a ``tensorgrad.dtype``."""
    return _BY_NUMPY[to_numpy_dtype(d)]


def from_numpy_dtype(np_dtype: numpy.dtype) -> dtype:
    """The ``tensorgrad.dtype`` of a NumPy dtype (internal fast path)."""
    return _BY_NUMPY[np_dtype]


# Categories order promotion across kinds: bool < integer < floating.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def category(np_dtype: numpy.dtype) -> _builtin_int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return _CATEGORY[np_dtype.kind]


def promote_numpy(a: numpy.dtype, b: numpy.dtype) -> numpy.dtype:
    """Promote two NumPy dtypes the way PyTorch promotes two dimensioned tensors.

    Unlike NumPy, an integer with a float gives the float's type (int64 + float32 is float32).
    """
    if a == b:
        return a
    cat_a, cat_b = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if cat_a != cat_b:
        return a if cat_a > cat_b else b
    return numpy.promote_types(a, b)


def promote_types(type1, type2) -> dtype:
    """``tensorgrad.promote_types(float32, int64) -> float32``, as ``torch.promote_types``."""
    return _BY_NUMPY[promote_numpy(to_numpy_dtype(type1), to_numpy_dtype(type2))]


def scalar_numpy_dtype(value) -> numpy.dtype:
    """The dtype a Python scalar would have on its own (bool, int64 or the default float)."""
    if isinstance(value, (_builtin_bool, numpy.bool_)):
        return numpy.dtype(numpy.bool_)
    if isinstance(value, (_builtin_int, numpy.integer)):
        return numpy.dtype(numpy.int64)
    if isinstance(value, (_builtin_float, numpy.floating)):
        return _default_float[0]
    raise TypeError(f"expected a number, got {type(value).__name__}")


def result_numpy_dtype(operands) -> numpy.dtype:
    """PyTorch's ``result_type`` over tensors and Python scalars.

    Dimensioned tensors decide the type; a zero-dimensional tensor or a Python scalar only
    matters when it is of a higher category (bool < int < float), as in PyTorch: a float32
    tensor times a float64 scalar stays float32, an int64 tensor times 0.5 becomes the
    default float type.
    """
    dimensioned = zero_dim = scalar = None
    for operand in operands:
        array = getattr(operand, "_data", None)  # a Tensor's ndarray
        if array is None:
            np_dtype = scalar_numpy_dtype(operand)
            scalar = np_dtype if scalar is None else _promote_scalar(scalar, np_dtype)
            continue
        np_dtype = array.dtype
        if array.ndim == 0:
            zero_dim = np_dtype if zero_dim is None else promote_numpy(zero_dim, np_dtype)
        else:
            dimensioned = np_dtype if dimensioned is None else promote_numpy(dimensioned, np_dtype)
    result = dimensioned
    for weaker in (zero_dim, scalar):
        if weaker is None:
            continue
        if result is None or _CATEGORY[weaker.kind] > _CATEGORY[result.kind]:
            result = weaker
    return result


def _promote_scalar(a: numpy.dtype, b: numpy.dtype) -> numpy.dtype:
    return a if _CATEGORY[a.kind] >= _CATEGORY[b.kind] else b


def result_type(*operands) -> dtype:
    """``tensorgrad.result_type(tensor, 2.5)``: the dtype an operation on these would give."""
    return _BY_NUMPY[result_numpy_dtype(operands)]
