"""``set_num_threads``/``get_num_threads``: the BLAS thread pool behind NumPy's matrix products.

tensorgrad's parallelism is the BLAS library's (OpenBLAS, MKL…), so PyTorch's intra-op
thread count maps onto it through threadpoolctl. Without threadpoolctl, ``get_num_threads``
answers ``os.cpu_count()`` and ``set_num_threads`` checks its argument and does nothing.
Inter-op threads do not exist here: their setting is checked, remembered and read back.
"""

from __future__ import annotations

import numbers
import os

try:
    import threadpoolctl
except ImportError:  # an optional speed-up: everything works without it
    threadpoolctl = None

__all__ = [
    "set_num_threads",
    "get_num_threads",
    "set_num_interop_threads",
    "get_num_interop_threads",
]

_interop_threads = [os.cpu_count() or 1]


def _check_count(value, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RuntimeError(f"{op} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{op} expects a positive integer")
    return int(value)


def set_num_threads(int: int) -> None:  # noqa: A002 - PyTorch's parameter name
    """Use ``int`` threads in BLAS (matrix products, convolutions' im2col products).

    One thread is often fastest for small networks, or when other processes share the cores.
    """
    count = _check_count(int, "set_num_threads")
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(limits=count, user_api="blas")


def get_num_threads() -> int:
    """The number of BLAS threads (``os.cpu_count()`` if that cannot be read)."""
    if threadpoolctl is not None:
        libraries = threadpoolctl.threadpool_info()
        blas = [info["num_threads"] for info in libraries if info["user_api"] == "blas"]
        if blas:
            return max(blas)
    return os.cpu_count() or 1


def set_num_interop_threads(int: int) -> None:  # noqa: A002 - PyTorch's parameter name
    """Accepted and remembered: tensorgrad runs independent ops one after another."""
    _interop_threads[0] = _check_count(int, "set_num_interop_threads")


def get_num_interop_threads() -> int:
    """What ``set_num_interop_threads`` was given (``os.cpu_count()`` before that)."""
    return _interop_threads[0]
