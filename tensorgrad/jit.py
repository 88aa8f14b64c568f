"""``tensorgrad.jit``: TorchScript's decorators, and honest refusals of TorchScript itself.

Models written for PyTorch mark methods with ``@torch.jit.ignore``, ``@torch.jit.unused`` or
``@torch.jit.export`` and branch on ``torch.jit.is_scripting()``; those are plain Python
here: the decorators return what they decorate and nothing is ever being scripted or traced.

*Decision:* ``script`` and ``trace`` raise NotImplementedError. Returning the module
unchanged would claim a TorchScript program that does not exist (``.save``, ``.graph`` and
``.code`` would all be missing); ``tensorgrad.compile`` is the way to make a step faster.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = [
    "script",
    "trace",
    "ignore",
    "unused",
    "export",
    "is_scripting",
    "is_tracing",
    "annotate",
]


def _no_torchscript(op: str):
    raise NotImplementedError(
        f"jit.{op}: tensorgrad has no TorchScript; call the model or function directly (it "
        f"runs eagerly), or use tensorgrad.compile to speed up a training step"
    )


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Raises NotImplementedError: tensorgrad cannot compile to TorchScript."""
    _no_torchscript("script")


def trace(func, example_inputs=None, *args, **kwargs):
    """Raises NotImplementedError: tensorgrad cannot record a TorchScript trace."""
    _no_torchscript("trace")


def ignore(drop: Any = False, **kwargs):
    """``@ignore`` or ``@ignore(drop=...)``: leaves the function as it is (there is no
    compiler to hide it from). ``drop=True`` warns, as in PyTorch, to use ``unused``."""
    if callable(drop):  # used bare: @ignore
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(
            f"Argument to @tensorgrad.jit.ignore must be a bool or a function but got {drop}"
        )
    if drop or kwargs.get("drop_on_export", False):
        spelling = "True" if drop else "drop_on_export=True"
        warnings.warn(
            f"ignore({spelling}) has been deprecated. TorchScript will now drop the function "
            f"call on compilation. Use tensorgrad.jit.unused now.",
            FutureWarning,
            stacklevel=2,
        )
    return lambda function: function


def unused(fn):
    """``@unused``: leaves the function (or property) as it is."""
    return fn


def export(fn):
    """``@export``: leaves the method as it is (every method is callable already)."""
    return fn


def is_scripting() -> bool:
    """Always False: code here is never being compiled by TorchScript."""
    return False


def is_tracing() -> bool:
    """Always False: code here is never being traced by TorchScript."""
    return False


def annotate(the_type, the_value):
    """``the_value`` itself: a type hint for TorchScript, meaningless here."""
    return the_value
