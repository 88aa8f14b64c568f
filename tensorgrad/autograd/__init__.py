"""Automatic differentiation: the engine, ``grad``, custom ``Function``s, grad modes,
gradient checking, anomaly detection and ``autograd.functional``.

The engine layer (``engine``, ``function``, ``grad_mode``, ``anomaly``, ``graph``) never
imports the ops; ``functional`` and ``gradcheck`` are tools built on the ops that live here
under PyTorch's names.
"""

from . import (
    functional,
    graph,
)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .differentiate import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .variable import Variable

__all__ = [
    "Variable",
    "Function",
    "FunctionCtx",
    "backward",
    "grad",
    "functional",
    "graph",
    "gradcheck",
    "gradgradcheck",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "once_differentiable",
]
