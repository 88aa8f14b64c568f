"""``Op``: the base class of the built-in primitives.

An op's ``forward`` works on raw arrays; its ``backward`` is written once, generically, with
operators, shared array methods (``reshape``, ``sum(axis=, keepdims=)``), ``ctx.xp``
functions and other ops' ``apply``. In an ordinary backward the engine hands it arrays and
``ctx.xp`` is the array module, so it runs at NumPy speed; under ``create_graph=True`` it gets
Tensors and ``ctx.xp`` is :mod:`tensorgrad.ops._tensor_xp` (the same functions over
Tensors), so the very same formula records a differentiable graph.
"""

from __future__ import annotations

from .._backend import array_module, as_array, ndarray
from .._tracing import after_op
from ..autograd import anomaly
from ..autograd.function import Function, connect, resolve_saved
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor

__all__ = ["Op"]


class Op(Function):
    """A built-in primitive: ``forward`` on raw arrays, ``backward`` generic (see the module).

    Tensor inputs are passed positionally, non-tensor parameters by keyword::

        Sum.apply(x, dims=(0,), keepdim=False)

    ``apply`` on raw arrays (as a backward formula does in an ordinary backward) just runs
    ``forward`` and returns an array. Set ``is_view = True`` on ops whose output shares the
    first input's memory, so that an in-place change through either is seen by the other's
    version checks.
    """

    is_view = False
    # The array function forward is, for elementwise ops whose forward is nothing else: the
    # no-grad path of ``apply_elementwise`` calls it directly.
    ufunc = None
    view_may_copy = False  # True for ops that return a view only when NumPy can make one
    _unpacks_tensors = False
    _array_backward = True
    tensor_namespace = None  # set by tensorgrad.ops once every op exists (see _tensor_xp)

    @classmethod
    def name(cls) -> str:
        return f"{cls.__name__}Backward0"

    @classmethod
    def apply(cls, *inputs, **params):
        if grad_state.enabled:
            for t in inputs:
                if t._requires_grad:
                    break
            else:
                t = None
            if t is not None:  # record: the node, then forward, then the saved tensors
                ctx = cls.__new__(cls)
                arrays, ctx.needs_input_grad = connect(ctx, inputs)
                first = arrays[0]
                if type(first) is not ndarray:
                    ctx.xp = array_module(first)
                try:
                    raw = cls.forward(ctx, *arrays, **params)
                except RuntimeWarning:
                    raw = _quiet_forward(cls, ctx, arrays, params)
                except TypeError:
                    out = _on_one_device(cls, inputs, params)
                    if out is None:
                        raise
                    return out
                # A 0-d result may be a NumPy scalar; save_for_backward matched it by identity.
                data = raw if type(raw) is ndarray else as_array(raw)
                out = Tensor(data, True, ctx) if data.dtype.kind == "f" else Tensor(data)
                if cls.is_view:
                    _share_memory_identity(cls, out, inputs[0])
                if ctx._to_save:
                    resolve_saved(ctx, arrays, inputs, (raw,), (out,))
                if anomaly.watch.threads:
                    anomaly.check_forward(ctx, [out._data])
                    after_op(ctx, inputs, params, (out,))
                return out
        # The no-grad fast path: every optimizer step and inference runs here.
        ctx = cls.__new__(cls)
        first = inputs[0]
        if type(first) is not Tensor and not isinstance(first, Tensor):
            # Raw arrays: a formula inside an ordinary backward.
            if type(first) is not ndarray:
                ctx.xp = array_module(first)
            return cls.forward(ctx, *inputs, **params)
        data = first._data
        if type(data) is not ndarray:
            ctx.xp = array_module(data)
        try:
            if len(inputs) == 1:
                data = cls.forward(ctx, data, **params)
            elif len(inputs) == 2:
                data = cls.forward(ctx, data, inputs[1]._data, **params)
            else:
                data = cls.forward(ctx, *[t._data for t in inputs], **params)
        except RuntimeWarning:
            data = _quiet_forward(cls, ctx, [t._data for t in inputs], params)
        except TypeError:
            out = _on_one_device(cls, inputs, params)
            if out is None:
                raise
            return out
        out = Tensor(data)
        if cls.is_view:
            _share_memory_identity(cls, out, first)
        if anomaly.watch.threads:
            anomaly.check_forward(ctx, [out._data])
            after_op(ctx, inputs, params, (out,))
        return out

    def _input_grads(self, grad_outputs, create_graph: bool):
        if create_graph:
            # The same formula, on Tensors: saved tensors unpack as Tensors and ctx.xp's
            # functions record (the node is only ever in one backward at a time).
            self._unpacks_tensors = True
            previous_xp = self.__dict__.get("xp")
            self.xp = self.tensor_namespace
            try:
                result = type(self).backward(self, *grad_outputs)
            finally:
                del self._unpacks_tensors
                if previous_xp is None:
                    del self.xp
                else:
                    self.xp = previous_xp
        else:
            result = type(self).backward(self, *grad_outputs)
        if type(result) is not tuple:
            result = (result,)
        if len(result) != len(self._next):
            raise RuntimeError(
                f"{self.name()}: backward returned {len(result)} gradients, expected "
                f"{len(self._next)}"
            )
        return result


def _on_one_device(cls, inputs, params):
    """After a forward failed with a TypeError (how NumPy and CuPy refuse each other's arrays,
    so the common path pays nothing for this): None if the inputs share a device (the error
    was something else), else the op on the inputs put on one device (see
    :func:`on_one_device`; the moves are recorded, so gradients flow back)."""
    tensors = [t for t in inputs if isinstance(t, Tensor)]
    if len({type(t._data) for t in tensors}) < 2:
        return None
    moved = iter(on_one_device(cls.name(), tensors))
    return cls.apply(*[next(moved) if isinstance(t, Tensor) else t for t in inputs], **params)


def on_one_device(op: str, tensors: list) -> list:
    """``tensors`` on one device: 0-d CPU tensors join the others' device as scalars (as
    PyTorch lets them); any other mix raises PyTorch's RuntimeError naming two devices."""
    places = []
    for tensor in tensors:
        place = tensor.device
        if place not in places:
            places.append(place)
    elsewhere = [place for place in places if place.type != "cpu"]
    movable = all(t.ndim == 0 for t in tensors if t.device.type == "cpu")
    if len(places) > 1 and (len(elsewhere) != 1 or not movable):
        raise RuntimeError(
            f"{op}: Expected all tensors to be on the same device, but found at least two "
            f"devices, {places[0]} and {places[1]}!"
        )
    return [t.to(elsewhere[0]) if t.device != elsewhere[0] else t for t in tensors]


def _quiet_forward(cls, ctx, arrays, params):
    """Run a forward again without NumPy floating-point warnings (PyTorch gives none).

    The warnings filter installed by ``tensorgrad.ops`` normally silences them for free; this
    is for users who turned warnings into errors (``-W error``).
    """
    with ctx.xp.errstate(all="ignore"):
        return cls.forward(ctx, *arrays, **params)


def _share_memory_identity(cls, out: Tensor, base: Tensor) -> None:
    """Make ``out`` a view of ``base`` for the version checks, if it really shares memory."""
    if (
        cls.view_may_copy
        and not base._data.flags.c_contiguous  # a contiguous input always gives a view
        and not array_module(out._data).may_share_memory(out._data, base._data)
    ):
        return
    out._version_counter = base._version_counter
    out._base = base if base._base is None else base._base
