"""tensorgrad.viz: the DOT text of known graphs, read back structurally, and real renders."""

from __future__ import annotations

import html
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.autograd.graph import scope
from tensorgrad.viz import draw_graph, render, to_dot
from tensorgrad.viz.dot import COLORS, html_escape, quote
from tensorgrad.viz.health import EXPLODING, NONFINITE, OK, VANISHING, grad_stats

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")


# ----------------------------------------------------------------------------- reading DOT
def _split_attrs(text: str) -> dict:
    """``key=value`` pairs; values are "quoted", <html> (balanced) or bare words."""
    attrs, i = {}, 0
    while i < len(text):
        match = re.compile(r"\s*(\w+)=").match(text, i)
        if not match:
            break
        key, i = match.group(1), match.end()
        if text[i] == '"':
            end = i + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            attrs[key], i = text[i + 1 : end], end + 1
        elif text[i] == "<":
            depth, end = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[end], 0)
                end += 1
                if depth == 0:
                    break
            attrs[key], i = text[i + 1 : end - 1], end
        else:
            end = i
            while end < len(text) and not text[end].isspace():
                end += 1
            attrs[key], i = text[i:end], end
    return attrs


DEFAULTS = ("graph", "node", "edge")


def parse(dot: str):
    """``(nodes, edges, clusters)``: node id -> attrs (plus "text", the label's plain text)."""
    assert dot.startswith("digraph {\n") and dot.endswith("}\n")
    nodes, edges, clusters, depth = {}, [], [], 0
    for line in dot.splitlines()[1:-1]:
        line = line.strip()
        if line.startswith("subgraph cluster_"):
            depth += 1
            clusters.append(None)
        elif line.startswith("{"):  # {rank=sink ...}
            depth += 1
        elif line == "}":
            depth -= 1
        elif line.startswith("label=") and clusters and clusters[-1] is None:
            clusters[-1] = _split_attrs(line)["label"]
        elif m := re.fullmatch(r"(n\d+) -> (n\d+)(?: \[(.*)\])?", line):
            edges.append((m.group(1), m.group(2), _split_attrs(m.group(3) or "")))
        elif (m := re.fullmatch(r"(\w+) \[(.*)\]", line)) and m.group(1) not in DEFAULTS:
            attrs = _split_attrs(m.group(2))
            text = re.sub(r"<BR[^>]*>", "\n", attrs.get("label", ""))
            attrs["text"] = html.unescape(re.sub(r"<[^>]+>", " ", text))
            nodes[m.group(1)] = attrs
    assert depth == 0, "unbalanced subgraphs"
    return nodes, edges, clusters


def by_text(nodes: dict, needle: str) -> str:
    """The one node whose label's first line has the word ``needle``."""
    (found,) = [
        key
        for key, attrs in nodes.items()
        if key.startswith("n") and needle in attrs["text"].strip().split("\n")[0].split()
    ]
    return found


# ----------------------------------------------------------------------------- fake modules
class FakeModule:
    """Just enough of nn.Module for drawing: names, parameters and a scope per call."""

    def __init__(self, **children):
        self.children, self.own = children, {}

    def named_parameters(self, prefix=""):
        yield from ((prefix + name, p) for name, p in self.own.items())
        for name, child in self.children.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self.children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def __call__(self, x):
        with scope(self):
            return self.forward(x)


class Linear(FakeModule):
    def __init__(self, n_in, n_out, scale=1.0):
        super().__init__()
        weight = tg.randn(n_out, n_in) * (scale / n_in**0.5)
        self.own = {"weight": weight.requires_grad_(), "bias": tg.zeros(n_out, requires_grad=True)}

    def forward(self, x):
        return x @ self.own["weight"].T + self.own["bias"]


class ReLU(FakeModule):
    def forward(self, x):
        return x.relu()


class Sequential(FakeModule):
    def __init__(self, *layers):
        super().__init__(**{str(i): layer for i, layer in enumerate(layers)})

    def forward(self, x):
        for layer in self.children.values():
            x = layer(x)
        return x


