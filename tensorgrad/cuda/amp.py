"""``tensorgrad.cuda.amp``: PyTorch's deprecated CUDA spellings of ``tensorgrad.amp``.

Both warn as PyTorch does (a FutureWarning), then behave as ``amp.GradScaler("cuda", …)`` and
``amp.autocast("cuda", …)`` do without a GPU: they warn that CUDA is not available and
disable themselves. So nanoGPT's ``GradScaler(enabled=(dtype == 'float16'))`` passes through.
"""

from __future__ import annotations

from .. import amp
from .._dtypes import float16

__all__ = ["GradScaler", "autocast"]


class GradScaler(amp.GradScaler):
    """``tensorgrad.amp.GradScaler("cuda", …)``: disabled, since CUDA is not available."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        amp.warn_old_spelling("cuda", "GradScaler")
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )


class autocast(amp.autocast):  # noqa: N801 - PyTorch's name
    """``tensorgrad.amp.autocast("cuda", …)``: disabled, since CUDA is not available."""

    def __init__(self, enabled: bool = True, dtype=float16, cache_enabled: bool = True) -> None:
        amp.warn_old_spelling("cuda", "autocast")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
