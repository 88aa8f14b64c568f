"""tensorgrad.optim: optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``) and
learning-rate schedulers (``tensorgrad.optim.lr_scheduler``), with PyTorch's update rules."""

if __name__ != "tensorgrad.optim":
    raise ImportError(
        "nn/optim is the package tensorgrad.optim: import it as `import tensorgrad.optim`"
    )

from tensorgrad.optim import lr_scheduler
from tensorgrad.optim.adagrad import Adagrad
from tensorgrad.optim.adam import Adam, AdamW
from tensorgrad.optim.optimizer import Optimizer
from tensorgrad.optim.rmsprop import RMSprop
from tensorgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