def mlp(scale=1.0, sizes=(2, 8, 8, 1)):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [Linear(n_in, n_out, scale), ReLU()]
    return Sequential(*layers[:-1])


def mlp_loss(model, batch=16):
    x, y = tg.randn(batch, 2), tg.randn(batch, 1)
    return ((model(x) - y) ** 2).mean()


# ----------------------------------------------------------------------------- structure
def test_small_graph_nodes_edges_labels_colours():
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    c = tg.tensor(10.0, requires_grad=True)
    out = a * b + c
    nodes, edges, _ = parse(to_dot(out, names={"a": a, "b": b, "c": c, "L": out}))
    graph_nodes = {k: v for k, v in nodes.items() if k.startswith("n")}
    assert len(graph_nodes) == 6
    a_id, b_id, c_id = by_text(nodes, "a"), by_text(nodes, "b"), by_text(nodes, "c")
    mul, add, out_id = by_text(nodes, "MulBackward0"), by_text(nodes, "AddBackward0"), "n0"
    assert nodes[out_id]["text"].split()[0] == "L"
    pairs = {(tail, head) for tail, head, _ in edges}
    assert pairs == {(a_id, mul), (b_id, mul), (mul, add), (c_id, add), (add, out_id)}
    assert nodes[a_id]["fillcolor"] == COLORS["leaf"][0]
    assert nodes[out_id]["fillcolor"] == COLORS["output"][0]
    assert nodes[out_id]["fillcolor"] != nodes[a_id]["fillcolor"]
    assert "data 4" in nodes[out_id]["text"]  # one-element tensors show their value
    assert "legend" in nodes and "output" in nodes["legend"]["text"]


def test_scalar_grads_like_micrograd():
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    (a * b).backward()
    nodes, _, _ = parse(to_dot(a * b, names={"a": a, "b": b}))
    assert "grad -3" in nodes[by_text(nodes, "a")]["text"]
    assert "grad 2" in nodes[by_text(nodes, "b")]["text"]
    nodes, _, _ = parse(to_dot(a * b, names={"a": a}, show_grads=False))
    assert "grad" not in nodes[by_text(nodes, "a")]["text"]


def test_shapes_dtypes_constants_and_retained_intermediates():
    x = tg.randn(4, 3, dtype=tg.float64)
    w = tg.randn(3, 2, dtype=tg.float64, requires_grad=True)
    hidden = x @ w
    hidden.retain_grad()
    loss = (hidden * 2).sum()
    loss.backward()
    nodes, edges, _ = parse(to_dot(loss, names={"w": w, "hidden": hidden}))
    assert "(3, 2) float64" in nodes[by_text(nodes, "w")]["text"]
    const = by_text(nodes, "no")  # x does not require grad: a dashed "no grad" box
    assert "(4, 3) float64" in nodes[const]["text"] and "dashed" in nodes[const]["style"]
    matmul = by_text(nodes, "MatMulBackward0")
    assert "→ hidden" in nodes[matmul]["text"] and "‖grad‖ 5.657" in nodes[matmul]["text"]
    assert "(4, 2)" in nodes[matmul]["text"]
    mul = by_text(nodes, "MulBackward0")
    assert [tail for tail, head, _ in edges if head == mul] == [matmul]  # no box for the 2
    nodes, _, _ = parse(to_dot(loss, show_shapes=False, names={"w": w}))
    assert "(3, 2)" not in nodes[by_text(nodes, "w")]["text"]


def test_show_data_summarises_bigger_tensors():
    w = tg.tensor([1.0, 3.0], requires_grad=True)
    nodes, _, _ = parse(to_dot(w.sum(), names={"w": w}, show_data=True))
    assert "mean 2 std 1" in " ".join(nodes[by_text(nodes, "w")]["text"].split())


