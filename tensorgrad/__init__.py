"""tensorgrad: reverse-mode automatic differentiation on NumPy, with PyTorch's API.

import tensorgrad as tg
x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 2).sum()
y.backward()
x.grad          # tensor([2., 4., 6.])
"""

import sys as _sys

from . import (
    _allocator,  # noqa: F401 - first: tunes malloc before the arrays exist (see it)
    _dynamo,  # noqa: F401 - scripts reach tensorgrad._dynamo.config without importing it
    _tensor_methods,  # noqa: F401 - installs the methods and operators on Tensor
    accelerator,
    amp,
    autograd,
    backends,
    compiler,
    cpu,
    cuda,
    distributed,
    jit,
    linalg,
    mps,
    onnx,
    random,
    testing,
    utils,
    version,
    viz,
)
from ._creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    linspace,
    ones,
    tensor,
    zeros,
)
from ._creation_like import (
    empty_like,
    full_like,
    ones_like,
    rand_like,
    randint_like,
    randn_like,
    zeros_like,
)
from ._creation_random import bernoulli, normal, rand, randint, randn, randperm
from ._device import device, get_default_device, set_default_device
from ._dtypes import (
    bfloat16,
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from ._memory_format import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from ._threads import (
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)
from .amp import autocast, get_autocast_dtype, is_autocast_enabled
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .backends import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .compiler import compile
from .ops import *  # noqa: F403
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .serialization import load, save
from .tensor import Tensor
from .utils.dlpack import from_dlpack
from .version import __version__


def is_tensor(obj) -> bool:
    """True if ``obj`` is a tensorgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()


# Last, because nn builds on everything above (PyTorch-style access as tensorgrad.nn), and
# distributions on nn.functional.
from . import distributions, nn, optim  # noqa: E402


def __getattr__(name: str):
    # A PyTorch name tensorgrad lacks says so, instead of a bare AttributeError.
    if name.startswith("_"):
        raise AttributeError(f"module 'tensorgrad' has no attribute {name!r}")
    raise AttributeError(
        f"tensorgrad has no {name!r} (PyTorch's torch.{name}, if it exists, is not "
        f"implemented yet)",
        name=name,
        obj=_sys.modules[__name__],  # so that tracebacks suggest a close name
    )
