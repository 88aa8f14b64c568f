"""tensorgrad.optim: optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``,
``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``, ``ASGD``, ``Rprop``, ``LBFGS``) and
learning-rate schedulers (``tensorgrad.optim.lr_scheduler``), with PyTorch's update rules."""

if __name__ != "tensorgrad.optim":
    raise ImportError(
        "nn/optim is the package tensorgrad.optim: import it as `import tensorgrad.optim`"
    )

from tensorgrad.optim import lr_scheduler
from tensorgrad.optim.adadelta import Adadelta
from tensorgrad.optim.adagrad import Adagrad
from tensorgrad.optim.adam import Adam, AdamW
from tensorgrad.optim.adamax import Adamax
from tensorgrad.optim.asgd import ASGD
from tensorgrad.optim.lbfgs import LBFGS
from tensorgrad.optim.nadam import NAdam
from tensorgrad.optim.optimizer import Optimizer
from tensorgrad.optim.radam import RAdam
from tensorgrad.optim.rmsprop import RMSprop
from tensorgrad.optim.rprop import Rprop
from tensorgrad.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "ASGD",
    "Rprop",
    "LBFGS",
    "lr_scheduler",
]
