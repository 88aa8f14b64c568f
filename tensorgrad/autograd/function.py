"""Graph nodes: ``Function``, the node base class and PyTorch's custom-op protocol.

A node *is* the instance that ran the op: it is the ``ctx`` its ``forward`` and ``backward``
receive, it keeps what was saved for backward, and it holds the edges to the nodes (or leaf
tensors) that produced its inputs. Tensors point to their node through ``grad_fn``; a node
never holds a strong reference to its own outputs, so graphs are freed by reference counting
alone (no cycles).

The engine hands a node's backward raw arrays in an ordinary backward and Tensors under
``create_graph=True``; :meth:`Function._input_grads` is where a kind of node says how it
takes them. A user's ``Function`` always sees Tensors, as in PyTorch; the built-in ops
(``tensorgrad.ops``) take the arrays directly, which is what makes backward run at NumPy speed.
"""

from __future__ import annotations

import weakref

from .._backend import as_array, ndarray
from .._backend import default_module as numpy_module
from .._hooks import RemovableHandle
from .._tracing import after_op, opaque, watch
from ..tensor import Tensor
from . import anomaly
from .grad_mode import no_grad
from .grad_mode import state as grad_state
from .graph import state as scope_state

__all__ = ["Function", "FunctionCtx", "AccumulateGrad", "once_differentiable"]

# Kinds of saved entries.
_SAVED_INPUT = 0  # an input tensor, kept as is (backward under create_graph records through it)
_SAVED_OUTPUT = 1  # an output of the node itself, kept as its data (a Tensor would be a cycle)
_SAVED_CONSTANT = 2  # anything else: an array (or None) outside the graph
_NOTHING_SAVED = (_SAVED_CONSTANT, None, None, 0)


