"""Property-based gradient testing, for your own ops and models as much as for ours.

* :func:`assert_gradients_close`: analytic gradients vs float64 central differences, plus shape,
  mutation and aliasing checks (also for hand-written backward functions, ``vjp=``);
* :func:`assert_second_gradients_close`: the same for second derivatives;
* :func:`assert_matches_torch`: values and gradients against PyTorch (skips without it);
* :mod:`tensorgrad.testing.strategies`: hypothesis strategies for tensors, shapes, dims,
  broadcasting, matmul operands and input domains;
* :mod:`tensorgrad.testing.pytest_plugin`: the ``dev`` and ``ci`` hypothesis profiles.

hypothesis is imported only when ``strategies`` (or the plugin) is first used.
"""

from __future__ import annotations

import importlib

from .gradients import assert_gradients_close, assert_second_gradients_close
from .oracle import assert_matches_torch

__all__ = [
    "assert_gradients_close",
    "assert_second_gradients_close",
    "assert_matches_torch",
    "strategies",
]


def __getattr__(name: str):
    # ``tensorgrad.testing.strategies`` loads hypothesis: only on first use.
    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
