"""The differentiable operations. Each op's forward and backward live together in one class;
the public functions declare their names (``tensorgrad.X``, ``Tensor.X``, NumPy's) where they
are defined, with :func:`tensorgrad._registry.op`, and this package exports what was declared.

``tensorgrad.ops.fused`` holds the fused primitives ``tensorgrad.nn`` builds on (linear,
cross-entropy, BCE, softplus, erf); ``tensorgrad.ops.conversion.parse_to_arguments`` is the
``to(...)`` parser ``nn.Module.to`` shares with ``Tensor.to``; ``array_module`` gives the
array module (NumPy, CuPy…) of an array, for the array maths of ``nn`` and ``optim``.
"""

from .. import _registry
from .._backend import array_module
from . import (  # every module that declares ops, and NumPy's warnings filter (see _warnings)
    _tensor_xp,
    _warnings,
    activation,
    arithmetic,
    comparison,
    conditional,
    conversion,
    convolution,
    decompositions,
    determinants,
    einsum,
    fused,
    index_update,
    indexing,
    inplace,
    joining,
    linalg_ops,
    matmul,
    pointwise_inplace,
    pooling,
    reduction,
    rounding,
    sampling,
    scan,
    scatter,
    selection,
    shape,
    special,
    statistics,
    structure,
    ternary,
    trigonometry,
    unary,
)
from ._op import Op

Op.tensor_namespace = _tensor_xp  # what backward formulas call under create_graph

globals().update(_registry.functions)
__all__ = sorted(_registry.functions)
