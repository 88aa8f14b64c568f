"""The backward engine: runs the recorded graph in reverse and applies the chain rule.

One iterative pass (no recursion, so a 100,000-op chain is fine):

1. walk the graph from the roots and count, for every node, how many consumers will send
   it a gradient;
2. keep a stack of nodes whose gradients are complete; pop one, call its backward, reduce
   each input gradient to that input's shape (broadcasting is undone here, once, for every
   op), and hand it to the producing node or accumulate it into the leaf.

Gradients travel as raw arrays in an ordinary backward (no Tensor, no node: NumPy speed) and
as Tensors under ``create_graph=True``, where the same formulas record a graph of their own.
Users only ever see Tensors: ``.grad``, hooks and ``autograd.grad`` results are wrapped.
``autograd.grad`` uses the same pass but captures gradients instead of writing ``.grad``, and
skips the nodes that cannot reach the requested inputs.
"""

from __future__ import annotations

from .._backend import array_module, as_array, ndarray
from .._backend import default_module as numpy_module
from .._shapes import sum_to_axes
from ..tensor import Tensor
from . import anomaly
from .function import Function
from .grad_mode import set_grad_enabled

__all__ = ["BackwardPass"]


def _discover(roots: list) -> tuple[dict, list]:
    """Count every reachable node's consumers; also return the nodes in discovery order."""
    dependencies: dict = {}
    order = []
    stack = list(roots)
    root_set = set(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node._next:
            if edge is None or isinstance(edge, Tensor):
                continue
            if edge in dependencies:
                dependencies[edge] += 1
            else:
                dependencies[edge] = 1
                if edge not in root_set:
                    stack.append(edge)
    return dependencies, order


def _nodes_reaching(order: list, dependencies: dict, target_outputs: set, target_leaves) -> set:
    """The nodes whose backward must run for the targets (the only ones autograd.grad runs).

    A node is needed when one of its inputs is a target (a leaf, or a ``(node, output_nr)``
    output) or is produced by a needed node; a target's own node runs only if it leads on.
    """
    remaining = dict(dependencies)
    topological = []  # consumers before producers
    stack = [node for node in order if remaining.get(node, 0) == 0]
    while stack:
        node = stack.pop()
        topological.append(node)
        for edge in node._next:
            if edge is None or isinstance(edge, Tensor):
                continue
            remaining[edge] -= 1
            if remaining[edge] == 0:
                stack.append(edge)
    needed = set()
    for node in reversed(topological):
        for edge, output_nr in zip(node._next, node._next_nr):
            if edge is None:
                continue
            if isinstance(edge, Tensor):
                if id(edge) in target_leaves:
                    needed.add(node)
                    break
            elif edge in needed or (edge, output_nr) in target_outputs:
                needed.add(node)
                break
    return needed


def _add(current, gradient):
    return gradient if current is None else current + gradient


class BackwardPass:
    """One run of the chain rule from some outputs; the state its steps share.

    With ``accumulate`` the gradients of leaves (or only of ``inputs`` if given) are added to
    their ``.grad``; without it (``autograd.grad``) the gradients of ``inputs`` are captured.

    Hooks follow PyTorch 2: a leaf's hooks run once, on its total gradient (what is captured
    and accumulated is their result); a non-leaf's hooks run when its gradient is complete,
    before ``retain_grad``/``backward(inputs=)`` see it (``autograd.grad``: see
    :meth:`_before_backward`).
    """

    def __init__(self, inputs: tuple, accumulate: bool, create_graph: bool, retain_graph: bool):
        self.inputs = inputs
        self.accumulate = accumulate
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.target_leaves = {id(t): i for i, t in enumerate(inputs) if t.grad_fn is None}
        self.target_nodes = {
            (t.grad_fn, t._output_nr): i for i, t in enumerate(inputs) if t.grad_fn
        }
        # backward(inputs=[non_leaf]) fills that tensor's .grad, after its hooks, like retain_grad.
        self.filled = {
            (t.grad_fn, t._output_nr): t
            for t in inputs
            if accumulate and t.grad_fn is not None and not t._retains_grad
        }
        self.filled_nodes = {node for node, _ in self.filled}
        self.captured: list = [None] * len(inputs)
        # id(leaf) -> [leaf, total gradient, whether the pass owns that array]. A leaf gets
        # its total once, at the end, like PyTorch's AccumulateGrad node.
        self.leaves: dict = {}
        self.pending: dict = {}  # node -> [gradient per output]
        self.dependencies: dict = {}
        self.needed = None  # the nodes to run, when only some inputs are asked for
        # Built-in ops' backward can be called straight on arrays (no anomaly checks).
        self.direct = not create_graph and not (anomaly.watch.threads and anomaly.state.enabled)

    # ------------------------------------------------------------------ the walk
    def run(self, outputs: tuple, gradients: list) -> list:
        roots = self._seed(outputs, gradients)
        self.dependencies, order = _discover(roots)
        if self.inputs:
            self.needed = _nodes_reaching(
                order, self.dependencies, set(self.target_nodes), self.target_leaves
            )
        ready = [node for node in roots if self.dependencies.get(node, 0) == 0]
        # Formulas on raw arrays pass through inf and NaN as PyTorch's kernels do: no NumPy
        # warnings, which also keeps `python -W error` working (the forwards rerun quietly).
        with set_grad_enabled(self.create_graph), numpy_module.errstate(all="ignore"):
            while ready:
                self._run_node(ready.pop(), ready)
            for leaf, total, owned in self.leaves.values():
                if leaf._hooks:  # a hook's result may be held elsewhere: never kept uncopied
                    total, owned = self._run_hooks(leaf._hooks, total), False
                self._deliver_to_leaf(leaf, total, owned)
        return self.captured

    def _seed(self, outputs: tuple, gradients: list) -> list:
        roots = []
        for output, gradient in zip(outputs, gradients):
            gradient = gradient if self.create_graph else gradient._data
            node = output.grad_fn
            if node is None:  # the output is itself a leaf
                self._collect_for_leaf(output, gradient, False)
                continue
            if node not in self.pending:
                self.pending[node] = [None] * node._n_outputs
                roots.append(node)
            slots = self.pending[node]
            slots[output._output_nr] = _add(slots[output._output_nr], gradient)
        return roots

    def _run_node(self, node: Function, ready: list) -> None:
        grad_outputs = self.pending.pop(node)
        run = True
        if self.inputs or self.filled or node._output_hooks or node._retained:
            run, grad_outputs = self._before_backward(node, grad_outputs)
        if not run:
            input_grads = None
        elif self.direct and node._array_backward and len(grad_outputs) == 1:
            # The common case, without the calls: one output, a built-in op, arrays.
            input_grads = None if grad_outputs[0] is None else node.backward(node, grad_outputs[0])
            if input_grads is not None and type(input_grads) is not tuple:
                input_grads = (input_grads,)
        else:
            input_grads = self._call_backward(node, grad_outputs)
        meta, pending, dependencies = node._input_meta, self.pending, self.dependencies
        index = -1
        for edge in node._next:
            index += 1
            if edge is None:
                continue
            gradient = None if input_grads is None else input_grads[index]
            if gradient is not None:
                shape, dtype = meta[index]
                if (
                    type(gradient) is not ndarray
                    or gradient.shape != shape
                    or gradient.dtype != dtype
                ):
                    fitted = self._fit(gradient, node, index)
                    if fitted is not gradient and isinstance(edge, Tensor):
                        # The engine's own reduction or cast made it: a leaf may keep it.
                        self._collect_for_leaf(edge, fitted, _data(fitted).base is None)
                        continue
                    gradient = fitted
                if isinstance(edge, Tensor):
                    self._collect_for_leaf(edge, gradient, False, (node, grad_outputs, input_grads))
                    continue
                slots = pending.get(edge)
                if slots is None:
                    slots = pending[edge] = [None] * edge._n_outputs
                nr = node._next_nr[index]
                slots[nr] = gradient if slots[nr] is None else slots[nr] + gradient
            elif isinstance(edge, Tensor):
                continue
            elif edge not in pending:
                pending[edge] = [None] * edge._n_outputs
            remaining = dependencies[edge] - 1
            dependencies[edge] = remaining
            if remaining == 0:
                ready.append(edge)
        if not self.retain_graph and run and node._saved is not None:
            node._saved = None  # what backward needed; the edges stay, for drawing
            node._released = True

    def _before_backward(self, node: Function, grad_outputs: list) -> tuple[bool, list]:
        """Hooks, captures and non-leaf ``.grad`` fills: whether the node's backward runs,
        and its output gradients after the hooks."""
        run = self.needed is None or node in self.needed
        targeted = bool(self.target_nodes) and any(
            (node, output_nr) in self.target_nodes for output_nr in range(len(grad_outputs))
        )
        # PyTorch 2 captures an ``autograd.grad`` input's gradient before its tensor hooks when
        # the backward goes on past it, and after them when it ends there: so do we.
        if targeted and run:
            self._capture(node, grad_outputs)
        if node._output_hooks and (run or targeted or node._retained or node in self.filled_nodes):
            grad_outputs = self._run_output_hooks(node, grad_outputs)
        if targeted and not run:
            self._capture(node, grad_outputs)
        if self.accumulate and (node._retained or self.filled):
            self._fill_non_leaves(node, grad_outputs)
        return run, grad_outputs

    def _capture(self, node: Function, grad_outputs: list) -> None:
        for output_nr, gradient in enumerate(grad_outputs):
            index = self.target_nodes.get((node, output_nr))
            if index is not None:
                self.captured[index] = _add(self.captured[index], gradient)

    # ------------------------------------------------------------------ one node
    def _call_backward(self, node: Function, grad_outputs: list):
        if len(grad_outputs) == 1:  # the common case: skip the scan for missing gradients
            if grad_outputs[0] is None:
                return None
        else:
            missing = [g is None for g in grad_outputs]
            if all(missing):
                return None
            if any(missing) and node._materialize_grads:
                grad_outputs = self._materialize(node, grad_outputs)
        if not anomaly.watch.threads or not anomaly.state.enabled:
            return node._input_grads(grad_outputs, self.create_graph)
        # The ops a backward runs are judged by its result (a formula may pass through inf on
        # its way to a finite gradient), and a bad result is blamed on this node, not on them.
        previous, anomaly.state.in_backward = anomaly.state.in_backward, True
        try:
            input_grads = node._input_grads(grad_outputs, self.create_graph)
        finally:
            anomaly.state.in_backward = previous
        anomaly.check_backward(node, input_grads)
        return input_grads

    def _materialize(self, node: Function, grad_outputs: list) -> list:
        """Zeros for the outputs that received no gradient (PyTorch's default)."""
        reference = next(g for g in grad_outputs if g is not None)
        data = reference._data if self.create_graph else reference
        shapes = node._output_shapes
        result = []
        for output_nr, gradient in enumerate(grad_outputs):
            if gradient is None:
                shape = shapes[output_nr] if shapes else data.shape
                gradient = array_module(data).zeros(shape, dtype=data.dtype)
                if self.create_graph:
                    gradient = Tensor(gradient)
            result.append(gradient)
        return result

    def _fit(self, gradient, node: Function, index: int):
        """``gradient`` cast and summed down to input ``index``'s dtype and shape."""
        shape, dtype = node._input_meta[index]
        if self.create_graph:
            data = gradient._data
            if data.dtype != dtype:
                gradient = gradient.to(dtype)
            if data.shape != shape:
                self._check_reducible(data.shape, shape, node, index)
                gradient = gradient.sum_to_size(shape)
            return gradient
        return fit_array(
            gradient,
            shape,
            dtype,
            lambda have, want: self._check_reducible(have, want, node, index),
        )

    @staticmethod
    def _check_reducible(shape: tuple, target: tuple, node: Function, index: int) -> tuple:
        axes = sum_to_axes(shape, target)
        if axes is None:
            raise RuntimeError(
                f"{node.name()}: backward returned a gradient of shape {shape} for input "
                f"{index}, which has shape {target}"
            )
        return axes

    # ------------------------------------------------------------------ delivery
    def _collect_for_leaf(self, leaf: Tensor, gradient, owned: bool, source: tuple = ()):
        """Add ``gradient`` to ``leaf``'s total for this pass.

        The first gradient is kept uncopied if nothing else can hold it: ``owned`` says so
        for an array the engine made; for one a node returned, ``source`` is ``(node, its
        output gradients, its results)``, checked by :func:`_is_exclusive` (first time only).
        """
        entry = self.leaves.get(id(leaf))
        if entry is None:
            if self.inputs and id(leaf) not in self.target_leaves:
                return  # backward(inputs=…) or autograd.grad: not a leaf that was asked for
            if source:
                owned = _is_exclusive(_data(gradient), *source)
            self.leaves[id(leaf)] = [leaf, gradient, owned]
        elif self.create_graph or not entry[2]:
            entry[1] = entry[1] + gradient
            entry[2] = True
        else:
            entry[1] += gradient

    def _deliver_to_leaf(self, leaf: Tensor, gradient, exclusive: bool) -> None:
        slot = self.target_leaves.get(id(leaf))
        if slot is not None:
            self.captured[slot] = _add(self.captured[slot], gradient)
        if self.accumulate:
            self._accumulate(leaf, gradient, exclusive and leaf._grad is None)

    def _accumulate(self, tensor: Tensor, gradient, exclusive: bool = False) -> None:
        """Add ``gradient`` into ``tensor.grad`` (a leaf's, or a non-leaf's that asked for it).

        The stored gradient never shares memory with anything else unless ``exclusive`` says
        the engine just made it: optimizers and clipping change ``.grad`` in place.
        """
        existing = tensor._grad
        if self.create_graph:
            if existing is None:
                tensor._grad = gradient if exclusive else gradient.clone()  # clone is recorded
            else:
                tensor._grad = existing + gradient  # out of place: ``existing`` may be in a graph
        else:
            accumulate_array(tensor, gradient, exclusive)

    def _fill_non_leaves(self, node: Function, grad_outputs: list) -> None:
        """``retain_grad()`` and ``backward(inputs=[non_leaf])`` targets get their ``.grad``."""
        if node._retained:
            for output_nr, reference in node._retained.items():
                tensor = reference()
                if tensor is not None and grad_outputs[output_nr] is not None:
                    self._accumulate(tensor, grad_outputs[output_nr])
        if self.filled:
            for output_nr, gradient in enumerate(grad_outputs):
                tensor = self.filled.get((node, output_nr))
                if tensor is not None and gradient is not None:
                    self._accumulate(tensor, gradient)

    # ------------------------------------------------------------------ hooks
    def _run_hooks(self, hooks: dict, gradient):
        """Apply ``register_hook`` hooks in order; each sees a Tensor and may replace it."""
        shape = tuple(gradient.shape)
        as_tensor = gradient if self.create_graph else Tensor(gradient)
        for hook in list(hooks.values()):
            replaced = hook(as_tensor)
            if replaced is not None:
                if not isinstance(replaced, Tensor) or replaced.shape != shape:
                    raise RuntimeError(
                        f"hook: a gradient hook must return None or a tensor of shape {shape}, "
                        f"got {getattr(replaced, 'shape', type(replaced).__name__)}"
                    )
                if replaced.dtype is not as_tensor.dtype:
                    raise RuntimeError(
                        f"hook: a gradient hook changed the dtype of the gradient (was "
                        f"{as_tensor.dtype}, got {replaced.dtype})"
                    )
                as_tensor = replaced
        return as_tensor if self.create_graph else as_tensor._data

    def _run_output_hooks(self, node: Function, grad_outputs: list) -> list:
        result = list(grad_outputs)
        for output_nr, hooks in node._output_hooks.items():
            if hooks and result[output_nr] is not None:
                result[output_nr] = self._run_hooks(hooks, result[output_nr])
        return result


def fit_array(gradient, shape: tuple, dtype, reducible_axes=sum_to_axes):
    """An array gradient cast and summed down to ``shape`` and ``dtype`` (undoing
    broadcasting); ``reducible_axes(have, want)`` gives the axes to sum (or raises)."""
    gradient = as_array(gradient)  # a 0-d result may be a NumPy scalar
    if gradient.dtype != dtype:
        gradient = gradient.astype(dtype)
    if gradient.shape != shape:
        axes = reducible_axes(gradient.shape, shape)
        gradient = gradient.sum(axis=axes, keepdims=True).reshape(shape)
    return gradient


def accumulate_array(tensor: Tensor, gradient, exclusive: bool) -> None:
    """Add the array ``gradient`` into ``tensor.grad``, keeping it uncopied only if
    ``exclusive`` (nothing else holds it): optimizers and clipping change ``.grad`` in place."""
    existing = tensor._grad
    if existing is None:
        tensor._grad = Tensor(gradient if exclusive else gradient.copy())
    elif existing._requires_grad:  # a differentiable .grad from an earlier create_graph
        tensor._grad = existing + Tensor(gradient)
    else:
        existing._data += gradient
        existing._version_counter[0] += 1


def _data(gradient):
    return gradient._data if isinstance(gradient, Tensor) else gradient


def _is_exclusive(data, node: Function, grad_outputs: list, input_grads) -> bool:
    """True if nothing else can hold ``data``, so a leaf may keep it uncopied.

    A leaf must never share its gradient with another leaf, with an upstream gradient (an
    add passes its own through, twice), with a view's base, or with whatever a user-written
    Function chose to return.
    """
    if data.base is not None or node._arg_positions is not None:
        return False
    for upstream in grad_outputs:
        if upstream is data or (upstream is not None and _data(upstream) is data):
            return False
    holders = 0
    for gradient in input_grads:
        if gradient is data or (gradient is not None and _data(gradient) is data):
            holders += 1
    return holders == 1
