"""The differentiable operations. Each op's forward and backward live together in one class;
the functions here are the public entry points (also attached as Tensor methods)."""

from .arithmetic import *  # noqa: F403
from .comparison import *  # noqa: F403
from .indexing import *  # noqa: F403
from .inplace import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reduction import *  # noqa: F403
from .shape import *  # noqa: F403
from .unary import *  # noqa: F403
