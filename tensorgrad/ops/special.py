"""Other bases and special functions: ``exp2``, ``log2``, ``log10``, ``erfc``, ``erfinv``; and
``nan_to_num``, which replaces the special values NaN and ±inf.

The error functions use SciPy's vectorised kernels when SciPy is installed (it is optional);
without it, ``math.erf``/``math.erfc`` per element, and for ``erfinv`` a rational first guess
polished by Newton's method on them (full double precision, just slower); on CUDA, CuPy's
kernels (``cupyx.scipy.special``), and on other devices a round trip through the host.
``erf`` itself is in ``fused.py``. Like every function with a singularity, ``log2``/``log10``
give an exact zero gradient where the upstream gradient is exactly zero.
"""

from __future__ import annotations

import math

from .._backend import array_module, backend_of, default_module, ndarray, to_host
from .._registry import op
from ..tensor import Tensor
from ._op import Op
from ._util import as_floating, is_scalar, zero_where_no_gradient

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _per_element(function, x):
    """``function`` (a Python float function) on every element of the host array ``x``, in
    ``x``'s dtype."""
    numpy = default_module
    return numpy.asarray(numpy.frompyfunc(function, 1, 1)(x), dtype=x.dtype)


def _special(name: str, xp, x, without_scipy):
    """``scipy.special.<name>`` on ``x``, an array of module ``xp`` (``without_scipy(x)`` on a
    host array when SciPy is not installed).

    On CUDA, CuPy's own kernel (``cupyx.scipy.special``). Elsewhere off the CPU, these
    NumPy-only functions run on a host copy whose result is copied back: two copies per call,
    acceptable for functions this rare.
    """
    if type(x) is not ndarray:
        if backend_of(x).type == "cuda":
            try:
                import cupyx.scipy.special as special
            except ImportError:  # a CuPy without its SciPy kernels: through the host
                pass
            else:
                return getattr(special, name)(x)
        return xp.asarray(_special(name, default_module, to_host(x), without_scipy))
    try:
        import scipy.special as special
    except ImportError:
        return without_scipy(x)
    return getattr(special, name)(x)


def erf_array(xp, x):
    """erf elementwise: SciPy's vectorised erf when installed, else ``math.erf`` per element."""
    return _special("erf", xp, x, _erf_without_scipy)


def _erf_without_scipy(x):
    return _per_element(math.erf, x)


def _erfc_without_scipy(x):
    return _per_element(math.erfc, x)


