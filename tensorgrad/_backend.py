"""The array module behind tensors.

Ops never import NumPy for their math: they ask for the module of their inputs
(``ctx.xp`` in an op), so a CuPy-backed device is an addition here, not a rewrite of every op.
"""

from __future__ import annotations

import numpy

ndarray = numpy.ndarray
default_module = numpy


def array_module(array):
    """The array module (``numpy``, later ``cupy``) that owns ``array``."""
    if type(array) is ndarray:
        return numpy
    module_name = type(array).__module__.partition(".")[0]
    if module_name == "numpy":
        return numpy
    raise TypeError(f"unsupported array type {type(array).__name__}")


def as_array(value):
    """``value`` as an array: arrays pass through, NumPy scalars (0-d results) are wrapped."""
    if type(value) is ndarray:
        return value
    return array_module(value).asarray(value)
