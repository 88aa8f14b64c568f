"""``tensorgrad.distributions``: PyTorch's ``torch.distributions`` for what tensorgrad has.

``Normal``, ``Uniform`` (with ``rsample``), ``Bernoulli``, ``Categorical``; ``log_prob``,
``entropy``, ``sample``, ``mean``/``mode``/``variance``/``stddev``, ``expand``,
``kl_divergence``; parameters and values validated as in PyTorch (ValueError). Samples come
from tensorgrad's generator: ``tensorgrad.manual_seed`` makes them reproducible, though not
the same numbers as PyTorch's.

    m = Categorical(probs)          # reinforce.py's policy gradient
    action = m.sample()
    loss = -m.log_prob(action) * reward
"""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Normal",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]


def __getattr__(name: str):
    # A torch.distributions name tensorgrad lacks says so, instead of a bare AttributeError.
    if name.startswith("_"):
        raise AttributeError(f"module 'tensorgrad.distributions' has no attribute {name!r}")
    raise AttributeError(
        f"tensorgrad.distributions has no {name!r} (PyTorch's torch.distributions.{name}, if "
        f"it exists, is not implemented yet)",
        name=name,
    )
