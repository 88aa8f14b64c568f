"""In-place ops: ``add_``, ``sub_``, ``mul_``, ``div_``, ``zero_``, ``fill_``, ``copy_``,
``clamp_``, ``x[i] = v`` and the augmented operators (``+=``…).

Outside the graph (under ``no_grad``, or when nothing involved requires grad) they write into
the array directly: the path optimizers and ``nn.init`` take. Inside it they compute the
out-of-place op, write its value into this tensor's memory, and make this tensor the op's
output, as PyTorch does. Either way the version counter goes up, so a backward that saved
the old value raises instead of using the new one.
"""

from __future__ import annotations

from .._backend import array_module, device_of, transfer
from .._registry import op, tensor_method
from .._tracing import constant, inplace_done, inplace_in_graph, overwritten, snapshot, watch
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor
from ._util import is_scalar, promote
from .arithmetic import add, div, mul, sub
from .comparison import as_condition
from .conditional import where
from .indexing import _normalize_index, index_put, masked_fill
from .unary import clamp


def _operand_array(value, self: Tensor, op: str, any_device: bool = False):
    """The array (or scalar) an in-place op on ``self`` combines with, on ``self``'s device.

    A tensor elsewhere is copied over if it is 0-d (a scalar, as PyTorch allows) or the op
    copies across devices (``copy_``, ``any_device``); otherwise PyTorch's error.
    """
    if isinstance(value, Tensor):
        data = value._data
        if type(data) is not type(self._data):
            if not (any_device or value.ndim == 0):
                raise RuntimeError(
                    f"{op}: Expected all tensors to be on the same device, but found at least "
                    f"two devices, {self.device} and {value.device}!"
                )
            return transfer(data, device_of(self._data))
        return data
    if is_scalar(value) or not hasattr(value, "dtype"):
        return value
    array = array_module(value).asarray(value)  # an ndarray (or a NumPy scalar)
    if type(array) is not type(self._data):
        array = transfer(array, device_of(self._data))
    return array


def _inplace(self: Tensor, op: str, others: tuple, out_of_place, update_array) -> Tensor:
    """Run an in-place op: directly on the array, or through the graph when it must be."""
    recording = grad_state.enabled and (
        self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)
    )
    if not recording:
        try:
            update_array(self._data)
        except (TypeError, ValueError) as error:
            raise _inplace_error(op, self, others, error) from None
        self._version_counter[0] += 1
        return self
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad (shape {self.shape}) cannot be modified in "
            f"place while gradients are recorded; wrap the update in `with tensorgrad.no_grad():`"
        )
    if self._base is not None:
        raise RuntimeError(
            f"{op}: a view (shape {self.shape}) cannot be modified in place by an operation "
            f"that is recorded for backward: its base tensor's graph would not see the change. "
            f"Assign through the base instead (base[index] = value), or use out-of-place ops"
        )
    # The op may save its input for backward (mul_ needs the old value for the other
    # operand's gradient), so it gets a snapshot that the write below cannot change, as
    # PyTorch saves the original self. Only recorded in-place ops pay for the copy.
    as_ops = watch.threads and inplace_in_graph()  # a compile recording sees its ops
    try:
        previous = Tensor(self._data.copy(), self._requires_grad, self.grad_fn, self._output_nr)
        if as_ops:
            snapshot(previous, self)
        result = _changed(op, self, out_of_place(previous))
        array_module(self._data).copyto(self._data, result._data)
        if as_ops:
            overwritten(self, result)
    finally:
        if as_ops:
            inplace_done()
    self._version_counter[0] += 1
    if self._retains_grad and self.grad_fn is not None:
        # .grad is the gradient of the newest version only (PyTorch's rule).
        self.grad_fn._retained.pop(self._output_nr, None)
    self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
    self._requires_grad = result._requires_grad
    if self.grad_fn is not None and self._retains_grad:
        self.grad_fn._retain_output(self)
    return self


def _changed(op: str, self: Tensor, result: Tensor) -> Tensor:
    """``result`` checked to fit in ``self`` (its shape), converted to ``self``'s dtype."""
    if result.shape != self.shape:
        raise RuntimeError(
            f"{op}: the result has shape {result.shape} but the tensor modified in place has "
            f"shape {self.shape}"
        )
    if result._data.dtype != self._data.dtype:
        if result._data.dtype.kind == "f" and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"{op}: result type {result.dtype} cannot be cast to the tensor's dtype "
                f"{self.dtype}"
            )
        result = result.to(self.dtype)
    return result


def _inplace_error(op: str, self: Tensor, others: tuple, error: Exception) -> RuntimeError:
    shapes = [self.shape] + [o.shape for o in others if isinstance(o, Tensor)]
    dtypes = [str(self.dtype)] + [str(o.dtype) for o in others if isinstance(o, Tensor)]
    return RuntimeError(
        f"{op}: cannot update a tensor of shape {self.shape} and dtype {self.dtype} in place "
        f"with operands of shapes {shapes[1:]} and dtypes {dtypes[1:]}: {error}"
    )


