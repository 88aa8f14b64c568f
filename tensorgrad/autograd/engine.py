"""The backward engine: runs the recorded graph in reverse and applies the chain rule.

One iterative pass (no recursion, so a 100,000-op chain is fine):

1. walk the graph from the roots and count, for every node, how many consumers will send
   it a gradient;
2. keep a stack of nodes whose gradients are complete; pop one, call its ``backward``,
   reduce each input gradient to that input's shape (broadcasting is undone here, once, for
   every op), and hand it to the producing node or accumulate it into the leaf.

``autograd.grad`` uses the same pass but captures gradients instead of writing ``.grad``,
and skips the nodes that cannot reach the requested inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._backend import array_module
from ..tensor import Tensor
from . import anomaly
from .function import Function
from .grad_mode import set_grad_enabled

__all__ = ["backward", "grad"]


def _filled(like, value, shape=None) -> Tensor:
    """A new tensor of ``like``'s dtype (and shape, unless given) filled with ``value``."""
    xp = array_module(like)
    return Tensor(xp.full(like.shape if shape is None else shape, value, dtype=like.dtype))


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _root_gradients(outputs: tuple, grad_outputs: Sequence, caller: str) -> list:
    """Validate the outputs and build their starting gradients (ones for scalars)."""
    if len(grad_outputs) not in (0, len(outputs)):
        raise RuntimeError(
            f"{caller}: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs"
        )
    gradients = []
    for index, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            raise TypeError(f"{caller}: outputs must be Tensors, got {type(output).__name__}")
        if not output._requires_grad:
            raise RuntimeError(
                f"{caller}: output {index} does not require grad and has no grad_fn "
                f"(did you call backward on a result computed under no_grad, or from tensors "
                f"without requires_grad=True?)"
            )
        given = grad_outputs[index] if grad_outputs else None
        if given is None:
            if output._data.size != 1:
                raise RuntimeError(
                    f"{caller}: grad can be created implicitly only for a scalar output, but "
                    f"output {index} has shape {output.shape}; pass gradient= (a tensor of "
                    f"that shape)"
                )
            given = _filled(output._data, 1)
        elif not isinstance(given, Tensor):
            given = Tensor(array_module(output._data).asarray(given, dtype=output._data.dtype))
        elif given._data.dtype != output._data.dtype:
            # Cast once here, as PyTorch does, instead of promoting at every node below.
            given = given.to(output.dtype)
        if given.shape != output.shape:
            raise RuntimeError(
                f"{caller}: gradient for output {index} has shape {given.shape} but the output "
                f"has shape {output.shape}"
            )
        gradients.append(given)
    return gradients


def _discover(roots: list) -> tuple[dict, list]:
    """Count every reachable node's consumers; also return the nodes in discovery order."""
    dependencies: dict = {}
    order = []
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node._next:
            if edge is None or isinstance(edge, Tensor):
                continue
            dependencies[edge] = dependencies.get(edge, 0) + 1
            if edge not in seen:
                seen.add(edge)
                stack.append(edge)
    return dependencies, order


def _nodes_reaching(order: list, dependencies: dict, target_outputs: set, target_leaves) -> set:
    """The nodes whose backward must run for the targets (the only ones autograd.grad runs).

    A node is needed when one of its inputs is a target (a leaf, or a ``(node, output_nr)``
    output) or is produced by a needed node; a target's own node runs only if it leads on.
    """
    # Reverse topological order: producers before consumers.
    remaining = dict(dependencies)
    topological = []
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


def _reduce_to(gradient: Tensor, shape: tuple, dtype, node: Function, index: int) -> Tensor:
    """Sum a broadcast gradient down to its input's shape; anything else is a bug, reported."""
    if gradient._data.dtype != dtype:
        gradient = gradient.to(dtype)
    if gradient.shape == shape:
        return gradient
    from ..ops.reduction import sum_to_shape

    reduced = sum_to_shape(gradient, shape)
    if reduced is None:
        raise RuntimeError(
            f"{node.name()}: backward returned a gradient of shape {gradient.shape} for input "
            f"{index}, which has shape {shape}"
        )
    return reduced


def _is_exclusive(gradient: Tensor, node: Function, grad_outputs: list, input_grads) -> bool:
    """True if nothing else can hold ``gradient``'s array, so a leaf may keep it uncopied.

    Optimizers and clipping modify ``.grad`` in place, so a leaf must never share its gradient
    with another leaf, with an upstream gradient (an add passes its own through, twice), with
    a view's base, or with whatever a user-written Function chose to return.
    """
    data = gradient._data
    if data.base is not None or node._arg_positions is not None:
        return False
    for upstream in grad_outputs:
        if upstream is not None and upstream._data is data:
            return False
    return sum(1 for g in input_grads if g is not None and g._data is data) == 1


