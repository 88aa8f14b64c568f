"""tensorgrad.nn.utils: gradient clipping, parameters as one vector, and ``rnn`` (packed and
padded batches of variable-length sequences); also the helpers ``nn`` and ``optim`` share
(``array_of``, ``array_module``, ``zero_grads``), which are not PyTorch's and stay out of
``__all__``."""

from tensorgrad.nn.utils import clip_grad, convert_parameters, rnn
from tensorgrad.nn.utils._shared import array_module, array_of, zero_grads
from tensorgrad.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from tensorgrad.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
    "rnn",
]
