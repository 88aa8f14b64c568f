"""Randomized gradient checks: analytic vector-Jacobian products against central differences.

Unlike ``autograd.gradcheck`` (which builds whole Jacobians), these draw one random upstream
gradient ``g`` and check the gradient of the scalar ``L(x) = sum_k <g_k, fn(x)_k>``: one
backward pass, and two forward passes per input element (or per random direction for large
inputs). They also check what property-based tests of gradients usually forget: gradient shapes,
inputs left untouched, and gradients that share no memory.

Finite differences run on the host in float64, so these helpers use NumPy directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._creation import from_numpy
from ..autograd.differentiate import grad as autograd_grad
from ..tensor import Tensor

__all__ = ["assert_gradients_close", "assert_second_gradients_close"]


def _array(value) -> np.ndarray | None:
    """The ndarray behind a Tensor or ndarray argument; None for anything else."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    return None


def _is_floating(value) -> bool:
    array = _array(value)
    return array is not None and array.dtype.kind == "f"


def _differentiable(value) -> bool:
    """PyTorch's gradcheck rule for Tensors (requires_grad), and every floating ndarray."""
    if isinstance(value, Tensor):
        return value._data.dtype.kind == "f" and value._requires_grad
    return _is_floating(value)


def _floating_outputs(result) -> list:
    """The floating Tensors/ndarrays among ``fn``'s results (indices and the like are skipped)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    outputs = [item for item in items if _is_floating(item)]
    if not outputs:
        raise TypeError(
            f"fn must return a floating Tensor or ndarray (or a tuple holding some), "
            f"got {type(result).__name__}"
        )
    return outputs


def _describe(index: tuple) -> str:
    return str(tuple(int(i) for i in index)) if index else "()"


class _Check:
    """One gradient check: the arguments, the upstream gradients and how to evaluate ``L``."""

    def __init__(self, fn, inputs, vjp, grad_outputs, label: str, seed: int):
        self.fn, self.vjp, self.label = fn, vjp, label
        self.rng = np.random.default_rng(seed)
        self.positions = [i for i, value in enumerate(inputs) if _differentiable(value)]
        if not self.positions:
            raise ValueError(
                f"{label}: no input to differentiate; pass floating ndarrays or Tensors with "
                f"requires_grad=True"
            )
        self.arguments = [self._prepare(value) for value in inputs]
        self.upstream = grad_outputs

    def _prepare(self, value):
        """float64 inputs are used as given (keeping their memory layout); others are cast."""
        if not _differentiable(value):
            return value
        array = _array(value)
        if array.dtype != np.float64:
            array = array.astype(np.float64)
            return from_numpy(array).requires_grad_() if self.vjp is None else array
        if self.vjp is None and not isinstance(value, Tensor):
            return from_numpy(array).requires_grad_()
        return value

    def base(self, position: int) -> np.ndarray:
        return np.array(_array(self.arguments[position]), dtype=np.float64)

    def wrap(self, position: int, array: np.ndarray):
        """A fresh argument holding ``array``, of the kind ``fn`` was given at ``position``."""
        if self.vjp is None or isinstance(self.arguments[position], Tensor):
            return from_numpy(array)
        return array

    def draw_upstream(self, outputs: list) -> list:
        if self.upstream is None:
            return [self.rng.standard_normal(np.shape(_array(o))) for o in outputs]
        given = self.upstream if isinstance(self.upstream, (tuple, list)) else (self.upstream,)
        return [
            np.array(_array(g) if _array(g) is not None else g, dtype=np.float64) for g in given
        ]

    def loss(self, replaced: dict, upstream: list) -> float:
        """``L`` at the arguments with ``replaced`` (position -> array) substituted."""
        arguments = [
            self.wrap(i, replaced[i]) if i in replaced else value
            for i, value in enumerate(self.arguments)
        ]
        outputs = _floating_outputs(self.fn(*arguments))
        return float(
            sum(
                np.sum(g * _array(o).astype(np.float64))
                for g, o in zip(upstream, outputs, strict=True)
            )
        )


def _analytic(check: _Check) -> tuple[list, list]:
    """Run ``fn`` and its backward once; check mutation, shapes and aliasing on the way."""
    label = check.label
    snapshots = {
        i: _array(v).copy() for i, v in enumerate(check.arguments) if _array(v) is not None
    }
    outputs = _floating_outputs(check.fn(*check.arguments))
    upstream = check.draw_upstream(outputs)
    if len(upstream) != len(outputs):
        raise ValueError(f"{label}: {len(upstream)} grad_outputs for {len(outputs)} outputs")
    upstream_snapshots = [g.copy() for g in upstream]
    differentiable = [check.arguments[i] for i in check.positions]
    if check.vjp is None:
        gradients = _autograd_gradients(outputs, upstream, differentiable)
    else:
        gradients = _user_gradients(check, upstream)

    for i, before in snapshots.items():
        after = _array(check.arguments[i])
        if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
            raise AssertionError(
                f"{label}: fn (or its backward) modified input {i} in place; "
                f"{_first_change(before, after)}"
            )
    for k, (before, after) in enumerate(zip(upstream_snapshots, upstream, strict=True)):
        if not np.array_equal(before, after, equal_nan=True):
            raise AssertionError(
                f"{label}: backward modified the upstream gradient of output "
                f"{k} in place; {_first_change(before, after)}"
            )

    for slot, (position, gradient) in enumerate(zip(check.positions, gradients, strict=True)):
        shape = np.shape(_array(check.arguments[position]))
        if gradient.shape != shape:
            raise AssertionError(
                f"{label}: the gradient of input {position} has shape {gradient.shape}, but the "
                f"input has shape {shape} (a broadcast gradient that was not summed back?)"
            )
        for other_slot in range(slot):
            if np.shares_memory(gradient, gradients[other_slot]):
                raise AssertionError(
                    f"{label}: the gradients of inputs {check.positions[other_slot]} and "
                    f"{position} share memory; accumulating into one would change the other"
                )
        for i, value in enumerate(check.arguments):
            if _array(value) is not None and np.shares_memory(gradient, _array(value)):
                raise AssertionError(
                    f"{label}: the gradient of input {position} shares memory with input {i}"
                )
    return [g.astype(np.float64) for g in gradients], upstream


def _autograd_gradients(outputs: list, upstream: list, differentiable: list) -> list:
    connected = [
        (o, g)
        for o, g in zip(outputs, upstream, strict=True)
        if isinstance(o, Tensor) and o._requires_grad
    ]
    if not connected:  # fn does not depend on its inputs through autograd: all zeros
        return [np.zeros(t.shape) for t in differentiable]
    gradients = autograd_grad(
        [o for o, _ in connected],
        differentiable,
        [Tensor(g.astype(o._data.dtype)) for o, g in connected],
        allow_unused=True,
    )
    return [
        np.zeros(t.shape) if g is None else g._data
        for g, t in zip(gradients, differentiable, strict=True)
    ]


def _user_gradients(check: _Check, upstream: list) -> list:
    """Call the hand-written ``vjp`` with the upstream gradients as the kind fn was given."""
    as_tensors = isinstance(check.arguments[check.positions[0]], Tensor)
    given = [from_numpy(g) if as_tensors else g for g in upstream]
    result = check.vjp(given[0] if len(given) == 1 else tuple(given), *check.arguments)
    result = result if isinstance(result, (tuple, list)) else (result,)
    if len(result) != len(check.positions):
        raise AssertionError(
            f"{check.label}: vjp returned {len(result)} gradients for "
            f"{len(check.positions)} differentiable inputs"
        )
    gradients = []
    for gradient, position in zip(result, check.positions, strict=True):
        if gradient is None:
            gradient = np.zeros(np.shape(_array(check.arguments[position])))
        gradients.append(np.asarray(_array(gradient) if _array(gradient) is not None else gradient))
    return gradients


def _first_change(before: np.ndarray, after: np.ndarray) -> str:
    if before.shape != after.shape:
        return f"its shape changed from {before.shape} to {after.shape}"
    index = np.unravel_index(np.argmax(~np.isclose(before, after, 0, 0, True)), before.shape)
    return f"at index {_describe(index)} it was {before[index]!r} and is now {after[index]!r}"


def _compare_elements(check, position, analytic, upstream, eps, atol, rtol) -> None:
    base = check.base(position)
    numeric = np.empty(base.shape)
    flat = numeric.reshape(-1)
    for k in range(base.size):
        shifted = base.copy()
        shifted.flat[k] = base.flat[k] + eps
        plus = check.loss({position: shifted}, upstream)
        shifted.flat[k] = base.flat[k] - eps
        minus = check.loss({position: shifted}, upstream)
        flat[k] = (plus - minus) / (2 * eps)
    error = np.abs(analytic - numeric)
    bad = ~(error <= atol + rtol * np.abs(numeric))  # NaN anywhere counts as a mismatch
    if bad.any():
        worst = np.unravel_index(
            np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf), -1)), base.shape
        )
        raise AssertionError(
            f"{check.label}: the gradient of input {position} (shape {base.shape}) is wrong at "
            f"index {_describe(worst)}: analytic {analytic[worst]:.10g} vs numeric "
            f"{numeric[worst]:.10g} (input value {base[worst]:.10g}); {int(bad.sum())} of "
            f"{base.size} elements differ by more than atol={atol:g} + rtol={rtol:g} * |numeric|"
        )


def _compare_projections(check, position, analytic, upstream, eps, atol, rtol, count) -> None:
    base = check.base(position)
    for trial in range(count):
        direction = check.rng.standard_normal(base.shape)
        plus = check.loss({position: base + eps * direction}, upstream)
        minus = check.loss({position: base - eps * direction}, upstream)
        numeric = (plus - minus) / (2 * eps)
        expected = float(np.sum(analytic * direction))
        if not abs(expected - numeric) <= atol + rtol * float(np.sum(np.abs(analytic * direction))):
            raise AssertionError(
                f"{check.label}: the gradient of input {position} (shape {base.shape}) fails the "
                f"random-projection check {trial}: <analytic gradient, v> = {expected:.10g} but "
                f"the directional difference quotient is {numeric:.10g}"
            )


def assert_gradients_close(
    fn: Callable[..., Any],
    *inputs: Any,
    vjp: Callable[..., Any] | None = None,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    max_elements: int = 64,
    projections: int = 4,
    seed: int = 0,
) -> None:
    """Assert that ``fn``'s analytic gradients match float64 central differences.

    Differentiates with respect to every floating ndarray and every Tensor with
    ``requires_grad=True`` among ``inputs`` (other arguments are passed through unchanged);
    float64 inputs are used as given, so a non-contiguous view stays one, others are cast to
    float64. A random upstream gradient (or ``grad_outputs``) is drawn for each floating output.

    Checks, in order: ``fn`` and its backward leave every input (and the upstream gradient)
    unmodified; each gradient has its input's shape; no two gradients share memory with each
    other or with an input; each gradient matches central differences elementwise, within
    ``atol + rtol * |numeric|`` (inputs with more than ``max_elements`` elements are checked
    along ``projections`` random directions instead).

    Args:
        fn: maps the inputs to a Tensor (or a tuple of them; non-floating ones are ignored).
        vjp: optional hand-written backward ``vjp(grad_output, *inputs)`` returning one gradient
            per differentiable input, checked instead of autograd (``fn`` and ``vjp`` then get
            ndarrays where ndarrays were given).
        seed: seeds the upstream gradients and projection directions.

    Raises:
        AssertionError: naming the input, the worst element, and the analytic and numeric values.
    """
    _check_gradients(
        fn,
        inputs,
        vjp,
        grad_outputs,
        eps,
        atol,
        rtol,
        max_elements,
        projections,
        seed,
        "assert_gradients_close",
    )


def _check_gradients(
    fn, inputs, vjp, grad_outputs, eps, atol, rtol, max_elements, projections, seed, label
) -> None:
    check = _Check(fn, inputs, vjp, grad_outputs, label, seed)
    gradients, upstream = _analytic(check)
    for position, analytic in zip(check.positions, gradients, strict=True):
        if analytic.size <= max_elements:
            _compare_elements(check, position, analytic, upstream, eps, atol, rtol)
        else:
            _compare_projections(check, position, analytic, upstream, eps, atol, rtol, projections)


def assert_second_gradients_close(
    fn: Callable[..., Any],
    *inputs: Any,
    grad_outputs: Sequence | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    max_elements: int = 64,
    projections: int = 4,
    seed: int = 0,
) -> None:
    """Assert that ``fn``'s second derivatives are right: check the gradient of its VJP.

    The VJP ``x -> dL/dx`` (for a fixed random upstream gradient) is computed with
    ``autograd.grad(..., create_graph=True)`` and then checked by :func:`assert_gradients_close`
    against central differences of itself, so a backward written with non-differentiable
    (detached or raw-array) maths is caught. Arguments as for :func:`assert_gradients_close`.
    """
    label = "assert_second_gradients_close"
    positions = [i for i, value in enumerate(inputs) if _differentiable(value)]
    rng = np.random.default_rng(seed + 1)
    upstream_cache: list = []

    def first_derivatives(*arguments):
        arguments = list(arguments)
        for i in positions:
            if not arguments[i]._requires_grad:  # a finite-difference evaluation
                arguments[i] = arguments[i].detach().requires_grad_()
        outputs = [o for o in _floating_outputs(fn(*arguments)) if isinstance(o, Tensor)]
        if not upstream_cache:  # drawn once, then fixed for every evaluation
            given = (
                grad_outputs
                if grad_outputs is not None
                else [rng.standard_normal(o.shape) for o in outputs]
            )
            upstream_cache.extend(
                Tensor(np.array(_array(g) if _array(g) is not None else g, dtype=np.float64))
                for g in given
            )
        connected = [
            (o, g) for o, g in zip(outputs, upstream_cache, strict=True) if o._requires_grad
        ]
        differentiable = [arguments[i] for i in positions]
        if not connected:
            return tuple(Tensor(np.zeros(t.shape)) for t in differentiable)
        gradients = autograd_grad(
            [o for o, _ in connected],
            differentiable,
            [g for _, g in connected],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(
            Tensor(np.zeros(t.shape)) if g is None else g
            for g, t in zip(gradients, differentiable, strict=True)
        )

    # Every differentiable input must be a Tensor so first_derivatives can differentiate it.
    tensors = [
        from_numpy(np.array(_array(v), dtype=np.float64)).requires_grad_()
        if i in positions and not (isinstance(v, Tensor) and v._data.dtype == np.float64)
        else v
        for i, v in enumerate(inputs)
    ]
    _check_gradients(
        first_derivatives,
        tensors,
        None,
        None,
        eps,
        atol,
        rtol,
        max_elements,
        projections,
        seed,
        label,
    )
