"""Scans along a dim: ``cumprod``, ``cummax``/``cummin``, ``logcumsumexp`` and ``diff``, and the
in-place ``cumsum_``/``cumprod_`` (``cumsum`` itself is with the reductions).

Each output element depends on a prefix of its slice. ``cummax``/``cummin`` are a gather at
the running arg-extreme, so their gradient is a scatter-add; ``cumprod`` and ``logcumsumexp``
are primitives whose backward is written with the scans themselves (differentiable twice).
"""

from __future__ import annotations

import math

from .._backend import array_module, ndarray
from .._dtypes import to_numpy_dtype
from .._registry import op, tensor_method
from .._shapes import normalize_dim
from .._tracing import whole_if_needed
from ..tensor import Tensor
from ._op import Op
from ._util import require_floating
from .conversion import cast
from .indexing import Index, along_dim
from .inplace import _inplace
from .joining import Cat, cat
from .reduction import ValuesIndices, cumsum


def _reverse_cumsum(xp, x, dim: int):
    """Σ_{j ≥ i} x_j along ``dim``."""
    return xp.flip(xp.cumsum(xp.flip(x, dim), dim), dim)


class Cumprod(Op):
    """out_i = Π_{j≤i} x_j along dim"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = ctx.xp.cumprod(x, axis=dim)
        if ctx.needs_input_grad[0]:
            ctx.has_zero = bool((x == 0).any())
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        xp, dim = ctx.xp, ctx.dim
        if not ctx.has_zero:  # d/dx_k = Σ_{i≥k} g_i out_i / x_k
            return _reverse_cumsum(xp, grad * out, dim) / x
        # With zeros, no division: d/dx_k = out_{k-1} · S_k, where
        # S_k = Σ_{i≥k} g_i Π_{k<j≤i} x_j = g_k + x_{k+1} S_{k+1}. Exact polynomials, so the
        # second derivatives at (several) zeros are right too. One step per element of the dim.
        lead = (slice(None),) * dim

        def at(t, start, stop):
            return t[lead + (slice(start, stop),)]

        length = x.shape[dim]
        suffix = at(grad, length - 1, length)
        pieces = [suffix]
        for k in range(length - 2, -1, -1):
            suffix = at(grad, k, k + 1) + at(x, k + 1, k + 2) * suffix
            pieces.append(suffix)
        sums = Cat.apply(*reversed(pieces), dim=dim)
        later = at(out, 0, length - 1) * at(sums, 1, length)
        return Cat.apply(at(sums, 0, 1), later, dim=dim)


class Logcumsumexp(Op):
    """out_i = log Σ_{j≤i} e^{x_j} along dim, as a running logaddexp (stable)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = _accumulate(ctx.xp, ctx.xp.logaddexp, x, dim)
        if ctx.needs_input_grad[0]:
            ctx.lowest = float(ctx.xp.finfo(x.dtype).min)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d/dx_k = Σ_{i≥k} g_i e^{x_k - out_i}, summed in log space for the positive and the
        # negative parts of g separately (PyTorch's formula, after TensorFlow's). Where out_i
        # is -inf (x was -inf up to i) the term is taken as 0: PyTorch gives NaN there.
        x, out = ctx.saved_tensors
        xp, dim, lowest = ctx.xp, ctx.dim, ctx.lowest
        finite = out > -math.inf
        log_magnitude = xp.log(xp.abs(grad))
        safe_out = xp.where(finite, out, 0)

        def part(mask):
            logs = xp.where(finite, xp.where(mask, log_magnitude, lowest), lowest) - safe_out
            reverse = xp.flip(Logcumsumexp.apply(xp.flip(logs, dim), dim=dim), dim)
            return xp.exp(reverse + x)

        return part(grad > 0) - part(grad < 0)


def _scan_dim(input: Tensor, dim: int, op: str) -> int:
    return normalize_dim(dim, input.ndim, op)