def _accumulate_grad(
    tensor: Tensor, gradient: Tensor, create_graph: bool, exclusive: bool = False
) -> None:
    """Add ``gradient`` into ``tensor.grad`` (a leaf's, or a non-leaf's that asked for it).

    The stored gradient never shares memory with anything else unless ``exclusive`` says the
    engine just made it; with ``create_graph`` the copy is a recorded ``clone`` so that the
    gradient stays differentiable.
    """
    existing = tensor._grad
    if existing is None:
        if exclusive:
            tensor._grad = gradient
        elif create_graph:
            tensor._grad = gradient.clone()
        else:
            tensor._grad = Tensor(gradient._data.copy())
    elif create_graph or existing._requires_grad:
        tensor._grad = existing + gradient  # out of place: ``existing`` may be in a graph
    else:
        existing._data += gradient._data
        existing._version_counter[0] += 1


def _add(current, gradient):
    return gradient if current is None else current + gradient


def run_backward(
    outputs: tuple,
    gradients: list,
    retain_graph: bool,
    create_graph: bool,
    inputs: tuple = (),
    accumulate: bool = True,
):
    """The shared pass behind ``Tensor.backward`` and ``autograd.grad``.

    With ``accumulate`` the gradients of leaves (or only of ``inputs`` if given) are added to
    their ``.grad``; without it, the gradients of ``inputs`` are returned in order.

    Hooks follow PyTorch: a leaf's hooks run once, on its total gradient (what is captured
    and accumulated is their result); a non-leaf's hooks run when its gradient is complete,
    after ``autograd.grad`` captured it and before ``retain_grad``/``backward(inputs=)`` see it.
    """
    target_leaves = {id(t): i for i, t in enumerate(inputs) if t.grad_fn is None}
    target_nodes = {(t.grad_fn, t._output_nr): i for i, t in enumerate(inputs) if t.grad_fn}
    # backward(inputs=[non_leaf]) fills that tensor's .grad, after its hooks, like retain_grad.
    filled = {
        (t.grad_fn, t._output_nr): t
        for t in inputs
        if accumulate and t.grad_fn is not None and not t._retains_grad
    }
    filled_nodes = {node for node, _ in filled}
    captured: list = [None] * len(inputs)
    hooked: dict = {}  # id(leaf) -> [leaf, total gradient]: hooks run once, at the end

    def deliver_to_leaf(leaf, gradient, exclusive):
        if id(leaf) in target_leaves:
            slot = target_leaves[id(leaf)]
            captured[slot] = _add(captured[slot], gradient)
        if accumulate and (not inputs or id(leaf) in target_leaves):
            _accumulate_grad(leaf, gradient, create_graph, exclusive)

    pending: dict = {}
    roots = []
    for output, gradient in zip(outputs, gradients):
        node = output.grad_fn
        if node is None:  # the output is itself a leaf
            if output._hooks and (id(output) in target_leaves or not inputs):
                entry = hooked.setdefault(id(output), [output, None])
                entry[1] = _add(entry[1], gradient)
            else:
                deliver_to_leaf(output, gradient, False)
            continue
        if node not in pending:
            pending[node] = [None] * node._n_outputs
            roots.append(node)
        slots = pending[node]
        slots[output._output_nr] = _add(slots[output._output_nr], gradient)

    dependencies, order = _discover(roots)
    needed = None
    if inputs:
        needed = _nodes_reaching(order, dependencies, set(target_nodes), target_leaves)
    ready = [node for node in roots if dependencies.get(node, 0) == 0]

    with set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grad_outputs = pending.pop(node)
            if target_nodes:  # captured before the tensor's hooks run, as in PyTorch
                for output_nr, gradient in enumerate(grad_outputs):
                    index = target_nodes.get((node, output_nr))
                    if index is not None:
                        captured[index] = _add(captured[index], gradient)
            run = needed is None or node in needed
            if node._output_hooks and (run or node._retained or node in filled_nodes):
                grad_outputs = _run_output_hooks(node, grad_outputs)
            if node._retained and accumulate:
                _fill_retained(node, grad_outputs, create_graph)
            if filled:
                for output_nr, gradient in enumerate(grad_outputs):
                    tensor = filled.get((node, output_nr))
                    if tensor is not None and gradient is not None:
                        _accumulate_grad(tensor, gradient, create_graph)
            input_grads = _call_backward(node, grad_outputs) if run else None
            for index, edge in enumerate(node._next):
                if edge is None:
                    continue
                returned = gradient = input_grads[index] if input_grads is not None else None
                if gradient is not None:
                    shape, dtype = node._input_meta[index]
                    data = gradient._data
                    if data.shape != shape or data.dtype != dtype:
                        gradient = _reduce_to(gradient, shape, dtype, node, index)
                if isinstance(edge, Tensor):
                    if gradient is None:
                        continue
                    if edge._hooks:
                        if id(edge) in target_leaves or not inputs:
                            entry = hooked.setdefault(id(edge), [edge, None])
                            entry[1] = _add(entry[1], gradient)
                        continue
                    if gradient is not returned:  # the engine's own reduction or cast
                        exclusive = gradient._data.base is None
                    else:
                        exclusive = _is_exclusive(gradient, node, grad_outputs, input_grads)
                    deliver_to_leaf(edge, gradient, edge._grad is None and exclusive)
                    continue
                slots = pending.get(edge)
                if slots is None:
                    slots = pending[edge] = [None] * edge._n_outputs
                if gradient is not None:
                    nr = node._next_nr[index]
                    slots[nr] = gradient if slots[nr] is None else slots[nr] + gradient
                remaining = dependencies[edge] - 1
                dependencies[edge] = remaining
                if remaining == 0:
                    ready.append(edge)
            if not retain_graph and run and node._saved is not None:
                node._release()
        for leaf, total in hooked.values():  # a hook's result may be held elsewhere: copy
            deliver_to_leaf(leaf, _run_hooks(leaf._hooks, total, leaf.shape), False)
    return captured


