"""Make big graphs readable: one box per module call, and a cut at ``max_nodes``."""

from __future__ import annotations

from .graph import LEAF, MODULE, MORE, OP, Edge, Graph, Node
from .health import SEVERITY

__all__ = ["collapse_modules", "truncate", "frame_chain", "frame_title", "leaf_homes"]


def frame_chain(frame) -> list:
    """The frames from outermost to ``frame`` itself (each is an ``(owner, parent)`` pair)."""
    chain = []
    while frame is not None:
        chain.append(frame)
        frame = frame[1]
    chain.reverse()
    return chain


def frame_title(frame, module_names: dict) -> str:
    """``"0: Linear"`` for a named module, ``"Linear"`` for an unnamed one, a string as is."""
    owner = frame[0]
    if isinstance(owner, str):
        return owner
    kind = type(owner).__name__
    name = module_names.get(id(owner), "")
    return f"{name}: {kind}" if name else kind


def _group_frames(nodes: list) -> dict:
    """``node number -> frame`` to collapse into, for every op recorded inside a scope.

    The frames every scoped op shares (the call of the whole model) are skipped, so that a
    model's children become the boxes rather than the model itself.
    """
    chains = {key: frame_chain(node.frame) for key, node in enumerate(nodes) if node.frame}
    if not chains:
        return {}
    common = min(len(chain) for chain in chains.values())
    first = next(iter(chains.values()))
    for depth in range(common):
        if any(chain[depth] is not first[depth] for chain in chains.values()):
            common = depth
            break
    return {key: chain[min(common, len(chain) - 1)] for key, chain in chains.items()}


def leaf_homes(nodes: list, edges: list, frame_of) -> dict:
    """``leaf node -> frame`` for the leaves that belong with the ops of one module call.

    A leaf belongs when every op that reads it is in that frame (``frame_of(op node)``) and,
    if the frame's owner has ``parameters()``, the leaf is one of them (so data fed to a layer
    stays outside its box). Inputs that don't require grad always stay outside.
    """
    readers: dict[int, list] = {}
    for edge in edges:
        if nodes[edge.tail].kind == LEAF:
            readers.setdefault(edge.tail, []).append(frame_of(edge.head))
    homes = {}
    owned_cache: dict[int, set] = {}
    for key, frames in readers.items():
        first = frames[0]
        if first is None or any(frame is not first for frame in frames):
            continue
        owner = first[0]
        if id(owner) not in owned_cache:
            parameters = getattr(owner, "parameters", None)
            owned_cache[id(owner)] = {id(p) for p in parameters()} if callable(parameters) else None
        owned = owned_cache[id(owner)]
        if owned is not None and id(nodes[key].tensor) in owned:
            homes[key] = first
    return homes


def _owner_parameters(owner) -> int | None:
    parameters = getattr(owner, "parameters", None)
    if not callable(parameters):
        return None
    return sum(p.numel() for p in parameters())


def collapse_modules(graph: Graph, module_names: dict) -> Graph:
    """Replace the ops of each module call, and the leaves only they use, by one box.

    A module called twice gets two boxes (one per call), so weight sharing and unrolled loops
    keep their shape. A box shows its parameter count and the worst gradient health of the
    parameters it swallowed.
    """
    nodes, edges = graph.nodes, graph.edges
    group_frames = _group_frames(nodes)
    if not group_frames:
        return graph
    group_of = {key: id(frame) for key, frame in group_frames.items()}
    frames = {id(frame): frame for frame in group_frames.values()}
    for key, frame in leaf_homes(nodes, edges, group_frames.get).items():
        group_of[key] = id(frame)

    new_nodes: list[Node] = []
    new_key: dict[int, int] = {}
    box_of: dict[int, int] = {}  # group -> new node number
    for key, node in enumerate(nodes):
        group = group_of.get(key)
        if group is None:
            new_key[key] = len(new_nodes)
            new_nodes.append(node)
            continue
        box = box_of.get(group)
        if box is None:
            box = box_of[group] = len(new_nodes)
            new_nodes.append(Node(MODULE, "", frame=frames[group]))
        new_key[key] = box
        _absorb(new_nodes[box], node)

    for box in box_of.values():
        node = new_nodes[box]
        node.title = frame_title(node.frame, module_names)
        counted = _owner_parameters(node.frame[0])
        if counted is not None:
            node.params = counted

    new_edges = []
    seen = set()
    for edge in edges:
        tail, head = new_key[edge.tail], new_key[edge.head]
        if tail == head or (tail, head) in seen:
            continue
        seen.add((tail, head))
        inside = group_of.get(edge.head) is not None
        new_edges.append(Edge(tail, head, edge.shape, edge.broadcast and not inside))
        if group_of.get(edge.tail) is not None and not new_nodes[tail].shapes:
            new_nodes[tail].shapes = [edge.shape]
    return Graph(new_nodes, new_edges, list(graph.notes))


def _absorb(box: Node, node: Node) -> None:
    if node.kind == OP:
        box.ops += 1
    elif node.kind == LEAF:
        box.params += node.tensor.numel()
    if node.stats is not None:
        worse = box.stats is None or (
            SEVERITY.index(node.stats.status) < SEVERITY.index(box.stats.status)
        )
        if worse:
            box.stats = node.stats


def truncate(graph: Graph, max_nodes: int) -> Graph:
    """Keep the ``max_nodes`` nodes nearest the roots; one extra node stands for the rest."""
    nodes = graph.nodes
    if len(nodes) <= max_nodes:
        return graph
    kept = nodes[:max_nodes]
    more = len(kept)
    dropped = len(nodes) - max_nodes
    kept.append(Node(MORE, f"… {dropped:,} more nodes"))
    new_edges = []
    seen = set()
    for edge in graph.edges:
        if edge.head >= max_nodes:
            continue
        if edge.tail < max_nodes:
            new_edges.append(edge)
        elif edge.head not in seen:
            seen.add(edge.head)
            new_edges.append(Edge(more, edge.head, edge.shape))
    notes = [*graph.notes, f"showing {max_nodes:,} of {len(nodes):,} nodes (max_nodes)"]
    return Graph(kept, new_edges, notes)