@op("cumprod")
@whole_if_needed
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along ``dim``; integer and bool inputs multiply in int64. The
    gradient is exact where the input has zeros (no division by them)."""
    axis = _scan_dim(input, dim, "cumprod")
    np_dtype = None if dtype is None else to_numpy_dtype(dtype)
    if np_dtype is None and input._data.dtype.kind in "biu":
        np_dtype = to_numpy_dtype("int64")
    if np_dtype is not None and input._data.dtype != np_dtype:
        input = cast(input, np_dtype)
    if input.ndim == 0:
        return input.clone()
    return Cumprod.apply(input, dim=axis)


def _running_extreme(input: Tensor, dim: int, largest: bool, op: str) -> ValuesIndices:
    axis = _scan_dim(input, dim, op)
    xp = array_module(input._data)
    if input.ndim == 0:
        return ValuesIndices(input.clone(), Tensor(xp.zeros((), dtype="int64")))
    data = input._data
    values = _accumulate(xp, xp.maximum if largest else xp.minimum, data, axis)
    # The index of the latest element equal to the running extreme (PyTorch's choice among
    # ties); a NaN is the extreme from where it appears, and each later NaN takes over.
    is_extreme = (data >= values) if largest else (data <= values)
    if data.dtype.kind == "f":
        is_extreme |= xp.isnan(data)
    shape = [1] * data.ndim
    shape[axis] = data.shape[axis]
    positions = xp.arange(data.shape[axis], dtype="int64").reshape(shape)
    indices = _accumulate(xp, xp.maximum, xp.where(is_extreme, positions, 0), axis)
    return ValuesIndices(Index.apply(input, index=along_dim(xp, indices, axis)), Tensor(indices))


def _accumulate(xp, function, data, axis: int):
    """``function.accumulate(data, axis=axis)`` for ``maximum``, ``minimum`` and
    ``logaddexp``.

    CuPy's ufuncs accumulate only ``add`` and ``multiply``, so off the CPU: log₂ n steps, each
    combining every element with the one 2^k before it (Hillis and Steele's scan), earlier
    operand first as ``accumulate`` has it. For max and min the results are the same; for
    logaddexp the sums group differently, so they agree to rounding.
    """
    if type(data) is ndarray:
        return function.accumulate(data, axis=axis)
    lead = (slice(None),) * axis
    length, step = data.shape[axis], 1
    while step < length:
        earlier = data[lead + (slice(0, length - step),)]
        combined = function(earlier, data[lead + (slice(step, None),)])
        data = xp.concatenate((data[lead + (slice(0, step),)], combined), axis=axis)
        step *= 2
    return data


@op("cummax")
@whole_if_needed
def cummax(input: Tensor, dim: int) -> ValuesIndices:
    """``(values, indices)``: the running maximum along ``dim`` and where it was found (the
    latest position among equal values; NaN propagates). The gradient goes to those positions."""
    return _running_extreme(input, dim, True, "cummax")


@op("cummin")
@whole_if_needed
def cummin(input: Tensor, dim: int) -> ValuesIndices:
    """``(values, indices)``: the running minimum along ``dim``; see :func:`cummax`."""
    return _running_extreme(input, dim, False, "cummin")


@op("logcumsumexp")
@whole_if_needed
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))`` computed stably (a running logaddexp, so entries far
    below a later maximum keep their precision); floating-point inputs only, as in PyTorch."""
    require_floating(input, "logcumsumexp", NotImplementedError)
    axis = _scan_dim(input, dim, "logcumsumexp")
    if input.ndim == 0:
        return input.clone()
    return Logcumsumexp.apply(input, dim=axis)


def _diff_operand(value, input: Tensor, axis: int, name: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"diff: {name} must be a Tensor, not {type(value).__name__}")
    if value.ndim != input.ndim:
        raise RuntimeError(
            f"diff: {name} must have the input's number of dims ({input.ndim}), got shape "
            f"{value.shape}"
        )
    for d, (a, b) in enumerate(zip(input.shape, value.shape)):
        if d != axis and a != b:
            raise RuntimeError(
                f"diff: the shape of {name} {value.shape} must match the input's {input.shape} "
                f"except along dim {axis}"
            )
    return value


@op("diff")
@whole_if_needed
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]`` applied ``n``
    times (``!=`` for bool), after joining ``prepend`` and ``append`` (tensors shaped like the
    input except along ``dim``) to the input (with n = 0 the input alone is returned, as in
    PyTorch). Each pass shortens ``dim`` by one."""
    if input.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional, got shape ()")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    axis = normalize_dim(dim, input.ndim, "diff")
    if n == 0:  # PyTorch ignores prepend and append then
        return input.clone()
    pieces = [input]
    if prepend is not None:
        pieces.insert(0, _diff_operand(prepend, input, axis, "prepend"))
    if append is not None:
        pieces.append(_diff_operand(append, input, axis, "append"))
    if len(pieces) > 1:
        input = cat(pieces, axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        later, earlier = input[lead + (slice(1, None),)], input[lead + (slice(None, -1),)]
        input = later != earlier if input._data.dtype.kind == "b" else later - earlier
    return input


@tensor_method("cumsum_")
@whole_if_needed
def cumsum_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    """In-place :func:`cumsum` (the result keeps this tensor's dtype); returns ``self``."""
    return _scan_in_place(self, "cumsum_", lambda t: cumsum(t, dim, dtype=dtype))


@tensor_method("cumprod_")
@whole_if_needed
def cumprod_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    """In-place :func:`cumprod` (the result keeps this tensor's dtype); returns ``self``."""
    return _scan_in_place(self, "cumprod_", lambda t: cumprod(t, dim, dtype=dtype))


def _scan_in_place(self: Tensor, op: str, out_of_place) -> Tensor:
    def update(array):
        array_module(array).copyto(array, out_of_place(self)._data, casting="unsafe")

    return _inplace(self, op, (), out_of_place, update)
