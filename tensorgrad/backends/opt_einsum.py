"""``tensorgrad.backends.opt_einsum``: PyTorch's switches for the opt_einsum package.

tensorgrad never uses that package: ``einsum`` always picks a contraction order with NumPy's
own greedy path search, whatever is set here. So the answers are those of PyTorch without
opt_einsum installed: ``is_available()`` is False, ``enabled`` False and ``strategy`` None,
plain attributes that may be set (as there) and that nothing reads.
"""

from __future__ import annotations

__all__ = ["is_available", "get_opt_einsum", "enabled"]  # and ``strategy`` (None: no page)

enabled = False
strategy = None


def is_available() -> bool:
    """False: tensorgrad does not use the opt_einsum package."""
    return False


def get_opt_einsum() -> None:
    """None: the opt_einsum package is not used."""
    return None