class Function:
    """Base class for custom differentiable operations (PyTorch's protocol).

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``
    and call ``MyFunction.apply(*args)``::

        class Softsign(tensorgrad.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x / (1 + x.abs())

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output / (1 + x.abs()) ** 2

    ``backward`` returns one gradient (or None) per argument of ``forward``, each of that
    argument's shape. ``forward`` may also be written without ``ctx`` together with a static
    ``setup_context(ctx, inputs, output)``, as in PyTorch 2.
    """

    # Engine fields. The defaults live on the class, so a node that records nothing (the
    # no-grad fast path) costs one object allocation; recording writes them per instance.
    _next: tuple = ()
    _next_nr: tuple = ()
    _input_meta: tuple = ()
    _to_save: tuple = ()
    _saved = None  # [(kind, payload, version counter, version when saved)]
    _released = False
    _n_outputs = 1
    _output_shapes = None
    _retained = None
    _output_hooks = None  # {output_nr: {handle id: hook}} from Tensor.register_hook
    _arg_positions = None
    _n_args = 0
    _non_differentiable: tuple = ()
    _materialize_grads = True
    _creation_trace = None
    _unpacks_tensors = True  # saved_tensors gives Tensors (arrays for built-in ops' backward)
    # True for nodes whose backward takes and returns arrays in an ordinary backward (the
    # built-in ops): the engine then calls ``backward`` itself, skipping ``_input_grads``.
    _array_backward = False
    scope = None
    # What ``needs_input_grad`` reads when nothing is recorded; forwards index it by position.
    needs_input_grad: tuple = (False,) * 64
    xp = numpy_module  # the inputs' array module; set per node only when it is not NumPy

    # ------------------------------------------------------------------ ctx API
    def save_for_backward(self, *tensors) -> None:
        """Keep these (inputs, outputs or other tensors) for ``backward``."""
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        """What :meth:`save_for_backward` got, checked against in-place changes since."""
        saved = self._saved
        if saved is None:
            if self._released:
                raise RuntimeError(
                    f"{self.name()}: its saved tensors were freed by an earlier backward; "
                    f"pass retain_graph=True to the first backward() (or autograd.grad) to "
                    f"run backward through this graph more than once"
                )
            # Never recorded: a compiled replay runs an op's forward and backward formulas
            # on one ctx, which then holds the arrays as forward saved them.
            return self._to_save
        for index, (_, _, counter, version) in enumerate(saved):
            if counter is not None and counter[0] != version:
                raise RuntimeError(
                    f"{self.name()}: a tensor it saved for backward (saved tensor {index}) was "
                    f"modified by an in-place operation: its version is {counter[0]}, "
                    f"expected {version}. Use an out-of-place op (x = x + y instead of "
                    f"x += y), or clone() the tensor before modifying it"
                )
        as_tensors = self._unpacks_tensors
        unpacked = []
        for kind, payload, counter, _ in saved:
            if not as_tensors:  # the arrays, read now (an input's .data may have been replaced)
                if kind == _SAVED_INPUT:
                    payload = payload._data
                elif kind == _SAVED_OUTPUT:
                    payload = payload[0]
                unpacked.append(payload)
            elif kind == _SAVED_INPUT:
                unpacked.append(payload)
            elif kind == _SAVED_OUTPUT:
                data, output_nr = payload
                output = Tensor(data, True, self, output_nr)
                output._version_counter = counter
                unpacked.append(output)
            else:
                unpacked.append(None if payload is None else Tensor(payload))
        return tuple(unpacked)

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs (e.g. indices) that never carry a gradient."""
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool) -> None:
        """If False, ``backward`` receives None (not zeros) for outputs that got no gradient."""
        self._materialize_grads = value

    # ------------------------------------------------------------------ node API
    @classmethod
    def name(cls) -> str:
        """The node's name as graphs and errors print it, e.g. ``MulBackward0``."""
        return f"{cls.__name__}Backward"

    @property
    def next_functions(self) -> tuple:
        """``((node_or_AccumulateGrad_or_None, output_nr), …)`` per input, in PyTorch's order.

        As in PyTorch, a built-in op lists only the inputs that could carry a gradient: a
        ``where``'s condition or a ``gather``'s index (bool and integer tensors) has no entry.
        """
        edges = []
        skip_integers = self._array_backward
        for index, (edge, output_nr) in enumerate(zip(self._next, self._next_nr)):
            if skip_integers and edge is None and self._input_meta[index][1].kind not in "fc":
                continue
            if isinstance(edge, Tensor):
                edges.append((AccumulateGrad(edge), 0))
            else:
                edges.append((edge, output_nr))
        return tuple(edges)

    @property
    def description(self) -> str:
        """The op's parameters worth showing in a graph drawing ("" when none); built-in ops
        with a geometry (convolutions) override it."""
        return ""

    @property
    def metadata(self) -> dict:
        """A free dict for hooks and tools (PyTorch has the same attribute)."""
        return self.__dict__.setdefault("_metadata", {})

    def _register_output_hook(self, output_nr: int, hook) -> RemovableHandle:
        if self._output_hooks is None:
            self._output_hooks = {}
        hooks = self._output_hooks.setdefault(output_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def _retain_output(self, tensor: Tensor) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[tensor._output_nr] = weakref.ref(tensor)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    # ------------------------------------------------------------------ running
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, if any input requires grad, record this node."""
        ctx = cls.__new__(cls)
        positions = tuple(i for i, arg in enumerate(args) if isinstance(arg, Tensor))
        inputs = [args[i] for i in positions]
        record = grad_state.enabled and any(t._requires_grad for t in inputs)
        ctx.needs_input_grad = tuple(
            isinstance(arg, Tensor) and arg._requires_grad and record for arg in args
        )
        with no_grad(), opaque():  # its forward's ops are this one step of a compile recording
            if cls.setup_context is not Function.setup_context:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        output_tuple = (outputs,) if single else outputs
        if not record:
            if watch.threads:
                after_op(ctx, args, kwargs, output_tuple)
            return outputs
        ctx._arg_positions = positions
        ctx._n_args = len(args)
        ctx._n_outputs = len(output_tuple)
        if len(output_tuple) > 1:
            ctx._output_shapes = [getattr(t, "shape", ()) for t in output_tuple]
        non_differentiable = {id(t) for t in ctx._non_differentiable}
        wrapped = []
        for output_nr, output in enumerate(output_tuple):
            if isinstance(output, Tensor):
                differentiable = (
                    id(output) not in non_differentiable and output._data.dtype.kind == "f"
                )
                output = Tensor(
                    output._data, differentiable, ctx if differentiable else None, output_nr
                )
            wrapped.append(output)
        connect(ctx, inputs)
        resolve_saved(ctx, inputs, inputs, output_tuple, wrapped)
        if watch.threads:
            anomaly.check_forward(ctx, [t._data for t in wrapped if isinstance(t, Tensor)])
            after_op(ctx, args, kwargs, tuple(wrapped))
        return wrapped[0] if single else tuple(wrapped)

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Optional PyTorch-2 style: save for backward here instead of inside ``forward``."""
        raise NotImplementedError

    @staticmethod
    def forward(ctx, *args):
        """Compute the outputs from the inputs (Tensors in, Tensors out)."""
        raise NotImplementedError(f"{ctx.__class__.__name__} must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Map gradients of the outputs to gradients of the inputs (one per forward argument)."""
        raise NotImplementedError(f"{ctx.__class__.__name__} must implement backward")

    def _input_grads(self, grad_outputs, create_graph: bool) -> tuple:
        """Run ``backward``; one gradient per recorded input (engine use).

        ``grad_outputs`` are arrays, or Tensors under ``create_graph``; the result is of the
        same kind. A user's backward always works on Tensors, as PyTorch's does.
        """
        if not create_graph:
            grad_outputs = [None if g is None else Tensor(g) for g in grad_outputs]
        result = type(self).backward(self, *grad_outputs)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != self._n_args:
            raise RuntimeError(
                f"{self.name()}: backward returned {len(result)} gradients, expected "
                f"{self._n_args} (one per argument of forward, None for non-tensors)"
            )
        grads = [result[i] for i in self._arg_positions]
        for index, gradient in enumerate(grads):
            if gradient is not None and not isinstance(gradient, Tensor):
                raise TypeError(
                    f"{self.name()}: backward must return Tensors or None, got "
                    f"{type(gradient).__name__} for input {index}"
                )
        if create_graph:
            return grads
        return [None if g is None else g._data for g in grads]


class FunctionCtx(Function):
    """The type of ``ctx`` objects (kept for code that annotates with it)."""


def connect(ctx: Function, inputs) -> tuple[list, list]:
    """Record the edges to the inputs' nodes (or to the leaves themselves).

    Returns the inputs' arrays and which of them require grad, gathered on the way.
    """
    # This runs once per recorded op: the one- and two-input cases (nearly every op) are
    # spelled out, since a loop or a comprehension costs as much again here.
    if len(inputs) == 2:
        a, b = inputs
        a_data, b_data = a._data, b._data
        need_a, need_b = a._requires_grad, b._requires_grad
        ctx._next = [(a.grad_fn or a) if need_a else None, (b.grad_fn or b) if need_b else None]
        ctx._next_nr = [a._output_nr, b._output_nr]
        ctx._input_meta = [(a_data.shape, a_data.dtype), (b_data.shape, b_data.dtype)]
        arrays, needs = [a_data, b_data], [need_a, need_b]
    elif len(inputs) == 1:
        (a,) = inputs
        a_data, need_a = a._data, a._requires_grad
        ctx._next = [(a.grad_fn or a) if need_a else None]
        ctx._next_nr = [a._output_nr]
        ctx._input_meta = [(a_data.shape, a_data.dtype)]
        arrays, needs = [a_data], [need_a]
    else:
        needs = [t._requires_grad for t in inputs]
        arrays = [t._data for t in inputs]
        ctx._next = [(t.grad_fn or t) if t._requires_grad else None for t in inputs]
        ctx._next_nr = [t._output_nr for t in inputs]
        ctx._input_meta = [(data.shape, data.dtype) for data in arrays]
    ctx.scope = scope_state.frame
    if watch.threads and anomaly.state.enabled:
        ctx._creation_trace = anomaly.creation_trace()
    return arrays, needs


def resolve_saved(ctx: Function, candidates, input_tensors, raw_outputs, outputs) -> None:
    """Turn what ``save_for_backward`` got into entries that are safe to keep.

    ``candidates`` are what forward received (arrays for a built-in op, Tensors for a
    Function) and ``input_tensors`` the matching Tensors. Items are matched by identity: an
    input is kept as its Tensor (so that backward can record a graph through it), an output
    as its data (a node holding its own output would be a reference cycle), anything else is
    a constant.
    """
    entries = []
    for item in ctx._to_save:
        if item is None:
            entries.append(_NOTHING_SAVED)
            continue
        tensor = None
        for index in range(len(candidates)):
            if item is candidates[index]:
                tensor = input_tensors[index]
                break
        if tensor is not None:
            counter = tensor._version_counter
            entries.append((_SAVED_INPUT, tensor, counter, counter[0]))
            continue
        for output_nr in range(len(raw_outputs)):
            if item is raw_outputs[output_nr] and isinstance(outputs[output_nr], Tensor):
                tensor = outputs[output_nr]
                break
        if tensor is not None:
            counter = tensor._version_counter
            entries.append((_SAVED_OUTPUT, (tensor._data, output_nr), counter, counter[0]))
        elif isinstance(item, Tensor):
            entries.append((_SAVED_INPUT, item, item._version_counter, item._version_counter[0]))
        else:
            array = item if type(item) is ndarray else as_array(item)
            entries.append((_SAVED_CONSTANT, array, None, 0))
    ctx._saved = entries
    ctx._to_save = ()


class AccumulateGrad:
    """Stands for a leaf in ``next_functions`` (as in PyTorch); ``.variable`` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        self.variable = variable

    @staticmethod
    def name() -> str:
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def once_differentiable(backward):
    """Decorator for a ``backward`` that is not itself differentiable (runs under no_grad)."""

    def wrapper(ctx, *grad_outputs):
        with no_grad():
            return backward(ctx, *grad_outputs)

    wrapper.__name__ = getattr(backward, "__name__", "backward")
    wrapper.__doc__ = backward.__doc__
    return wrapper
