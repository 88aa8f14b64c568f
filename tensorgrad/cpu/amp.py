"""``tensorgrad.cpu.amp``: PyTorch's deprecated CPU spellings of ``tensorgrad.amp``.

Each warns as PyTorch does (a FutureWarning naming the new spelling), then is exactly
``amp.autocast("cpu", …)`` or ``amp.GradScaler("cpu", …)``.
"""

from __future__ import annotations

from .. import amp
from .._dtypes import bfloat16

__all__ = ["GradScaler", "autocast"]


class autocast(amp.OldSpellingAutocast):  # noqa: N801 - PyTorch's name
    """``tensorgrad.amp.autocast("cpu", …)`` under its old name (which warns); ``dtype``
    defaults to bfloat16."""

    old_device, old_dtype = "cpu", bfloat16


class GradScaler(amp.OldSpellingGradScaler):
    """``tensorgrad.amp.GradScaler("cpu", …)`` under its old name (which warns)."""

    old_device = "cpu"
