"""``assert_matches_torch``: forward values and gradients against PyTorch, as an oracle.

PyTorch is imported only inside the call; without it the calling test is skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .._creation import from_numpy
from ..autograd.differentiate import grad as autograd_grad
from ..tensor import Tensor

__all__ = ["assert_matches_torch"]


def _import_torch():
    """PyTorch, the oracle: imported only when a comparison is asked for (never by the
    library itself); under pytest a missing PyTorch skips the test instead of failing it."""
    try:
        import pytest
    except ImportError:  # outside pytest: a plain ImportError says what is missing
        return importlib.import_module("torch")
    return pytest.importorskip("torch")


def _outputs(result) -> list:
    """``fn``'s results as a flat list (PyTorch's ``return_types`` are tuples too)."""
    return list(result) if isinstance(result, (tuple, list)) else [result]


# Default (atol, rtol) by the lowest floating precision among the inputs.
_TOLERANCES = {"float64": (1e-9, 1e-7), "float32": (1e-5, 1e-4), "float16": (1e-2, 1e-2)}


def _tolerances(arrays, atol, rtol) -> tuple[float, float]:
    precisions = [
        array.dtype.name
        for array in (a._data if isinstance(a, Tensor) else a for a in arrays)
        if isinstance(array, np.ndarray) and array.dtype.kind == "f"
    ]
    lowest = min(precisions, key=lambda name: np.dtype(name).itemsize, default="float64")
    default_atol, default_rtol = _TOLERANCES[lowest]
    return (default_atol if atol is None else atol, default_rtol if rtol is None else rtol)


def _convert(torch, value):
    """The (tensorgrad, torch) pair for one argument; floating arrays become leaves of their
    own dtype (so float32-only behaviour is compared too)."""
    array = value._data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):
        return value, value
    if array.dtype.kind == "f":
        # copy(): contiguous for PyTorch (it rejects negative strides), private for each side
        return (
            from_numpy(array.copy()).requires_grad_(),
            torch.tensor(array.copy(), requires_grad=True),
        )
    return from_numpy(array.copy()), torch.from_numpy(array.copy())


def _dtype_name(dtype) -> str:
    return str(dtype).rpartition(".")[2]


def _compare(what: str, ours: np.ndarray, theirs: np.ndarray, atol: float, rtol: float) -> None:
    if ours.shape != theirs.shape:
        raise AssertionError(
            f"assert_matches_torch: {what} has shape {ours.shape}, PyTorch's {theirs.shape}"
        )
    close = np.isclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        index = np.unravel_index(np.argmin(close), ours.shape)
        raise AssertionError(
            f"assert_matches_torch: {what} differs from PyTorch at index "
            f"{tuple(int(i) for i in index)}: tensorgrad {ours[index]!r} vs torch "
            f"{theirs[index]!r}; {int((~close).sum())} of {close.size} elements differ"
        )


def assert_matches_torch(
    fn_tg: Callable[..., Any],
    fn_torch: Callable[..., Any],
    *arrays: Any,
    atol: float | None = None,
    rtol: float | None = None,
    gradients: bool = True,
    seed: int = 0,
) -> None:
    """Assert that ``fn_tg`` (tensorgrad) and ``fn_torch`` (PyTorch) agree in value and gradient.

    Each ndarray or Tensor in ``arrays`` is handed to both as a tensor: floating ones as leaves
    of their own dtype that require grad, integer and boolean ones (indices, masks) as
    constants; other
    arguments are passed through. Compares every output's shape, dtype and values, then (with
    ``gradients``) the gradients of every floating input for one random upstream gradient.
    Skips the calling test when PyTorch is not installed.
    """
    torch = _import_torch()
    atol, rtol = _tolerances(arrays, atol, rtol)
    pairs = [_convert(torch, value) for value in arrays]
    ours = _outputs(fn_tg(*(p[0] for p in pairs)))
    theirs = _outputs(fn_torch(*(p[1] for p in pairs)))
    if len(ours) != len(theirs):
        raise AssertionError(
            f"assert_matches_torch: tensorgrad returned {len(ours)} outputs, PyTorch {len(theirs)}"
        )
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        if _dtype_name(mine.dtype) != _dtype_name(reference.dtype):
            raise AssertionError(
                f"assert_matches_torch: output {index} has dtype {mine.dtype}, PyTorch's "
                f"{reference.dtype}"
            )
        _compare(f"output {index}", mine._data, reference.detach().numpy(), atol, rtol)
    if not gradients:
        return

    rng = np.random.default_rng(seed)
    connected = [
        (mine, reference, rng.standard_normal(mine.shape).astype(mine._data.dtype))
        for mine, reference in zip(ours, theirs, strict=True)
        if mine.requires_grad and reference.requires_grad
    ]
    leaves = [
        (i, p) for i, p in enumerate(pairs) if isinstance(p[0], Tensor) and p[0].requires_grad
    ]
    if not connected or not leaves:
        return
    our_grads = autograd_grad(
        [c[0] for c in connected],
        [p[0] for _, p in leaves],
        [Tensor(c[2]) for c in connected],
        allow_unused=True,
    )
    their_grads = torch.autograd.grad(
        [c[1] for c in connected],
        [p[1] for _, p in leaves],
        [torch.from_numpy(c[2]) for c in connected],
        allow_unused=True,
    )
    for (position, (mine, _)), g_ours, g_theirs in zip(leaves, our_grads, their_grads, strict=True):
        ours_array = np.zeros(mine.shape) if g_ours is None else g_ours._data
        theirs_array = np.zeros(mine.shape) if g_theirs is None else g_theirs.numpy()
        _compare(f"the gradient of input {position}", ours_array, theirs_array, atol, rtol)
