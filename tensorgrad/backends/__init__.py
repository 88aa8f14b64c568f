"""``tensorgrad.backends``: PyTorch's backend switches, for a CPU-only NumPy library.

``backends.mps.is_available()`` is False; ``backends.cudnn.benchmark = True``,
``backends.cudnn.deterministic``, ``backends.cuda.matmul.allow_tf32 = True`` and the like are
accepted and have no effect (tensorgrad's CPU results do not depend on them);
``backends.opt_einsum`` answers as PyTorch without the opt_einsum package.

The global switches PyTorch keeps on ``torch`` itself live here and are exported there:
``set_float32_matmul_precision`` (tied to ``cuda.matmul.fp32_precision``) and
``use_deterministic_algorithms`` (tensorgrad's ops are deterministic whatever it says).
"""

import warnings

from . import cuda, cudnn, mps, opt_einsum

__all__ = [
    "cuda",
    "cudnn",
    "mps",
    "opt_einsum",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
]

_MATMUL_PRECISIONS = ("highest", "high", "medium")
_state = {"reduced_precision": "high", "deterministic": False, "warn_only": False}


def set_float32_matmul_precision(precision: str) -> None:
    """``"highest"`` (full float32), ``"high"`` or ``"medium"`` (TF32 allowed, which sets
    ``backends.cuda.matmul.allow_tf32``). Remembered; float32 products on the CPU are exact
    float32 whatever it says. An unknown name warns and changes nothing, as in PyTorch."""
    if not isinstance(precision, str):
        raise RuntimeError(
            f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}"
        )
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(
            f"set_float32_matmul_precision: {precision} is not one of 'highest', 'high', or "
            f"'medium'; the call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    cuda.matmul.fp32_precision = "ieee" if precision == "highest" else "tf32"
    if precision != "highest":
        _state["reduced_precision"] = precision


def get_float32_matmul_precision() -> str:
    """``"highest"`` unless TF32 was allowed (by ``set_float32_matmul_precision`` or
    ``backends.cuda.matmul.allow_tf32``), then ``"high"`` or ``"medium"``."""
    return _state["reduced_precision"] if cuda.matmul.allow_tf32 else "highest"


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Remember PyTorch's determinism switch; tensorgrad's ops give the same result every run
    anyway, so nothing raises or warns for a nondeterministic op."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(
                f"use_deterministic_algorithms: argument '{name}' must be bool, not "
                f"{type(value).__name__}"
            )
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """What the last ``use_deterministic_algorithms`` set (False at first)."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` of the last ``use_deterministic_algorithms`` (False at first)."""
    return _state["warn_only"]
