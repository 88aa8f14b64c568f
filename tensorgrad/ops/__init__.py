"""The differentiable operations. Each op's forward and backward live together in one class;
the public functions declare their names (``tensorgrad.X``, ``Tensor.X``, NumPy's) where they
are defined, with :func:`tensorgrad._registry.op`, and this package exports what was declared.

``tensorgrad.ops.fused`` holds the fused primitives ``tensorgrad.nn`` builds on (linear,
cross-entropy, BCE, softplus, erf); ``tensorgrad.ops.conversion.parse_to_arguments`` is the
``to(...)`` parser ``nn.Module.to`` shares with ``Tensor.to``.
"""

import warnings

# Like PyTorch, ops give no warnings for log(0), overflow in exp, 0/0…: the value (inf, NaN)
# says it. Scoped to tensorgrad's own modules, so NumPy code of the user still warns; and free,
# unlike numpy.errstate around every call. (Op.apply handles `-W error`, see _op.py.)
warnings.filterwarnings(
    "ignore",
    message=r"(divide by zero|overflow|invalid value|underflow) encountered",
    category=RuntimeWarning,
    module=r"tensorgrad(\.|$)",
)

from .. import _registry  # noqa: E402
from . import (  # noqa: E402 - every module that declares ops
    _tensor_xp,
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
from ._op import Op  # noqa: E402

Op.tensor_namespace = _tensor_xp  # what backward formulas call under create_graph

globals().update(_registry.functions)
__all__ = sorted(_registry.functions)
