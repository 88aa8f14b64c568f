"""Draw autograd graphs with Graphviz: to learn what backward does, and to find bad gradients.

::

    loss = loss_fn(model(x), y)
    loss.backward()
    tensorgrad.viz.render(loss, "graph.svg", params=model)   # or loss.draw(params=model)

Leaves are named after the model's parameters (``0.weight``); after ``backward()`` each shows
its gradient norm, and vanishing, exploding and NaN/inf gradients are coloured and listed in a
"gradient health" box. Edges where backward sums a gradient over a broadcast are marked ``Σ``.
Module calls are drawn as clusters, or as single boxes with ``collapse_modules=True`` (and
automatically when the graph has more than ``max_nodes`` nodes).

``to_dot`` needs nothing but tensorgrad; ``draw_graph`` needs the ``graphviz`` package
(``pip install "tensorgrad[viz]"``) and ``render`` also Graphviz's ``dot`` program.
"""

from __future__ import annotations

from pathlib import Path

from ..tensor import Tensor
from . import output as _output
from .collapse import collapse_modules as _collapse_modules
from .collapse import truncate as _truncate
from .dot import Options as _Options
from .dot import emit as _emit
from .graph import build_graph as _build_graph
from .graph import module_names as _module_names
from .graph import tensor_names as _tensor_names
from .health import OK as _OK
from .health import annotate as _annotate
from .health import summarize as _summarize

__all__ = ["draw_graph", "to_dot", "render"]


def _lines(
    roots,
    params=None,
    names=None,
    show_shapes: bool = True,
    show_data: bool = False,
    show_grads: bool = True,
    collapse_modules: bool = False,
    max_nodes: int = 300,
    rankdir: str = "LR",
    vanishing: float = 1e-6,
    exploding: float = 1e3,
) -> list:
    if not roots:
        raise ValueError("draw_graph: give at least one tensor to draw the graph of")
    for root in roots:
        if not isinstance(root, Tensor):
            raise TypeError(f"draw_graph: roots must be Tensors, got {type(root).__name__}")
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    graph = _build_graph(roots, _tensor_names(params, names))
    summary = {}
    if show_grads:
        _annotate(graph.nodes, vanishing, exploding)
        summary = _summarize(graph.nodes)
        if set(summary) - {_OK}:
            graph.notes.append(
                f"vanishing: ‖grad‖ ≤ {vanishing:g}·‖data‖; "
                f"exploding: ‖grad‖ > {exploding:g}·max(‖data‖, 1)"
            )
    modules = _module_names(params)
    if collapse_modules or len(graph.nodes) > max_nodes:
        before = len(graph.nodes)
        graph = _collapse_modules(graph, modules)
        if not collapse_modules and len(graph.nodes) < before:
            graph.notes.append(f"modules collapsed: {before:,} nodes > max_nodes={max_nodes:,}")
    graph = _truncate(graph, max_nodes)
    return _emit(graph, _Options(show_shapes, show_data, show_grads, rankdir), modules, summary)


def to_dot(*roots: Tensor, **options) -> str:
    """The DOT text (Graphviz's language) of the graph that produced ``roots``.

    Takes the same arguments as :func:`draw_graph` and needs neither the ``graphviz`` package
    nor the ``dot`` program; the same graph always gives the same text.
    """
    return "digraph {\n" + "".join(line + "\n" for line in _lines(roots, **options)) + "}\n"


def draw_graph(
    *roots: Tensor,
    params=None,
    names: dict | None = None,
    show_shapes: bool = True,
    show_data: bool = False,
    show_grads: bool = True,
    collapse_modules: bool = False,
    max_nodes: int = 300,
    rankdir: str = "LR",
    vanishing: float = 1e-6,
    exploding: float = 1e3,
):
    """Draw the autograd graph that produced ``roots`` as a ``graphviz.Digraph``.

    Args:
        roots: the tensors to draw from (usually the loss); each becomes a green output node.
        params: a Module (anything with ``named_parameters()``) or a dict name -> tensor;
            leaves are labelled by these names, and modules name their clusters.
        names: a dict name -> tensor for other tensors (``{"x": x, "loss": loss}``), including
            intermediates kept with ``retain_grad()``.
        show_shapes: show shapes (and dtypes of tensors).
        show_data: show mean and std of tensors with more than one element (one-element tensors
            always show their value, like micrograd).
        show_grads: show gradient norms and judge each gradient's health.
        collapse_modules: draw each module call as one box with its parameter count.
        max_nodes: above this many nodes, modules are collapsed, then nodes farthest from the
            roots are left out.
        rankdir: layout direction, ``"LR"`` (inputs left, loss right) or ``"TB"``, ``"RL"``,
            ``"BT"``.
        vanishing: a gradient is vanishing when ``‖grad‖ <= vanishing * ‖data‖`` (or is zero).
        exploding: a gradient is exploding when ``‖grad‖ > exploding * max(‖data‖, 1)``.

    In a notebook the returned Digraph displays itself; ``.source`` is :func:`to_dot`'s text.
    """
    lines = _lines(
        roots,
        params,
        names,
        show_shapes,
        show_data,
        show_grads,
        collapse_modules,
        max_nodes,
        rankdir,
        vanishing,
        exploding,
    )
    return _output.digraph(lines)


def render(graph, path, format: str | None = None, **options) -> Path:  # noqa: A002
    """Write a drawing to ``path`` as SVG, PNG or PDF and return the path.

    ``graph`` is a Tensor, a list/tuple of Tensors (then ``options`` are :func:`draw_graph`'s)
    or a Digraph from :func:`draw_graph`. ``format`` defaults to the file's extension, else
    ``"svg"``. Raises RuntimeError saying how to install Graphviz when ``dot`` is missing.
    """
    path = Path(path)
    chosen = _output.output_format(path, format)
    if isinstance(graph, Tensor):
        graph = (graph,)
    if isinstance(graph, (list, tuple)):
        source = to_dot(*graph, **options)
    elif hasattr(graph, "source"):
        if options:
            raise TypeError(f"render: drawing options {sorted(options)} need tensors, not a graph")
        source = graph.source
    else:
        raise TypeError(
            f"render: expected a Tensor, a list of Tensors or a graphviz graph, "
            f"got {type(graph).__name__}"
        )
    return _output.write(source, path, chosen)
