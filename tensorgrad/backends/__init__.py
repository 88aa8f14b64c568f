"""``tensorgrad.backends``: PyTorch's backend switches, for a CPU-only NumPy library.

``backends.mps.is_available()`` is False; ``backends.cudnn.benchmark = True``,
``backends.cudnn.deterministic``, ``backends.cuda.matmul.allow_tf32 = True`` and the like are
accepted and have no effect (tensorgrad's CPU results do not depend on them).
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
