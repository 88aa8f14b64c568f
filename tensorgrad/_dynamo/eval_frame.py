"""``tensorgrad._dynamo.eval_frame.OptimizedModule``: where PyTorch scripts look for the class
of compiled modules (``isinstance(model, OptimizedModule)`` before ``model._orig_mod``)."""

from __future__ import annotations

from ..compiler import OptimizedModule

__all__ = ["OptimizedModule"]
