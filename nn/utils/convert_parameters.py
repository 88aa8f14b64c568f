"""Parameters to one flat vector and back (``tensorgrad.nn.utils.convert_parameters``)."""

from __future__ import annotations

from collections.abc import Iterable

import tensorgrad
from tensorgrad import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return tensorgrad.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-D vector of {total} elements, "
            f"got shape {tuple(vec.shape)}"
        )
    offset = 0
    with tensorgrad.no_grad():
        for param in params:
            count = param.numel()
            param.copy_(vec[offset : offset + count].reshape(param.shape))
            offset += count
