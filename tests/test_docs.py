"""The documentation: the code on its pages prints what the pages say, the notebooks are
stored without outputs, `mkdocs build --strict` passes, and the API reference documents every
public name.

The notebooks themselves run as tests through nbmake (``docs/notebooks`` is in pyproject.toml's
``testpaths``, in their fast mode). The site build here does not execute them again: it
renders them, checks every link and reference, and writes the inventory read below.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

import tensorgrad as tg

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((DOCS / "notebooks").glob("*.ipynb"))
OUTPUT = 'text title="Output"'
# The pages that show what their code prints (```text title="Output" blocks): their code is
# run and its output compared. Pages without such blocks may show code that is not run.
PAGES = sorted(path for path in DOCS.rglob("*.md") if f"```{OUTPUT}" in path.read_text())
# A fenced block: its indentation, info string ("python", 'text title="Output"') and body.
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)

# The modules the issue asks the API reference to cover (others may be added to the pages).
REQUIRED_API_MODULES = [
    "tensorgrad",
    "tensorgrad.Tensor",
    "tensorgrad.nn",
    "tensorgrad.nn.functional",
    "tensorgrad.nn.init",
    "tensorgrad.nn.utils",
    "tensorgrad.optim",
    "tensorgrad.optim.lr_scheduler",
    "tensorgrad.autograd",
    "tensorgrad.utils.data",
    "tensorgrad.linalg",
    "tensorgrad.distributions",
    "tensorgrad.viz",
    "tensorgrad.testing",
    "tensorgrad.serialization",
]


# ----------------------------------------------------------------------------- code on the pages
def code_blocks(page: Path) -> list[tuple[str, str | None]]:
    """(code, the output the page shows for it or None) for each ```python block, in order.

    A block's output is a ```text title="Output" block right after it (only blank lines
    between the two).
    """
    text = page.read_text()
    fences = list(FENCE.finditer(text))
    blocks = []
    for fence, following in zip(fences, [*fences[1:], None]):
        if fence.group("info").strip() != "python":
            continue
        expected = None
        if (
            following is not None
            and following.group("info").strip() == OUTPUT
            and not text[fence.end() : following.start()].strip()
        ):
            expected = _dedent(following.group("body"), following.group("indent"))
        blocks.append((_dedent(fence.group("body"), fence.group("indent")), expected))
    return blocks


def _dedent(body: str, indent: str) -> str:
    return "\n".join(line[len(indent) :] for line in body.splitlines())


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def same_output(printed: str, shown: str) -> bool:
    """Whether ``printed`` matches the output a page has ``shown``: the same text up to
    spacing, and numbers within 1% (or 0.01), since BLAS on another CPU may round a long
    training run differently."""

    def normalised(text: str) -> str:
        return re.sub(r"\s*([\[\](),])\s*", r"\1", " ".join(text.split()))

    printed, shown = normalised(printed), normalised(shown)
    if NUMBER.sub("#", printed) != NUMBER.sub("#", shown):
        return False
    pairs = zip(NUMBER.findall(printed), NUMBER.findall(shown))
    return all(math.isclose(float(a), float(b), rel_tol=1e-2, abs_tol=1e-2) for a, b in pairs)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_the_code_on_each_page_prints_what_the_page_shows(page, tmp_path, monkeypatch):
    """Each page's blocks run in order in one namespace, in an empty folder (pages write
    files); a block followed by an Output block must print that (``same_output``)."""
    text = page.read_text()
    if "sklearn" in text:
        pytest.importorskip("sklearn", reason="the page uses scikit-learn (the examples extra)")
    if "hypothesis" in text:
        pytest.importorskip("hypothesis", reason="the page uses hypothesis (the test extra)")
    if "viz.render(" in text:
        pytest.importorskip("graphviz", reason="the page draws with the graphviz package (viz)")
        if shutil.which("dot") is None:
            pytest.skip("the page renders a drawing, which needs Graphviz's dot program")
    monkeypatch.chdir(tmp_path)
    blocks = code_blocks(page)
    assert blocks, f"{page.name}: no python blocks found"
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    for number, (code, expected) in enumerate(blocks, 1):
        printed = io.StringIO()
        # One BLAS thread: the pages' matrices are small (from-numpy.md trains for a while).
        with contextlib.redirect_stdout(printed), threadpool_limits(limits=1):
            exec(compile(code, f"{page.relative_to(ROOT)} (block {number})", "exec"), namespace)
        if expected is not None:
            assert same_output(printed.getvalue(), expected), (
                f"{page.relative_to(ROOT)}, python block {number}: printed\n"
                f"{printed.getvalue()}\nbut the page shows\n{expected}"
            )


def test_code_blocks_pair_each_output_with_the_code_before_it(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint(1)\n```\n\n"
        '```text title="Output"\n1\n```\n\n'
        "```python\nx = 2\n```\n\ntext\n\n"
        '```text title="Output"\nnot x\'s\n```\n'
        '    ```python\n    print(3)\n    ```\n    ```text title="Output"\n    3\n    ```\n'
    )
    assert code_blocks(page) == [("print(1)", "1"), ("x = 2", None), ("print(3)", "3")]


def test_outputs_compare_text_exactly_and_numbers_within_one_percent():
    assert same_output("[0.05 0.91 0.91 0.1 ]\n", "[0.05 0.91 0.91 0.1]")
    assert same_output("test accuracy 86.6%", "test accuracy 86.4%")
    assert same_output("tensor([ 6., 12.])", "tensor([6., 12.])")
    assert not same_output("test accuracy 86.6%", "test accuracy 80.6%")
    assert not same_output("tensor([1., 2.])", "tensor([1., 2.], requires_grad=True)")
    assert not same_output("MulBackward0", "AddBackward0")


# ----------------------------------------------------------------------------- notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_stored_without_outputs_and_have_a_fast_mode(notebook):
    content = json.loads(notebook.read_text())
    code = [cell for cell in content["cells"] if cell["cell_type"] == "code"]
    assert [cell["outputs"] for cell in code if cell["outputs"]] == []
    assert [cell["execution_count"] for cell in code if cell["execution_count"]] == []
    assert "TENSORGRAD_NOTEBOOK_FAST" in "".join(code[0]["source"]), "first code cell: no fast mode"


def test_there_are_the_four_tutorial_notebooks():
    assert [path.name for path in NOTEBOOKS] == [
        "autograd_from_first_principles.ipynb",
        "digits_mlp_and_cnn.ipynb",
        "property_based_testing.ipynb",
        "tiny_gpt.ipynb",
    ]


# ----------------------------------------------------------------------------- the site
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``mkdocs build --strict`` into a temporary folder: (the finished process, the folder)."""
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocs_jupyter"):
        pytest.importorskip(
            module, reason='the docs extra is not installed (pip install -e ".[docs]")'
        )
    folder = tmp_path_factory.mktemp("site")
    environment = {
        **os.environ,
        "TENSORGRAD_DOCS_EXECUTE": "false",  # nbmake runs the notebooks
        "TENSORGRAD_DOCS_CACHE": "false",  # no .cache/ in the checkout
        "NO_MKDOCS_2_WARNING": "1",
    }
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)]
    build = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900
    )
    return build, folder


