"""Gradient health: is a tensor's gradient vanishing, exploding, NaN/inf, or fine?

A gradient is judged against the tensor it belongs to, because "small" only means something
relative to the values it updates: a gradient of 1e-6 is dead for weights of size 1 but normal
for weights of size 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._backend import to_host
from .graph import OP

__all__ = [
    "GradStats",
    "grad_stats",
    "annotate",
    "summarize",
    "OK",
    "VANISHING",
    "EXPLODING",
    "NONFINITE",
]

OK = "ok"
VANISHING = "vanishing"
EXPLODING = "exploding"
NONFINITE = "nan"

# Worst first: the order of the summary, and how a collapsed box picks the status it shows.
SEVERITY = (NONFINITE, EXPLODING, VANISHING, OK)


@dataclass(frozen=True, slots=True)
class GradStats:
    """Norms of a tensor and its gradient, and the verdict ``status`` (one of the constants)."""

    data_norm: float
    grad_norm: float
    status: str


def _norm(array) -> float:
    # float64 so that float16/float32 arrays with large values don't overflow in the sum.
    flat = np.asarray(array, dtype=np.float64).ravel()
    return float(np.sqrt(np.dot(flat, flat))) if flat.size else 0.0


def grad_stats(data, grad, vanishing: float, exploding: float) -> GradStats:
    """Judge ``grad`` against ``data`` (ndarrays of the same shape).

    vanishing: ``‖grad‖ <= vanishing * ‖data‖`` (an all-zero gradient always counts).
    exploding: ``‖grad‖ > exploding * max(‖data‖, 1)`` (zero-initialised biases don't count).
    NaN/inf: any element of the gradient is not finite.
    """
    data_norm = _norm(data) if np.all(np.isfinite(data)) else float("nan")
    if not np.all(np.isfinite(grad)):
        return GradStats(data_norm, float("nan"), NONFINITE)
    grad_norm = _norm(grad)
    if grad_norm == 0.0 or grad_norm <= vanishing * data_norm:
        status = VANISHING
    elif grad_norm > exploding * max(data_norm, 1.0):
        status = EXPLODING
    else:
        status = OK
    return GradStats(data_norm, grad_norm, status)


def annotate(nodes: list, vanishing: float, exploding: float) -> None:
    """Set ``node.stats`` on every node that has a tensor with a gradient."""
    for node in nodes:
        tensor = node.tensor
        if tensor is not None and tensor._grad is not None:
            # Judged on host copies: a drawing reads a handful of norms, wherever the data is.
            data, grad = to_host(tensor._data), to_host(tensor._grad._data)
            node.stats = grad_stats(data, grad, vanishing, exploding)


def summarize(nodes: list) -> dict:
    """``status -> [tensor labels]`` for every judged tensor, worst statuses first."""
    found: dict[str, list] = {status: [] for status in SEVERITY}
    for node in nodes:
        if node.stats is not None:
            found[node.stats.status].append(node_label(node))
    return {status: labels for status, labels in found.items() if labels}


def node_label(node) -> str:
    """How a tensor is named in the summary: its name, else its producer and shape."""
    if node.name or (node.title and node.kind != OP):
        return node.name or node.title
    shape = node.tensor.shape if node.tensor is not None else ()
    return f"{node.title or 'tensor'} {tuple(shape)}"
