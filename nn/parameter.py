"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""

from __future__ import annotations

import tensorgrad
from tensorgrad import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that is a module's weight: assigning it to a module attribute registers it.

    ``Parameter(data)`` shares ``data``'s memory (like PyTorch) and requires grad by default;
    it is always a leaf, even when ``data`` was produced by recorded ops. Results of ops on a
    parameter are plain Tensors.

    Args:
        data: the initial value (a Tensor; None gives an empty float tensor).
        requires_grad: whether gradients are accumulated into ``.grad``.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data = tensorgrad.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        # A Tensor subclass sets up its own Tensor fields: the same array (no copy) and the
        # same version counter, so an in-place change through either is seen by both, as
        # with PyTorch's Parameter. No public call shares a version counter.
        super().__init__(data._data)
        self._version_counter = data._version_counter
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