def test_the_site_builds_with_no_warning(site):
    build, folder = site
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr[-5000:]}"
    for notebook in NOTEBOOKS:
        page = folder / "notebooks" / notebook.stem / "index.html"
        title = json.loads(notebook.read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        assert title in page.read_text(), f"{notebook.name} is not rendered"


def documented_identifiers(folder: Path) -> set[str]:
    """The names in the site's Sphinx-style inventory (what mkdocstrings rendered)."""
    header, _, compressed = folder.joinpath("objects.inv").read_bytes().partition(b"zlib.\n")
    assert header.startswith(b"# Sphinx inventory version 2")
    return {line.split(" ", 1)[0] for line in zlib.decompress(compressed).decode().splitlines()}


def api_page_identifiers() -> list[str]:
    """Every ``::: identifier`` of the API pages that is a module (or ``tensorgrad.Tensor``);
    single functions documented at their defining path are left out."""
    pages = sorted((DOCS / "api").glob("*.md"))
    found = [m for page in pages for m in re.findall(r"^::: (\S+)", page.read_text(), re.M)]
    return [name for name in found if name == "tensorgrad.Tensor" or _is_module(name)]


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def public_names(identifier: str) -> dict[str, list[str]]:
    """The public names under ``identifier`` (a module or ``tensorgrad.Tensor``), each with the
    paths it may be documented at: ``identifier.name``, or where the object is defined (for a
    name that a submodule of the same name hides from the documentation tools)."""
    if identifier == "tensorgrad.Tensor":
        owner, names = tg.Tensor, [name for name in dir(tg.Tensor) if not name.startswith("_")]
    elif identifier == "tensorgrad":  # no __all__: tests/test_architecture.py checks dir()
        owner, names = tg, [name for name in dir(tg) if not name.startswith("_")]
    else:
        owner = importlib.import_module(identifier)
        names = list(getattr(owner, "__all__", ()))
    paths = {}
    for name in names:
        value = inspect.getattr_static(owner, name, None) if owner is tg.Tensor else None
        value = getattr(owner, name) if value is None else value
        if isinstance(value, type(tg)):
            continue  # a submodule: documented with its own ``:::`` (checked above)
        defined_at = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
        paths[name] = [f"{identifier}.{name}", defined_at]
    return paths


def test_the_api_reference_has_a_page_for_every_public_module():
    identifiers = api_page_identifiers()
    required = list(REQUIRED_API_MODULES)
    for optional in ("tensorgrad.compiler", "tensorgrad.onnx"):
        if hasattr(importlib.import_module(optional), "__all__"):  # added by issue 15's others
            required.append(optional)
    assert [name for name in required if name not in identifiers] == []
    # Submodules listed in a documented module's __all__ have their own section too.
    for identifier in identifiers:
        if identifier == "tensorgrad.Tensor":
            continue
        module = importlib.import_module(identifier)
        for name in getattr(module, "__all__", ()):
            if isinstance(getattr(module, name), type(tg)):
                assert getattr(module, name).__name__ in identifiers, f"{identifier}.{name}"


def test_the_api_reference_documents_every_public_name(site):
    build, folder = site
    assert build.returncode == 0, "the site did not build (see the test above)"
    documented = documented_identifiers(folder)
    missing = [
        f"{identifier}.{name}"
        for identifier in api_page_identifiers()
        for name, paths in public_names(identifier).items()
        if not documented.intersection(paths)
    ]
    assert missing == []