def test_broadcast_edges_are_marked():
    x = tg.randn(5, 3)
    weight = tg.randn(3, 4, requires_grad=True)
    bias = tg.randn(4, requires_grad=True)
    loss = (x @ weight + bias).sum()
    nodes, edges, _ = parse(to_dot(loss, names={"w": weight, "b": bias}))
    marked = {(tail, head) for tail, head, attrs in edges if "label" in attrs}
    assert marked == {(by_text(nodes, "b"), by_text(nodes, "AddBackward0"))}
    (attrs,) = [attrs for _, _, attrs in edges if "label" in attrs]
    assert "Σ → (4,)" in html.unescape(re.sub(r"<[^>]+>", "", attrs["label"]))
    assert "broadcast" in nodes["legend"]["text"]


def test_several_roots_share_one_graph():
    x = tg.randn(3, requires_grad=True)
    y = x.exp()
    first, second = y.sum(), (y * y).sum()
    nodes, edges, _ = parse(to_dot(first, second, names={"x": x}))
    assert sum(a.get("fillcolor") == COLORS["output"][0] for a in nodes.values()) == 2
    exp = by_text(nodes, "ExpBackward0")
    assert len([1 for tail, _, _ in edges if tail == exp]) == 3  # Sum, and Mul twice


# ----------------------------------------------------------------------------- escaping, order
NASTY = 'a"b\\c{d}<e>&f]\ng;h -> i [j]'


def test_escaping_helpers():
    assert quote(NASTY) == '"a\\"b\\\\c{d}<e>&f]\\ng;h -> i [j]"'
    escaped = html_escape(NASTY)
    assert not set('<>"') & set(escaped.replace("<BR/>", ""))
    assert html_escape("\x00x") == "\N{REPLACEMENT CHARACTER}x"


def test_no_name_breaks_the_syntax():
    x = tg.randn(2, requires_grad=True)
    loss = (x * 3).sum()
    scoped = tg.randn(2, requires_grad=True)
    with scope(NASTY):
        loss = loss + scoped.sum()
    dot = to_dot(loss, names={NASTY: x, "}": scoped, "loss": loss})
    nodes, _, clusters = parse(dot)
    assert sum(NASTY in attrs["text"] for attrs in nodes.values()) == 1
    assert clusters == [quote(NASTY)[1:-1]]
    if HAS_DOT:
        import graphviz

        svg = graphviz.pipe("dot", "svg", dot.encode()).decode()
        assert "a&quot;b\\c{d}&lt;e&gt;&amp;f]" in svg


@given(name=st.text(min_size=1, max_size=12), scope_name=st.text(max_size=8))
def test_any_name_gives_valid_dot(name, scope_name):
    x = tg.ones(2, requires_grad=True)
    with scope(scope_name):
        loss = (x * 2).sum()
    dot = to_dot(loss, names={name: x, "loss": loss})
    nodes, _, clusters = parse(dot)
    assert len([key for key in nodes if key.startswith("n")]) == 4
    assert clusters == [quote(scope_name)[1:-1]]
    if HAS_DOT:
        import graphviz

        svg = graphviz.pipe("dot", "svg", dot.encode("utf-8"), quiet=True)
        assert ET.fromstring(svg).tag.endswith("svg")


def test_same_graph_same_text():
    def build():
        tg.manual_seed(3)
        model = mlp()
        loss = mlp_loss(model)
        loss.backward()
        return to_dot(loss, params=model)

    first = build()
    assert first == build()
    assert "0x" not in first  # no id()/repr addresses leak in
    x = tg.randn(2, requires_grad=True)
    y = (x * x).sum()
    assert to_dot(y) == to_dot(y) == draw_graph(y).source == y.draw().source


