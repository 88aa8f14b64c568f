"""Walk an autograd graph into a plain list of nodes and edges that the DOT writer draws.

Edges point the way data flows in the forward pass (leaf -> op -> output), which is how people
read a network; backward runs them in reverse. Node numbers are assigned in breadth-first order
from the roots, so the same graph always gives the same numbering (never ``id()``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from math import prod

import numpy as np

from ..tensor import Tensor

__all__ = ["Node", "Edge", "Graph", "build_graph", "tensor_names", "module_names"]

OP = "op"  # a backward node (MulBackward0): one recorded operation
LEAF = "leaf"  # a tensor that requires grad and was made by the user (parameter or input)
OUTPUT = "output"  # a root the graph was drawn from (the loss)
CONST = "const"  # an input that does not require grad (data fed to the network)
MODULE = "module"  # a collapsed module call (see collapse.py)
MORE = "more"  # stands for the nodes left out above max_nodes


@dataclass(slots=True)
class Node:
    """One box in the drawing.

    ``title`` is the op's name (``MulBackward0``) or the tensor's (``0.weight``); ``name`` is
    the variable name of a retained intermediate an op produced; ``detail`` the op's
    parameters (``Function.description``).
    ``shapes``/``dtype`` describe what the node produces (an op may have several outputs);
    ``tensor`` is the tensor behind a leaf, an output or a retained intermediate (for values and
    gradients); ``frame`` is the op's scope frame; ``ops``/``params`` count what a module box
    stands for; ``stats`` is filled with a :class:`~tensorgrad.viz.health.GradStats`.
    """

    kind: str
    title: str
    name: str = ""
    shapes: list = field(default_factory=list)
    dtype: str | None = None
    tensor: Tensor | None = None
    frame: tuple | None = None
    ops: int = 0
    params: int = 0
    stats: object = None
    detail: str = ""  # an op's parameters worth seeing (a convolution's kernel and stride)


@dataclass(slots=True)
class Edge:
    """Data flowing from node ``tail`` to node ``head``; ``shape`` is what ``head`` received.

    ``broadcast`` is True when ``head`` broadcast this input up to a bigger output, so backward
    sums the gradient back down to ``shape`` along this edge.
    """

    tail: int
    head: int
    shape: tuple | None = None
    broadcast: bool = False


@dataclass(slots=True)
class Graph:
    """Nodes in graph order, edges in discovery order, and notes for the summary box."""

    nodes: list
    edges: list
    notes: list = field(default_factory=list)


def _named_pairs(source, what: str):
    if source is None:
        return ()
    if hasattr(source, "named_parameters"):
        return source.named_parameters()
    if isinstance(source, Mapping):
        return source.items()
    raise TypeError(
        f"draw_graph: {what} must be a Module (anything with named_parameters()) or a dict "
        f"name -> tensor, got {type(source).__name__}"
    )


def tensor_names(params=None, names=None) -> dict:
    """``id(tensor) -> name`` from a Module or dict of parameters and a dict of variable names.

    ``names`` wins over ``params`` so a user can rename a parameter in one drawing.
    """
    found = {}
    for source, what in ((params, "params"), (names, "names")):
        for name, tensor in _named_pairs(source, what):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"draw_graph: {what}[{name!r}] must be a Tensor, got {type(tensor).__name__}"
                )
            found[id(tensor)] = str(name)
    return found


def module_names(params=None) -> dict:
    """``id(module) -> qualified name`` from ``params.named_modules()`` (empty otherwise)."""
    if params is None or not hasattr(params, "named_modules"):
        return {}
    return {id(module): name for name, module in params.named_modules()}


def _dtype_name(dtype) -> str:
    return str(np.dtype(dtype))


def _tensor_node(kind: str, title: str, tensor: Tensor) -> Node:
    return Node(
        kind, title, shapes=[tensor.shape], dtype=_dtype_name(tensor._data.dtype), tensor=tensor
    )


def _retained_tensor(fn):
    """The tensor behind ``retain_grad()`` on this node's first output, if still alive."""
    retained = getattr(fn, "_retained", None)
    if not retained:
        return None
    for output_nr in sorted(retained):
        tensor = retained[output_nr]()
        if tensor is not None:
            return tensor
    return None


def _reduces_broadcast(shape, out_shape) -> bool:
    if shape is None or out_shape is None or shape == out_shape:
        return False
    if prod(shape) >= prod(out_shape):
        return False  # a reshape or a reduction, not a broadcast
    try:
        return np.broadcast_shapes(shape, out_shape) == tuple(out_shape)
    except ValueError:
        return False


def build_graph(roots, names: dict) -> Graph:
    """Breadth-first walk from ``roots`` (Tensors) through ``grad_fn``/``_next`` edges.

    ``names`` maps ``id(tensor)`` to a label. Iterative, so graphs of any depth work.
    """
    nodes: list[Node] = []
    edges: list[Edge] = []
    index: dict[int, int] = {}  # id(fn or leaf tensor) -> node number
    queue: deque = deque()

    def visit(item) -> int:
        key = index.get(id(item))
        if key is not None:
            return key
        key = index[id(item)] = len(nodes)
        if isinstance(item, Tensor):
            nodes.append(_tensor_node(LEAF, names.get(id(item), ""), item))
        else:
            node = Node(OP, item.name(), shapes=[None] * item._n_outputs, frame=item.scope)
            node.detail = item.description
            node.tensor = _retained_tensor(item)
            if node.tensor is not None:
                node.name = names.get(id(node.tensor), "")
            nodes.append(node)
            queue.append((item, key))
        return key

    for root in roots:
        if id(root) in index:
            continue
        if root.grad_fn is None:
            visit(root)
            continue
        key = index[id(root)] = len(nodes)
        nodes.append(_tensor_node(OUTPUT, names.get(id(root), "output"), root))
        producer = visit(root.grad_fn)
        _set_output(nodes[producer], root._output_nr, root.shape, root._data.dtype)
        edges.append(Edge(producer, key, root.shape))

    while queue:
        fn, head = queue.popleft()
        for edge, output_nr, (shape, dtype) in zip(
            fn._next, fn._next_nr, fn._input_meta, strict=True
        ):
            if edge is None:
                if len(shape) == 0:
                    continue  # a Python-number-like constant: not worth a box
                tail = len(nodes)
                nodes.append(Node(CONST, "", shapes=[shape], dtype=_dtype_name(dtype)))
            else:
                tail = visit(edge)
                if not isinstance(edge, Tensor):
                    _set_output(nodes[tail], output_nr, shape, dtype)
            edges.append(Edge(tail, head, shape))

    for edge in edges:
        head = nodes[edge.head]
        if head.kind == OP and len(head.shapes) == 1:
            edge.broadcast = _reduces_broadcast(edge.shape, head.shapes[0])
    return Graph(nodes, edges)


def _set_output(node: Node, output_nr: int, shape, dtype) -> None:
    if output_nr < len(node.shapes) and node.shapes[output_nr] is None:
        node.shapes[output_nr] = tuple(shape)
        if node.dtype is None:
            node.dtype = _dtype_name(dtype)