def _call_backward(node: Function, grad_outputs: list):
    if len(grad_outputs) == 1:  # the common case: skip the scan for missing gradients
        if grad_outputs[0] is None:
            return None
    else:
        missing = [g is None for g in grad_outputs]
        if all(missing):
            return None
        if any(missing) and node._materialize_grads:
            grad_outputs = _materialize(node, grad_outputs)
    if not anomaly.state.enabled:
        return node._input_grads(grad_outputs)
    # The ops a backward runs are judged by its result (a formula may pass through inf on
    # its way to a finite gradient), and a bad result is blamed on this node, not on them.
    previous, anomaly.state.in_backward = anomaly.state.in_backward, True
    try:
        input_grads = node._input_grads(tuple(grad_outputs))
    finally:
        anomaly.state.in_backward = previous
    anomaly.check_backward(node, input_grads)
    return input_grads


def _materialize(node: Function, grad_outputs: list) -> list:
    """Zeros for the outputs that received no gradient (PyTorch's default)."""
    reference = next(g for g in grad_outputs if g is not None)
    shapes = getattr(node, "_output_shapes", None)
    result = []
    for output_nr, gradient in enumerate(grad_outputs):
        if gradient is None:
            shape = shapes[output_nr] if shapes else reference.shape
            gradient = _filled(reference._data, 0, shape)
        result.append(gradient)
    return result


def _run_hooks(hooks: dict, gradient: Tensor, shape: tuple) -> Tensor:
    """Apply ``register_hook`` hooks in order; each may replace the gradient."""
    for hook in list(hooks.values()):
        replaced = hook(gradient)
        if replaced is not None:
            if not isinstance(replaced, Tensor) or replaced.shape != tuple(shape):
                raise RuntimeError(
                    f"hook: a gradient hook must return None or a tensor of shape {tuple(shape)}, "
                    f"got {getattr(replaced, 'shape', type(replaced).__name__)}"
                )
            gradient = replaced
    return gradient


def _run_output_hooks(node: Function, grad_outputs: list) -> list:
    result = list(grad_outputs)
    for output_nr, hooks in node._output_hooks.items():
        if hooks and result[output_nr] is not None:
            result[output_nr] = _run_hooks(hooks, result[output_nr], result[output_nr].shape)
    return result


def _fill_retained(node: Function, grad_outputs: list, create_graph: bool) -> None:
    for output_nr, reference in node._retained.items():
        tensor = reference()
        gradient = grad_outputs[output_nr]
        if tensor is not None and gradient is not None:
            _accumulate_grad(tensor, gradient, create_graph)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves.

    ``tensorgrad.autograd.backward(loss)`` is the same as ``loss.backward()``.
    """
    outputs = _as_tuple(tensors)
    gradients = _root_gradients(outputs, _as_tuple(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    targets = _as_tuple(inputs)
    for t in targets:
        if not t._requires_grad:
            raise RuntimeError("backward: every tensor in inputs= must require grad")
    run_backward(outputs, gradients, retain_graph, create_graph, targets, True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    Args:
        outputs: a Tensor or sequence of Tensors to differentiate.
        inputs: a Tensor or sequence of Tensors to differentiate with respect to.
        grad_outputs: the vector in the vector-Jacobian product, one per output
            (may be omitted for scalar outputs).
        retain_graph: keep the graph for another backward (defaults to ``create_graph``).
        create_graph: record the computation of the gradients, so that they can be
            differentiated again (Hessian-vector products, gradient penalties).
        allow_unused: return None for inputs the outputs do not depend on, instead of raising.
        materialize_grads: return zeros instead of None for unused inputs.

    Returns:
        a tuple with one gradient per input, each of that input's shape.
    """
    output_tuple = _as_tuple(outputs)
    input_tuple = _as_tuple(inputs)
    if not input_tuple:
        raise RuntimeError("grad: inputs must not be empty")
    for index, t in enumerate(input_tuple):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad")
    gradients = _root_gradients(output_tuple, _as_tuple(grad_outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    captured = run_backward(
        output_tuple,
        gradients,
        retain_graph,
        create_graph,
        input_tuple,
        accumulate=False,
    )
    result = []
    for index, (t, gradient) in enumerate(zip(input_tuple, captured)):
        if gradient is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {index} (shape {t.shape}) was not used to compute the "
                    f"outputs; pass allow_unused=True to get None for it"
                )
            if materialize_grads:
                gradient = _filled(t._data, 0)
        elif not create_graph:
            # Returned gradients never alias each other (an add hands the same one to both).
            gradient = Tensor(gradient._data.copy())
        result.append(gradient)
    return tuple(result)