# ----------------------------------------------------------------------------- modules and scale
def test_params_name_leaves_and_modules_make_clusters():
    model = mlp()
    loss = mlp_loss(model)
    nodes, edges, clusters = parse(to_dot(loss, params=model))
    for name in ("0.weight", "0.bias", "2.weight", "4.bias"):
        assert nodes[by_text(nodes, name)]["fillcolor"] == COLORS["leaf"][0]
    # Clusters (like node numbers) come in graph order: nearest the loss first.
    assert clusters == ["Sequential", "4: Linear", "3: ReLU", "2: Linear", "1: ReLU", "0: Linear"]
    as_dict = parse(to_dot(loss, params=dict(model.named_parameters())))[0]
    assert by_text(as_dict, "2.weight")


def test_collapse_modules_boxes_with_parameter_counts():
    model = mlp(sizes=(2, 8, 8, 1))
    loss = mlp_loss(model)
    loss.backward()
    nodes, edges, clusters = parse(to_dot(loss, params=model, collapse_modules=True))
    boxes = {k: a["text"] for k, a in nodes.items() if a.get("fillcolor") == COLORS["module"][0]}
    assert [text.split("\n")[0].strip() for text in boxes.values()] == [
        "4: Linear",
        "3: ReLU",
        "2: Linear",
        "1: ReLU",
        "0: Linear",
    ]  # graph order: nearest the loss first
    counts = [re.search(r"([\d,]+) params", t) for t in boxes.values()]
    assert [int(m.group(1)) if m else 0 for m in counts] == [9, 0, 72, 0, 24]
    assert not any("weight" in a["text"] for a in nodes.values())  # parameters went inside
    no_grad = [a for a in nodes.values() if a["text"].split()[:2] == ["no", "grad"]]
    assert len(no_grad) == 2  # the data fed to the model and the targets stay outside
    box_ids = list(boxes)
    chain = {(t, h) for t, h, _ in edges if t in boxes and h in boxes}
    assert chain == {(box_ids[i + 1], box_ids[i]) for i in range(4)}
    assert clusters == ["Sequential"]


def test_string_scopes_collapse_too():
    x = tg.randn(3, requires_grad=True)
    with scope("encoder"):
        h = (x * 2).exp().sum()
    with scope("head"):
        out = h * 3
    nodes, edges, clusters = parse(to_dot(out, names={"x": x}, collapse_modules=True))
    texts = [" ".join(a["text"].split()) for a in nodes.values()]
    # A string scope has no parameters(): its box swallows ops only, the input stays visible.
    assert "encoder 3 ops out ()" in texts and "head 1 op out ()" in texts
    assert "x (3,) float32" in texts
    assert parse(to_dot(out))[2] == ["head", "encoder"]


def _deep_model(blocks: int) -> tuple:
    x = tg.randn(4, requires_grad=True)
    h = x
    for index in range(blocks):
        with scope(f"block{index}"):
            h = (h * 1.5).tanh() + h
    return x, h.sum()


def test_many_nodes_collapse_automatically():
    _, loss = _deep_model(40)
    nodes, _, _ = parse(to_dot(loss, max_nodes=50))
    graph_nodes = [k for k in nodes if k.startswith("n")]
    assert len(graph_nodes) == 43  # 40 blocks, the input, the Sum, the loss
    assert "modules collapsed" in nodes["health"]["text"]
    assert len([k for k in parse(to_dot(loss))[0] if k.startswith("n")]) == 3 * 40 + 3


def test_many_nodes_without_scopes_are_cut_at_max_nodes():
    x = tg.randn(3, requires_grad=True)
    y = x
    for _ in range(500):
        y = y * 1.001
    nodes, edges, _ = parse(to_dot(y.sum(), max_nodes=100))
    graph_nodes = [k for k in nodes if k.startswith("n")]
    assert len(graph_nodes) == 101
    more = by_text(nodes, "…")
    assert "403 more nodes" in nodes[more]["text"]
    assert [(t, h) for t, h, _ in edges if t == more] == [(more, "n99")]
    assert "showing 100 of 503 nodes" in " ".join(nodes["health"]["text"].split())


