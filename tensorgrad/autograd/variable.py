"""``Variable``: the legacy wrapper old tutorials still use, as PyTorch keeps it.

Since PyTorch 0.4 a Variable *is* a Tensor: ``Variable(t, requires_grad=True)`` returns a new
tensor that shares ``t``'s memory, is out of any graph and requires grad, and
``isinstance(t, Variable)`` is True for every tensor.
"""

from __future__ import annotations

import warnings

from .. import _backend
from .._dtypes import default_float_numpy
from ..tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: a Tensor (see the module's docstring).

    ``volatile`` is accepted with PyTorch's warning; use ``tensorgrad.no_grad()`` instead.
    """

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool | None = None):
        if volatile is not None:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with tensorgrad.no_grad():` "
                "instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            data = Tensor(_backend.default_module.empty(0, dtype=default_float_numpy()))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        result = data.detach()
        return result.requires_grad_(True) if requires_grad else result
