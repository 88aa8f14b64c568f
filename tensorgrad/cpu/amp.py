"""``tensorgrad.cpu.amp``: PyTorch's deprecated CPU spellings of ``tensorgrad.amp``.

Each warns as PyTorch does (a FutureWarning naming the new spelling), then is exactly
``amp.autocast("cpu", …)`` or ``amp.GradScaler("cpu", …)``.
"""

from __future__ import annotations

from .. import amp
from .._dtypes import bfloat16

__all__ = ["GradScaler", "autocast"]


class autocast(amp.autocast):  # noqa: N801 - PyTorch's name
    """``tensorgrad.amp.autocast("cpu", …)`` under its old name (which warns)."""

    def __init__(self, enabled: bool = True, dtype=bfloat16, cache_enabled: bool = True) -> None:
        amp.warn_old_spelling("cpu", "autocast")
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
        amp.warn_old_spelling("cpu", "GradScaler")
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
