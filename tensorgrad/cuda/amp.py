"""``tensorgrad.cuda.amp``: PyTorch's deprecated CUDA spellings of ``tensorgrad.amp``.

Both warn as PyTorch does (a FutureWarning), then behave as ``amp.GradScaler("cuda", …)`` and
``amp.autocast("cuda", …)`` do: on a GPU they work; without one they warn that CUDA is not
available and disable themselves, so nanoGPT's ``GradScaler(enabled=(dtype == 'float16'))``
passes through.
"""

from __future__ import annotations

from .. import amp
from .._dtypes import float16

__all__ = ["GradScaler", "autocast"]


class autocast(amp.OldSpellingAutocast):  # noqa: N801 - PyTorch's name
    """``tensorgrad.amp.autocast("cuda", …)`` under its old name (which warns); ``dtype``
    defaults to float16."""

    old_device, old_dtype = "cuda", float16


class GradScaler(amp.OldSpellingGradScaler):
    """``tensorgrad.amp.GradScaler("cuda", …)`` under its old name (which warns)."""

    old_device = "cuda"
