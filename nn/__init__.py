"""tensorgrad.nn: neural-network modules, layers, losses and initialisation.

This folder is shipped as the subpackage ``tensorgrad.nn`` (see ``pyproject.toml``); it must
never be imported as a top-level ``nn`` package, which would load a second copy of every class
and break ``isinstance`` checks.
"""

if __name__ != "tensorgrad.nn":
    raise ImportError(
        "the nn/ folder is the package tensorgrad.nn: import it as `import tensorgrad.nn` "
        "(or `from tensorgrad import nn`), not as a top-level `nn`"
    )

import sys as _sys

from tensorgrad.nn import functional, init, parallel, utils

# Imported for its effect: defining it makes it the class tensorgrad.compile(module) builds.
from tensorgrad.nn._compiled_module import OptimizedModule as _OptimizedModule  # noqa: F401
from tensorgrad.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from tensorgrad.nn.attention import MultiheadAttention
from tensorgrad.nn.container import ModuleDict, ModuleList, Sequential
from tensorgrad.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from tensorgrad.nn.distance import CosineSimilarity, PairwiseDistance
from tensorgrad.nn.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from tensorgrad.nn.linear import Flatten, Identity, Linear
from tensorgrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from tensorgrad.nn.module import Module
from tensorgrad.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
)
from tensorgrad.nn.parallel import DataParallel
from tensorgrad.nn.parameter import Parameter
from tensorgrad.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from tensorgrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from tensorgrad.nn.sparse import Embedding
from tensorgrad.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from tensorgrad.nn.upsampling import (
    Fold,
    PixelShuffle,
    PixelUnshuffle,
    Unflatten,
    Unfold,
    Upsample,
)

__all__ = [
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Linear",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "Identity",
    "Flatten",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "Upsample",
    "PixelShuffle",
    "PixelUnshuffle",
    "Unflatten",
    "Unfold",
    "Fold",
    "Embedding",
    "RNNBase",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCellBase",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "LayerNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "LocalResponseNorm",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "CELU",
    "SELU",
    "ReLU6",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "Mish",
    "Softsign",
    "LogSigmoid",
    "Tanhshrink",
    "Threshold",
    "Hardshrink",
    "Softshrink",
    "PReLU",
    "RReLU",
    "GLU",
    "Softmin",
    "Softmax2d",
    "KLDivLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "CosineEmbeddingLoss",
    "MultiMarginLoss",
    "MultiLabelSoftMarginLoss",
    "TripletMarginLoss",
    "SoftMarginLoss",
    "CosineSimilarity",
    "PairwiseDistance",
    "MultiheadAttention",
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "functional",
    "init",
    "utils",
    "parallel",
    "DataParallel",
]


def __getattr__(name: str):
    # A PyTorch name tensorgrad.nn lacks says so, instead of a bare AttributeError.
    if name.startswith("_"):
        raise AttributeError(f"module 'tensorgrad.nn' has no attribute {name!r}")
    raise AttributeError(
        f"tensorgrad.nn has no {name!r} (PyTorch's torch.nn.{name}, if it exists, is not "
        f"implemented yet)",
        name=name,
        obj=_sys.modules[__name__],  # so that tracebacks suggest a close name
    )
