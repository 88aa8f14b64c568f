"""Write a :class:`~tensorgrad.viz.graph.Graph` as DOT text (Graphviz's language).

Labels are HTML-like (``label=<...>``) so names can be bold and numbers small; every piece of
user text goes through :func:`html_escape`, and quoted attributes through :func:`quote`, so no
name can break the syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .collapse import frame_chain, frame_title, leaf_homes
from .graph import CONST, LEAF, MODULE, MORE, OP, OUTPUT, Graph, Node
from .health import EXPLODING, NONFINITE, OK, VANISHING

__all__ = ["Options", "html_escape", "quote", "emit"]

FONT = "Helvetica,Arial,sans-serif"
# (fill, border) per kind of node and per gradient verdict; the verdicts override the kind.
COLORS = {
    LEAF: ("#d6e6fb", "#3b6ea8"),
    OP: ("#ffffff", "#8a8a8a"),
    OUTPUT: ("#cdeccb", "#3c8a35"),
    CONST: ("#f4f4f4", "#b0b0b0"),
    MODULE: ("#eee5f7", "#7a55a6"),
    VANISHING: ("#fff0b3", "#c79a00"),
    EXPLODING: ("#ffbf99", "#d4581f"),
    NONFINITE: ("#ff7a7a", "#a30000"),
}
BROADCAST_COLOR = "#d4581f"
MUTED = "#666666"
LEGEND_TEXT = {
    LEAF: "leaf: parameter or input that requires grad",
    OP: "op: recorded operation (its backward node)",
    OUTPUT: "output: a root you drew (e.g. the loss)",
    CONST: "input that does not require grad",
    MODULE: "module call, collapsed",
    VANISHING: "vanishing gradient",
    EXPLODING: "exploding gradient",
    NONFINITE: "NaN/inf gradient",
}
STATUS_TEXT = {VANISHING: "VANISHING", EXPLODING: "EXPLODING", NONFINITE: "NaN/inf"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Options:
    """What the labels show (see ``draw_graph``)."""

    show_shapes: bool = True
    show_data: bool = False
    show_grads: bool = True
    rankdir: str = "LR"


def _clean(text) -> str:
    # Control characters and Unicode line separators would end a DOT line or upset the HTML
    # parser; "\r\n" counts as one newline.
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", str(text).replace("\r\n", "\n"))


def html_escape(text: str) -> str:
    """Make ``text`` safe inside an HTML-like label; newlines become line breaks."""
    text = _clean(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    # Graphviz's HTML-label lexer rejects some bare brackets (a "]" opening an element) and
    # an element holding only a tab; a tab renders as a space anyway.
    text = text.replace("[", "&#91;").replace("]", "&#93;").replace("\t", " ")
    return text.replace("\n", "<BR/>")


def quote(text: str) -> str:
    """``text`` as a DOT double-quoted string (backslashes, quotes and newlines escaped)."""
    text = _clean(text)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _number(value: float) -> str:
    return f"{value:.4g}"


def _shape(shape) -> str:
    return "?" if shape is None else str(tuple(shape))


def _small(text: str, color: str | None = None) -> str:
    if not text:
        return ""  # Graphviz rejects an empty <FONT></FONT>
    color_attr = f' COLOR="{color}"' if color else ""
    return f'<FONT POINT-SIZE="10"{color_attr}>{html_escape(text)}</FONT>'


def _value_lines(node: Node, options: Options) -> list:
    """Data and gradient lines for a node that has a tensor."""
    tensor, lines = node.tensor, []
    if tensor is None:
        return lines
    if tensor.numel() == 1:
        lines.append(_small(f"data {_number(float(tensor._data.reshape(-1)[0]))}"))
    elif options.show_data and tensor.numel():
        data = tensor._data
        lines.append(_small(f"mean {_number(data.mean())}  std {_number(data.std())}"))
    stats = node.stats
    if options.show_grads and stats is not None:
        if tensor.numel() == 1:
            lines.append(_small(f"grad {_number(float(tensor._grad._data.reshape(-1)[0]))}"))
        else:
            lines.append(_small(f"‖grad‖ {_number(stats.grad_norm)}"))
        if stats.status != OK:
            lines.append(f"<B>{STATUS_TEXT[stats.status]}</B>")
    return lines


def _label(node: Node, options: Options) -> str:
    lines = []
    if node.kind == OP:
        title = node.title + (f" → {node.name}" if node.name else "")
        lines.append(f"<B>{html_escape(title)}</B>")
        if node.detail:
            lines.append(_small(html_escape(node.detail)))
        if options.show_shapes and node.shapes:
            lines.append(_small("  ".join(_shape(shape) for shape in node.shapes), MUTED))
    elif node.kind == MODULE:
        lines.append(f"<B>{html_escape(node.title)}</B>")
        ops = f"{node.ops} op" + ("s" if node.ops != 1 else "")
        lines.append(_small(f"{node.params:,} params · {ops}" if node.params else ops))
        if options.show_shapes and node.shapes:
            lines.append(_small(f"out {_shape(node.shapes[0])}", MUTED))
    elif node.kind == MORE:
        lines.append(_small(node.title, MUTED))
    else:
        title = node.title or ("no grad" if node.kind == CONST else "tensor")
        bold = node.kind != CONST
        lines.append(f"<B>{html_escape(title)}</B>" if bold else _small(title, MUTED))
        if options.show_shapes:
            lines.append(_small(f"{_shape(node.shapes[0])} {node.dtype}", MUTED))
    lines.extend(_value_lines(node, options))
    return "<" + "<BR/>".join(lines) + ">"


def _node_line(key: int, node: Node, options: Options) -> str:
    status = node.stats.status if node.stats is not None and options.show_grads else OK
    fill, border = COLORS[status] if status in COLORS else COLORS.get(node.kind, COLORS[OP])
    attrs = [f"label={_label(node, options)}", f'fillcolor="{fill}"', f'color="{border}"']
    if node.kind == OP:
        attrs.append('style="rounded,filled"')
    elif node.kind == OUTPUT:
        attrs.append("penwidth=2")
    elif node.kind == CONST:
        attrs.append('style="dashed,filled"')
    elif node.kind == MODULE:
        attrs.append('style="rounded,filled,bold"')
    elif node.kind == MORE:
        attrs.append('shape=plaintext style=""')
    return f"  n{key} [{' '.join(attrs)}]"


def _edge_line(edge, nodes: list, home: dict) -> str:
    attrs = []
    if nodes[edge.tail].kind in (OP, MODULE):
        attrs.append("weight=4")  # keep the main data path straight; leaves hang off it
    elif edge.tail in home:
        # A parameter drawn inside its module's cluster may sit in its op's column: otherwise
        # each cluster reaches one column back into the previous one and they stack diagonally.
        attrs.append("minlen=0")
    if edge.broadcast:
        # The engine sums this edge's gradient back down to the input's shape.
        label = html_escape(f"Σ → {_shape(edge.shape)}")
        attrs += [
            f'label=<<FONT POINT-SIZE="9">{label}</FONT>>',
            f'color="{BROADCAST_COLOR}"',
            f'fontcolor="{BROADCAST_COLOR}"',
            "penwidth=1.6",
            'style="dashed"',
        ]
    return f"  n{edge.tail} -> n{edge.head}" + (f" [{' '.join(attrs)}]" if attrs else "")


def _home_frames(graph: Graph) -> dict:
    """``node -> frame`` of the cluster it is drawn in; leaves follow the ops that read them."""
    home = {}
    for key, node in enumerate(graph.nodes):
        frame = node.frame[1] if node.kind == MODULE else node.frame  # a box sits in its parent
        if frame is not None:
            home[key] = frame
    home.update(leaf_homes(graph.nodes, graph.edges, home.get))
    return home


def _clustered(graph: Graph, options: Options, module_names: dict, home: dict) -> list:
    """Node lines nested in one ``subgraph cluster_…`` per module call (iteratively)."""
    members: dict = {None: []}  # id(frame) -> node numbers
    children: dict = {None: []}  # id(frame) -> child frames, in order of first use
    for key in range(len(graph.nodes)):
        parent = None
        for frame in frame_chain(home.get(key)):
            if id(frame) not in members:
                members[id(frame)] = []
                children[id(frame)] = []
                children[parent].append(frame)
            parent = id(frame)
        members[parent].append(key)
    lines = [_node_line(key, graph.nodes[key], options) for key in members[None]]
    stack = [iter(children[None])]
    count = 0
    while stack:
        frame = next(stack[-1], None)
        if frame is None:
            stack.pop()
            if stack:
                lines.append("  }")
            continue
        lines.append(f"  subgraph cluster_{count} {{")
        count += 1
        lines.append(
            f'  label={quote(frame_title(frame, module_names))} style="rounded,dashed" '
            f'color="{COLORS[MODULE][1]}" fontcolor="{COLORS[MODULE][1]}"'
        )
        lines += [_node_line(key, graph.nodes[key], options) for key in members[id(frame)]]
        stack.append(iter(children[id(frame)]))
    return lines


def _legend(graph: Graph, options: Options) -> list:
    kinds = {node.kind for node in graph.nodes}
    entries = [kind for kind in (LEAF, OP, OUTPUT, CONST, MODULE) if kind in kinds]
    if options.show_grads:
        statuses = {node.stats.status for node in graph.nodes if node.stats is not None}
        entries += [status for status in (VANISHING, EXPLODING, NONFINITE) if status in statuses]
    rows = ['<TR><TD COLSPAN="2" BORDER="0"><B>legend</B></TD></TR>']
    for entry in entries:
        fill, border = COLORS[entry]
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" WIDTH="16"></TD>'
            f'<TD BORDER="0" ALIGN="LEFT">{_small(LEGEND_TEXT[entry])}</TD></TR>'
        )
    if any(edge.broadcast for edge in graph.edges):
        rows.append(
            f'<TR><TD BORDER="0"><FONT COLOR="{BROADCAST_COLOR}">Σ</FONT></TD>'
            f'<TD BORDER="0" ALIGN="LEFT">'
            f"{_small('gradient summed back over a broadcast')}</TD></TR>"
        )
    return [_table_node("legend", rows)]


def _summary(summary: dict, notes: list) -> list:
    """The gradient-health box: problem tensors by verdict, then the notes."""
    if not summary and not notes:
        return []
    rows = ['<TR><TD COLSPAN="2" BORDER="0"><B>gradient health</B></TD></TR>']
    if set(summary) == {OK}:
        count = len(summary[OK])
        rows.append(
            f'<TR><TD COLSPAN="2" BORDER="0">{_small(f"all {count} gradients ok")}</TD></TR>'
        )
    for status, labels in summary.items():
        if status == OK:
            continue
        fill, border = COLORS[status]
        names = ", ".join(labels[:8]) + (f", … +{len(labels) - 8} more" if len(labels) > 8 else "")
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" ALIGN="LEFT">'
            f"{_small(f'{STATUS_TEXT[status]} ({len(labels)})')}</TD>"
            f'<TD BORDER="0" ALIGN="LEFT">{_small(names)}</TD></TR>'
        )
    for note in notes:
        rows.append(f'<TR><TD COLSPAN="2" BORDER="0" ALIGN="LEFT">{_small(note, MUTED)}</TD></TR>')
    return [_table_node("health", rows)]


def _table_node(name: str, rows: list) -> str:
    table = '<TABLE BORDER="1" COLOR="#bbbbbb" CELLBORDER="1" CELLSPACING="3" CELLPADDING="3">'
    return f'  {name} [shape=plaintext style="" label=<{table}{"".join(rows)}</TABLE>>]'


def emit(graph: Graph, options: Options, module_names: dict, summary: dict) -> list:
    """The body of the DOT ``digraph``: settings, nodes (in clusters), edges, legend, summary."""
    lines = [
        f"  graph [rankdir={quote(options.rankdir)} fontname={quote(FONT)} fontsize=11 "
        f"nodesep=0.2 ranksep=0.3]",
        f'  node [shape=box style=filled fontname={quote(FONT)} fontsize=11 margin="0.1,0.04"]',
        f'  edge [color="#666666" arrowsize=0.6 fontname={quote(FONT)}]',
    ]
    home = _home_frames(graph)
    lines += _clustered(graph, options, module_names, home)
    lines += [_edge_line(edge, graph.nodes, home) for edge in graph.edges]
    boxes = _legend(graph, options) + _summary(summary, graph.notes)
    # Same rank as the outputs: the keys sit beside the loss instead of widening the inputs' side.
    lines += ["  {rank=sink", *boxes, "  }"]
    return lines
