"""The two optional dependencies: the ``graphviz`` Python package and Graphviz's ``dot`` program.

Both are looked for only when a drawing is actually made or written, so ``import tensorgrad``
and :func:`tensorgrad.viz.to_dot` work without either.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "import_graphviz", "digraph", "output_format", "write"]

FORMATS = ("svg", "png", "pdf")

PACKAGE_MISSING = (
    "tensorgrad.viz: drawing needs the 'graphviz' Python package. Install it with\n"
    '    pip install "tensorgrad[viz]"\n'
    "(tensorgrad.viz.to_dot() works without it and returns the DOT text.)"
)
DOT_MISSING = (
    "tensorgrad.viz: rendering needs Graphviz's 'dot' program, which was not found on PATH. "
    "Install Graphviz with one of\n"
    "    apt-get install graphviz     (Debian/Ubuntu)\n"
    "    brew install graphviz        (macOS)\n"
    "    conda install graphviz       (conda)\n"
    "(tensorgrad.viz.to_dot() works without it and returns the DOT text.)"
)


def import_graphviz():
    """The ``graphviz`` module, or an ImportError that says how to install it."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(PACKAGE_MISSING) from error
    return graphviz


def digraph(source_lines: list):
    """A ``graphviz.Digraph`` whose ``.source`` is exactly the DOT text of ``to_dot``."""
    return import_graphviz().Digraph(body=[line + "\n" for line in source_lines])


def output_format(path: Path, format: str | None) -> str:  # noqa: A002 - graphviz's name
    """``format``, or the one the file name ends with; svg when neither says."""
    chosen = format or path.suffix.lstrip(".").lower() or "svg"
    if chosen not in FORMATS:
        raise ValueError(
            f"render: format must be one of {', '.join(FORMATS)}, got {chosen!r} (path {path})"
        )
    return chosen


def write(source: str, path: Path, format: str) -> Path:  # noqa: A002 - graphviz's name
    """Lay out ``source`` with ``dot`` and write the ``format`` bytes to ``path``."""
    graphviz = import_graphviz()
    try:
        data = graphviz.pipe("dot", format, source.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound as error:
        raise RuntimeError(DOT_MISSING) from error
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
