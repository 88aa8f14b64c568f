"""The differentiable operations. Each op's forward and backward live together in one class;
the functions here are the public entry points (also attached as Tensor methods)."""

import warnings

# Like PyTorch, ops give no warnings for log(0), overflow in exp, 0/0…: the value (inf, NaN)
# says it. Scoped to tensorgrad's own modules, so NumPy code of the user still warns; and free,
# unlike numpy.errstate around every call. (Op.apply handles `-W error`, see function.py.)
warnings.filterwarnings(
    "ignore",
    message=r"(divide by zero|overflow|invalid value|underflow) encountered",
    category=RuntimeWarning,
    module=r"tensorgrad(\.|$)",
)

from . import _tensor_xp  # noqa: E402
from ._op import Op  # noqa: E402
from .activation import *  # noqa: E402, F403
from .arithmetic import *  # noqa: E402, F403
from .comparison import *  # noqa: E402, F403
from .indexing import *  # noqa: E402, F403
from .inplace import *  # noqa: E402, F403
from .joining import *  # noqa: E402, F403
from .linalg import *  # noqa: E402, F403
from .reduction import *  # noqa: E402, F403
from .selection import *  # noqa: E402, F403
from .shape import *  # noqa: E402, F403
from .unary import *  # noqa: E402, F403

Op.tensor_namespace = _tensor_xp  # what backward formulas call under create_graph
