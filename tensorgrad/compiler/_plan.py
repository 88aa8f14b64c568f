"""Backward plans: the chain rule over recorded steps, in the order the engine would run it.

The recorder knows, for every input of every step that can carry a gradient, where that
gradient goes: to the output ``k`` of an earlier step, or to a *boundary* tensor (a leaf that
collects ``.grad``, or an input of a compiled forward). A plan orders the steps exactly as
``autograd.engine`` orders nodes — the same dependency count and the same stack — so that
gradients are summed in the same order and a replayed step gives the eager step's bits.
"""

from __future__ import annotations

from .._backend import ndarray
from ..autograd.engine import _discover, fit_array

__all__ = ["Plan"]


class Plan:
    """One backward pass over recorded steps.

    Args:
        steps: every recorded step (indexed by position).
        sources: per step index, a list over its inputs of None (no gradient) or
            ``("step", j, k)`` (output ``k`` of step ``j``) or ``("boundary", register)``.
        meta: per step index, the ``(shape, dtype)`` of each input.
        roots: ``(step index, output k)`` of each output the pass starts from.
        seeds: the recorded gradient of each root: a register (int) or a constant array.
        n_outputs: per step index, how many outputs it has.
    """

    def __init__(self, steps, sources: dict, meta: dict, roots: list, seeds: list, n_outputs):
        self.roots = roots
        self.seeds = seeds
        self.n_outputs = n_outputs
        self.order = _engine_order(sources, [j for j, _ in roots])
        self.schedule = []
        self.boundaries: list = []  # the boundary registers the pass reaches, in order
        for j in self.order:
            step = steps[j]
            step.keep = True
            edges = [
                (position, source, meta[j][position])
                for position, source in enumerate(sources[j])
                if source is not None
            ]
            self.schedule.append((j, step, edges))
            for _, source, _ in edges:
                if source[0] == "boundary" and source[1] not in self.boundaries:
                    self.boundaries.append(source[1])

    def run(self, frame, seeds) -> dict:
        """Run the pass; ``seeds`` are the roots' gradients (arrays), or None for the
        recorded ones (``backward()``'s implicit ones). Returns ``{boundary: (total,
        owned)}`` in the order the boundaries first received a gradient."""
        if seeds is None:
            seeds = [frame.regs[seed] if type(seed) is int else seed for seed in self.seeds]
        pending: dict = {}
        n_outputs = self.n_outputs
        for (j, k), gradient in zip(self.roots, seeds):
            slots = pending.setdefault(j, [None] * n_outputs[j])
            slots[k] = gradient if slots[k] is None else slots[k] + gradient
        totals: dict = {}
        for j, step, edges in self.schedule:
            grad_outputs = pending.pop(j, None)
            if grad_outputs is None:
                continue
            input_grads = step.backward(frame, grad_outputs)
            if input_grads is None:
                continue
            for position, source, (shape, dtype) in edges:
                gradient = input_grads[position]
                if gradient is None:
                    continue
                if (
                    type(gradient) is ndarray
                    and gradient.shape == shape
                    and gradient.dtype == dtype
                ):
                    fitted = gradient
                else:
                    fitted = fit_array(gradient, shape, dtype)
                if source[0] == "step":
                    _, producer, k = source
                    slots = pending.get(producer)
                    if slots is None:
                        slots = pending[producer] = [None] * n_outputs[producer]
                    slots[k] = fitted if slots[k] is None else slots[k] + fitted
                    continue
                boundary = source[1]
                entry = totals.get(boundary)
                if entry is None:
                    if fitted is not gradient:
                        owned = fitted.base is None
                    else:
                        owned = step.exclusive(frame, fitted, grad_outputs, input_grads)
                    totals[boundary] = (fitted, owned)
                elif entry[1]:
                    entry[0].__iadd__(fitted)
                else:
                    totals[boundary] = (entry[0] + fitted, True)
        return totals


class _Node:
    """A step as the engine sees a node: its edges to the steps producing its inputs."""

    __slots__ = ("index", "_next")

    def __init__(self, index: int):
        self.index = index
        self._next: list = []


def _engine_order(sources: dict, roots: list) -> list:
    """The step indices in the order ``BackwardPass`` would run their nodes: the engine's own
    dependency count (``_discover``) and the same stack."""
    nodes = {j: _Node(j) for j in sources}
    for j, inputs in sources.items():
        nodes[j]._next = [
            nodes[source[1]] if source is not None and source[0] == "step" else None
            for source in inputs
        ]
    root_nodes = [nodes[j] for j in dict.fromkeys(roots)]
    dependencies, _ = _discover(root_nodes)
    ready = [node for node in root_nodes if dependencies.get(node, 0) == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node.index)
        for edge in node._next:
            if edge is not None:
                dependencies[edge] -= 1
                if dependencies[edge] == 0:
                    ready.append(edge)
    return order
