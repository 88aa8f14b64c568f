"""``repr`` of tensors in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

from ._backend import default_module as _xp
from ._backend import device_of, ndarray, to_host

_DEFAULT_SHOWN = {"float32", "int64", "bool"}


def _aligned(formatter, array):
    """Right-justify every element to the widest one, as PyTorch's columns are."""
    width = max((len(formatter(v)) for v in array.flat), default=0)
    return lambda v: formatter(v).rjust(width)


def _format_array(array, indent: int) -> str:
    if array.dtype.kind == "f":
        finite = array[_xp.isfinite(array)]
        integral = finite.size == 0 or bool((finite == _xp.round(finite)).all())
        large = finite.size and (
            abs(finite).max() >= 1e8
            or (abs(finite[finite != 0]).min() < 1e-4 if (finite != 0).any() else False)
        )
        if integral and not large:
            element = lambda v: f"{v:.0f}." if _xp.isfinite(v) else str(v)  # noqa: E731
        elif large:
            element = lambda v: f"{v:.4e}"  # noqa: E731
        else:
            element = lambda v: f"{v:.4f}" if _xp.isfinite(v) else str(v)  # noqa: E731
        return _xp.array2string(
            array,
            separator=", ",
            prefix=" " * indent,
            formatter={"float_kind": _aligned(element, array)},
            threshold=1000,
        )
    if array.dtype.kind == "b":
        element = lambda v: "True" if v else "False"  # noqa: E731
        return _xp.array2string(
            array,
            separator=", ",
            prefix=" " * indent,
            formatter={"bool": _aligned(element, array)},
            threshold=1000,
        )
    return _xp.array2string(array, separator=", ", prefix=" " * indent, threshold=1000)


def tensor_repr(t) -> str:
    """The text PyTorch would print for ``t``."""
    array = t._data
    extras = []
    if type(array) is not ndarray:
        extras.append(f"device='{device_of(array)}'")
        array = to_host(array)
    body = _format_array(array, len("tensor("))
    if array.size == 0 and array.ndim != 1:
        extras.append(f"size={tuple(array.shape)}")
    name = t.dtype.name
    if name not in _DEFAULT_SHOWN or (array.size == 0 and name != "float32"):
        extras.append(f"dtype=tensorgrad.{name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    suffix = "".join(", " + e for e in extras)
    return f"tensor({body}{suffix})"
