"""``tensorgrad.cpu.amp``: PyTorch's deprecated CPU spellings of ``tensorgrad.amp``.

Each warns as PyTorch does (a FutureWarning naming the new spelling), then is exactly
``amp.autocast("cpu", …)`` or ``amp.GradScaler("cpu", …)``.
"""

from __future__ import annotations

import warnings

from .. import amp
from .._dtypes import bfloat16

__all__ = ["GradScaler", "autocast"]


def _warn_deprecated(name: str) -> None:
    warnings.warn(
        f"`tensorgrad.cpu.amp.{name}(args...)` is deprecated. Please use "
        f"`tensorgrad.amp.{name}('cpu', args...)` instead.",
        FutureWarning,
        stacklevel=3,  # the line that called the constructor
    )


class autocast(amp.autocast):  # noqa: N801 - PyTorch's name
    """``tensorgrad.amp.autocast("cpu", …)`` under its old name (which warns)."""

    def __init__(self, enabled: bool = True, dtype=bfloat16, cache_enabled: bool = True) -> None:
        _warn_deprecated("autocast")
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``tensorgrad.amp.GradScaler("cpu", …)`` under its old name (which warns)."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        _warn_deprecated("GradScaler")
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