def test_ten_thousand_nodes_without_recursion():
    x = tg.randn(4, requires_grad=True)
    y = x
    for index in range(10_000):
        y = y * 1.0001 if index % 2 else y + 0.5
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # anything recursive over the graph would fail here
    try:
        dot = to_dot(y.sum(), max_nodes=20_000)
    finally:
        sys.setrecursionlimit(old_limit)
    # 10,000 ops, the Sum, the output and x; one edge into each node but x.
    assert dot.count(" [label=") == 10_003 + 1 - 1 and dot.count(" -> ") == 10_002


# ----------------------------------------------------------------------------- gradient health
def test_grad_stats_verdicts():
    ones = tg.ones(10)._data
    assert grad_stats(ones, ones * 0, 1e-6, 1e3).status == VANISHING
    assert grad_stats(ones, ones * 1e-9, 1e-6, 1e3).status == VANISHING
    assert grad_stats(ones * 0, ones * 1e-9, 1e-6, 1e3).status == OK  # zero-initialised bias
    assert grad_stats(ones, ones * 0.1, 1e-6, 1e3).status == OK
    assert grad_stats(ones, ones * 1e4, 1e-6, 1e3).status == EXPLODING
    nan = grad_stats(ones, ones * float("nan"), 1e-6, 1e3)
    assert nan.status == NONFINITE and nan.data_norm == pytest.approx(10**0.5)
    assert grad_stats(ones, ones * float("inf"), 1e-6, 1e3).status == NONFINITE


def _status_of(nodes: dict, name: str) -> str:
    fill = nodes[by_text(nodes, name)]["fillcolor"]
    return next(key for key, (colour, _) in COLORS.items() if colour == fill)


def test_dead_relu_layer_is_vanishing():
    model = mlp()
    with tg.no_grad():
        model.children["0"].own["bias"].fill_(-100.0)  # no unit of the first ReLU ever fires
    loss = mlp_loss(model)
    loss.backward()
    nodes, _, _ = parse(to_dot(loss, params=model))
    for name in ("0.weight", "0.bias", "2.weight", "4.weight"):
        assert _status_of(nodes, name) == VANISHING
        assert "VANISHING" in nodes[by_text(nodes, name)]["text"]
    assert _status_of(nodes, "4.bias") == "leaf"  # the last bias still learns
    health = " ".join(nodes["health"]["text"].split())
    assert "VANISHING (5) 4.weight, 2.bias, 2.weight, 0.bias, 0.weight" in health
    assert "vanishing gradient" in nodes["legend"]["text"]
    collapsed = parse(to_dot(loss, params=model, collapse_modules=True))[0]
    assert _status_of(collapsed, "0:") == VANISHING  # a box shows its worst parameter


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_exploding_and_nan_gradients():
    model = mlp(scale=1e3)
    extra = tg.tensor([-1.0, 4.0], requires_grad=True)
    loss = mlp_loss(model) + extra.sqrt().sum()
    loss.backward()
    nodes, _, _ = parse(to_dot(loss, params=model, names={"extra": extra}))
    assert _status_of(nodes, "0.weight") == EXPLODING
    assert "EXPLODING" in nodes[by_text(nodes, "0.weight")]["text"]
    assert _status_of(nodes, "extra") == NONFINITE
    assert "‖grad‖ nan" in nodes[by_text(nodes, "extra")]["text"]
    health = " ".join(nodes["health"]["text"].split())
    assert health.index("NaN/inf (1) extra") < health.index("EXPLODING (6)")
    assert "exploding: ‖grad‖ > 1000·max(‖data‖, 1)" in health
    relaxed = parse(to_dot(loss, params=model, names={"extra": extra}, exploding=1e12))[0]
    assert _status_of(relaxed, "4.weight") == "leaf"


def test_healthy_network_says_so():
    model = mlp()
    loss = mlp_loss(model)
    loss.backward()
    nodes, _, _ = parse(to_dot(loss, params=model))
    assert "all 6 gradients ok" in " ".join(nodes["health"]["text"].split())
    assert "health" not in parse(to_dot(loss, params=model, show_grads=False))[0]