def _erfinv_without_scipy(x):
    """erfinv from Giles' single-precision approximation (2010), polished by Newton's method:
    on erf near 0, and on log erfc for |x| > 1/2, where 1 - |x| is exact, erf would lose the
    digits that matter and log erfc is nearly a parabola (so the far tail converges too)."""
    xp = default_module
    magnitude = xp.abs(x.astype(xp.float64))
    inside = magnitude < 1
    safe = xp.where(inside, magnitude, 0.0)  # polished only where the answer is finite
    w = -xp.log((1 - safe) * (1 + safe))
    central, tail = w - 2.5, xp.sqrt(w) - 3
    p_central, p_tail = 2.81022636e-08, -0.000200214257
    for a, b in zip(_GILES_CENTRAL, _GILES_TAIL, strict=True):
        p_central, p_tail = a + p_central * central, b + p_tail * tail
    y = xp.where(w < 5, p_central, p_tail) * safe
    in_tail = safe > 0.5
    log_target = xp.log(xp.where(in_tail, 1 - safe, 1.0))
    for _ in range(4):
        slope = _TWO_OVER_SQRT_PI * xp.exp(-y * y)  # erf'(y)
        erfc = _per_element(math.erfc, y)
        step_tail = (xp.log(erfc) - log_target) * erfc / slope
        step_central = (_per_element(math.erf, y) - safe) / slope
        y = y + xp.where(in_tail, step_tail, -step_central)
    y = xp.where(inside, y, xp.where(magnitude == 1, xp.inf, xp.nan))
    return (xp.sign(x) * y).astype(x.dtype)  # odd; sign(NaN) keeps the NaN


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2010), single precision.
_GILES_CENTRAL = (
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_GILES_TAIL = (
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


class Exp2(Op):
    """y = 2^x"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = y ln 2
        (y,) = ctx.saved_tensors
        return grad * y * math.log(2)


class Log2(Op):
    """y = log₂ x (exact at powers of two)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log2(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/(x ln 2)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / (x * math.log(2)))


class Log10(Op):
    """y = log₁₀ x (exact at powers of ten)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log10(x)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = 1/(x ln 10)
        (x,) = ctx.saved_tensors
        return zero_where_no_gradient(ctx.xp, grad, grad / (x * math.log(10)))


class Erfc(Op):
    """y = erfc x = 1 - erf x, without the cancellation (erfc 10 ≈ 2e-45, not 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _special("erfc", ctx.xp, x, _erfc_without_scipy).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # dy/dx = -2/√π e^(-x²)
        (x,) = ctx.saved_tensors
        return grad * -_TWO_OVER_SQRT_PI * ctx.xp.exp(-(x * x))


class Erfinv(Op):
    """y = erf⁻¹ x on [-1, 1] (±inf at ±1, NaN outside)"""

    @staticmethod
    def forward(ctx, x):
        y = _special("erfinv", ctx.xp, x, _erfinv_without_scipy).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):  # dy/dx = √π/2 e^(y²), inf at ±1
        (y,) = ctx.saved_tensors
        xp = ctx.xp
        return zero_where_no_gradient(xp, grad, grad * (1 / _TWO_OVER_SQRT_PI) * xp.exp(y * y))


class NanToNum(Op):
    """y = x with NaN, +inf and -inf replaced; the gradient passes where x is finite."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(xp.isfinite(x).astype(x.dtype))
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (finite,) = ctx.saved_tensors
        return grad * finite


@op("exp2", numpy=("exp2",))
def exp2(input: Tensor) -> Tensor:
    """2 to the power of each element (integers compute in the default float dtype)."""
    return Exp2.apply(as_floating(input))


@op("log2", numpy=("log2",))
def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm; -inf at 0 and NaN below, without warnings."""
    return Log2.apply(as_floating(input))


@op("log10", numpy=("log10",))
def log10(input: Tensor) -> Tensor:
    """Base-10 logarithm; -inf at 0 and NaN below, without warnings."""
    return Log10.apply(as_floating(input))


@op("erfc")
def erfc(input: Tensor) -> Tensor:
    """The complementary error function ``1 - erf(input)``, accurate where erf is near 1."""
    return Erfc.apply(as_floating(input))


@op("erfinv")
def erfinv(input: Tensor) -> Tensor:
    """The inverse error function: ``erf(erfinv(x)) = x`` on ``[-1, 1]``; ±inf at ±1 and NaN
    outside, as in PyTorch. The gradient is ``√π/2 · exp(erfinv(x)²)``."""
    return Erfinv.apply(as_floating(input))


@op("nan_to_num", numpy=("nan_to_num",))
def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Replace NaN by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (by default the largest
    and the lowest finite value of the dtype; a value beyond the dtype's range becomes ±inf, as
    PyTorch casts it). The gradient passes where ``input`` is finite and is 0 at the replaced
    elements. Integer and bool tensors are returned unchanged (a copy)."""
    data = input._data
    if data.dtype.kind != "f":
        return Tensor(data.copy())
    largest = float(array_module(data).finfo(data.dtype).max)
    return NanToNum.apply(
        input,
        nan=_replacement(0.0 if nan is None else nan, largest, "nan"),
        posinf=_replacement(posinf, largest, "posinf"),
        neginf=_replacement(neginf, largest, "neginf"),
    )


def _replacement(value, largest: float, name: str):
    """A replacement value, ±inf beyond ``largest`` (NumPy would warn of the overflow)."""
    if value is None:
        return None
    if not is_scalar(value):
        raise TypeError(f"nan_to_num: {name} must be a number or None, got {type(value).__name__}")
    value = float(value)
    if math.isfinite(value) and abs(value) > largest:
        return math.copysign(math.inf, value)
    return value
