"""``tensorgrad._dynamo``: the names PyTorch scripts reach through ``torch._dynamo``.

``reset()``, ``config`` (``config.cache_size_limit = 64`` sets the recompile limit),
``is_compiling``, ``disable``, ``allow_in_graph``, ``list_backends``, ``OptimizedModule``
(also in ``eval_frame``, where scripts test ``isinstance(model, OptimizedModule)`` to reach
``model._orig_mod``), and the shape markers and ``graph_break``, which change nothing here:
tensorgrad's compiler records each new shape and replays a whole call (no graph to break).
"""

from __future__ import annotations

from ..compiler import (
    OptimizedModule,
    allow_in_graph,
    disable,
    is_compiling,
    list_backends,
    reset,
)
from . import config, eval_frame

__all__ = [
    "OptimizedModule",
    "allow_in_graph",
    "config",
    "disable",
    "eval_frame",
    "graph_break",
    "is_compiling",
    "list_backends",
    "mark_dynamic",
    "mark_static",
    "maybe_mark_dynamic",
    "reset",
]


def mark_dynamic(tensor, index, *, min=None, max=None) -> None:  # noqa: A002 - PyTorch's names
    """Accepted: marks nothing. Every new size of a dimension records again here, so no size
    is assumed; ``index`` (an int or a list of them) must name dimensions of ``tensor``."""
    _check_dims(tensor, index, "mark_dynamic")


def maybe_mark_dynamic(tensor, index) -> None:
    """As :func:`mark_dynamic`."""
    _check_dims(tensor, index, "maybe_mark_dynamic")


def mark_static(tensor, index=None) -> None:
    """Accepted: every dimension is static here already."""
    if index is not None:
        _check_dims(tensor, index, "mark_static")


def graph_break() -> None:
    """Accepted: a compiled call is recorded whole, so there is no graph to break."""


def _check_dims(tensor, index, op: str) -> None:
    for dim in index if isinstance(index, (list, tuple)) else (index,):
        if not -tensor.dim() <= dim < tensor.dim():
            raise IndexError(
                f"{op}: dimension {dim} out of range for a tensor of shape {tuple(tensor.shape)}"
            )