# ----------------------------------------------------------------------------- rendering
@needs_dot
def test_render_svg_and_png(tmp_path):
    model = mlp()
    loss = mlp_loss(model)
    loss.backward()
    svg = render(loss, tmp_path / "mlp.svg", params=model)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    texts = {el.text for el in root.iter() if el.tag.endswith("text")}
    assert {"0.weight", "4.bias", "legend", "gradient health"} <= texts
    png = render(draw_graph(loss, params=model), tmp_path / "out" / "mlp.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 500 and height > 100
    pdf = render([loss], tmp_path / "mlp.bin", format="pdf", params=model)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_render_without_dot_explains_how_to_install(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    x = tg.randn(2, requires_grad=True)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on PATH
    with pytest.raises(RuntimeError) as info:
        render(x.sum(), tmp_path / "g.svg")
    message = str(info.value)
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz"):
        assert command in message
    assert not (tmp_path / "g.svg").exists()
    assert to_dot(x.sum()).count(" -> ") == 2  # the DOT text still works


def test_without_graphviz_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    x = tg.randn(2, requires_grad=True)
    with pytest.raises(ImportError, match=re.escape('pip install "tensorgrad[viz]"')):
        x.sum().draw()
    assert to_dot(x.sum()).startswith("digraph {")


def test_bad_arguments():
    x = tg.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="at least one tensor"):
        to_dot()
    with pytest.raises(TypeError, match="roots must be Tensors, got list"):
        to_dot([x])
    with pytest.raises(TypeError, match="params must be a Module"):
        to_dot(x.sum(), params=[x])
    with pytest.raises(TypeError, match=r"names\['x'\] must be a Tensor, got int"):
        to_dot(x.sum(), names={"x": 3})
    with pytest.raises(ValueError, match="max_nodes must be at least 1, got 0"):
        to_dot(x.sum(), max_nodes=0)
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(x.sum(), rankdir="up")
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf, got 'gif'"):
        render(x.sum(), "graph.gif")
    with pytest.raises(TypeError, match="expected a Tensor"):
        render("digraph {}", "graph.svg")


def test_example_writes_graphs_before_and_after_backward(tmp_path, capsys):
    nn = pytest.importorskip("tensorgrad.nn")
    if not hasattr(nn, "Sequential"):
        pytest.skip("tensorgrad.nn has no Sequential yet")
    import runpy
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "graph_mlp.py"
    runpy.run_path(str(example))["main"](["--fast", "--out", str(tmp_path)])
    suffix = ".svg" if HAS_DOT else ".dot"
    before, after = (
        tmp_path / f"mlp_before_backward{suffix}",
        tmp_path / f"mlp_after_backward{suffix}",
    )
    assert f"wrote {before}" in capsys.readouterr().out
    before_text, after_text = before.read_text(), after.read_text()
    assert "0.weight" in before_text and "‖grad‖" not in before_text
    assert "‖grad‖" in after_text and "gradient health" in after_text


def test_convolution_nodes_show_their_kernel_stride_and_padding():
    model = tg.nn.Sequential(tg.nn.Conv2d(1, 4, 3, stride=2, padding=1, groups=1), tg.nn.ReLU())
    loss = model(tg.randn(2, 1, 5, 5)).sum()
    dot = to_dot(loss, params=model)
    assert "ConvolutionBackward0" in dot
    assert "kernel 3×3, stride 2, padding 1" in dot
    assert "(2, 4, 3, 3)" in dot  # the output shape under it


@pytest.mark.parametrize("pool", ["MaxPool2d", "AvgPool2d"])
def test_pool_nodes_show_their_window(pool):
    model = tg.nn.Sequential(tg.nn.Conv2d(1, 2, 3), getattr(tg.nn, pool)(2, stride=1, padding=1))
    dot = to_dot(model(tg.randn(1, 1, 5, 5)).sum(), params=model)
    assert f"{pool[:7]}Backward0" in dot
    assert "kernel 2×2, stride 1, padding 1" in dot