def _check_same_kind(self: Tensor, other, op: str) -> None:
    """Integer and bool tensors cannot take a float result in place (PyTorch's rule)."""
    if self._data.dtype.kind in "f":
        return
    if isinstance(other, float) or (isinstance(other, Tensor) and other._data.dtype.kind == "f"):
        raise RuntimeError(
            f"{op}: result type float cannot be cast to the tensor's dtype {self.dtype}"
        )


@tensor_method("add_", "__iadd__")
def add_(self: Tensor, other, *, alpha=1) -> Tensor:
    """``self += alpha * other`` in place; returns ``self``."""
    _check_same_kind(self, other, "add_")
    value = _operand_array(other, self, "add_")

    def update(array):
        array += value if alpha == 1 else value * alpha

    return _inplace(self, "add_", (other,), lambda t: add(t, other, alpha=alpha), update)


@tensor_method("sub_", "__isub__")
def sub_(self: Tensor, other, *, alpha=1) -> Tensor:
    """``self -= alpha * other`` in place; returns ``self``."""
    _check_same_kind(self, other, "sub_")
    value = _operand_array(other, self, "sub_")

    def update(array):
        array -= value if alpha == 1 else value * alpha

    return _inplace(self, "sub_", (other,), lambda t: sub(t, other, alpha=alpha), update)


@tensor_method("mul_", "__imul__")
def mul_(self: Tensor, other) -> Tensor:
    """``self *= other`` in place; returns ``self``."""
    _check_same_kind(self, other, "mul_")
    value = _operand_array(other, self, "mul_")

    def update(array):
        array *= value

    return _inplace(self, "mul_", (other,), lambda t: mul(t, other), update)


@tensor_method("div_", "__itruediv__")
def div_(self: Tensor, other) -> Tensor:
    """``self /= other`` in place (floating-point tensors); returns ``self``."""
    if self._data.dtype.kind != "f":
        raise RuntimeError(
            f"div_: result type float cannot be cast to the tensor's dtype {self.dtype}"
        )
    value = _operand_array(other, self, "div_")

    def update(array):
        with array_module(array).errstate(divide="ignore", invalid="ignore"):
            array /= value

    return _inplace(self, "div_", (other,), lambda t: div(t, other), update)


def _replace_all(previous: Tensor, value) -> Tensor:
    """An op whose output is ``value`` everywhere: the old value gets a zero gradient."""
    everywhere = constant(Tensor(array_module(previous._data).ones(previous.shape, dtype=bool)))
    new, old = promote("fill_", value, previous)
    return where(everywhere, new, old)


@op("fill_")
def fill_(self: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or 0-d tensor); returns ``self``."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_: value must be a number or a 0-dim tensor, got {value.shape}")
    fill_value = _operand_array(value, self, "fill_")

    def update(array):
        array[...] = fill_value

    return _inplace(self, "fill_", (value,), lambda t: _replace_all(t, value), update)


@op("zero_")
def zero_(self: Tensor) -> Tensor:
    """Set every element to 0; returns ``self``."""
    return fill_(self, 0)


@tensor_method("copy_")
def copy_(self: Tensor, src) -> Tensor:
    """Copy ``src`` (broadcast, converted to this dtype, from any device) into this tensor;
    returns ``self``."""
    source = _operand_array(src, self, "copy_", any_device=True)
    if isinstance(src, Tensor) and type(src._data) is not type(self._data):
        src = src.to(self.device)  # recorded: a gradient flows back to src's device

    def update(array):
        array_module(array).copyto(array, source, casting="unsafe")

    return _inplace(self, "copy_", (src,), lambda t: _replace_all(t, src), update)


@op("clamp_", methods=("clamp_", "clip_"))
def clamp_(self: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Clamp in place to ``[min, max]``; returns ``self``."""
    low = _operand_array(min, self, "clamp_") if min is not None else None
    high = _operand_array(max, self, "clamp_") if max is not None else None
    if low is None and high is None:
        raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")

    def update(array):
        array_module(array).clip(array, low, high, out=array)

    others = tuple(v for v in (min, max) if v is not None)
    return _inplace(self, "clamp_", others, lambda t: clamp(t, min, max), update)


@tensor_method("masked_fill_")
def masked_fill_(self: Tensor, mask, value) -> Tensor:
    """Set the elements where ``mask`` (broadcast) is True to ``value``; returns ``self``."""
    condition = as_condition(mask, "masked_fill_")
    fill_value = _operand_array(value, self, "masked_fill_")

    def update(array):
        array_module(array).copyto(array, fill_value, where=condition._data)

    return _inplace(
        self, "masked_fill_", (value,), lambda t: masked_fill(t, condition, value), update
    )


@tensor_method("__setitem__")
def setitem(self: Tensor, index, value) -> None:
    """``self[index] = value`` (value broadcast); differentiable like PyTorch's index_put_."""
    normalized = _normalize_index(index, "setitem", self)
    if isinstance(value, Tensor) and type(value._data) is not type(self._data):
        value = value.to(self.device)  # a copy across devices, as PyTorch's x[i] = v does
    source = _operand_array(value, self, "setitem")

    def update(array):
        try:
            array[normalized] = source
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor of shape {self.shape})") from None

    _inplace(self, "setitem", (value,), lambda t: index_put(t, index, value), update)
