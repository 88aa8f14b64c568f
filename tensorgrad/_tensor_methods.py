"""The one place that installs methods and operators on ``Tensor``.

``tensor.py`` imports nothing above it. Everything the registry collected (the ops' methods
and operators, ``to``, the ``new_*`` factories, NumPy's dispatch protocols) is attached here,
with ``backward`` and ``draw`` from the layers above the ops, so ``x.exp()`` is literally
``tensorgrad.exp(x)`` with no extra call in between.
"""

from __future__ import annotations

from . import _creation_like, _numpy_dispatch, _registry, ops  # noqa: F401 - they declare methods
from .autograd import grad_mode
from .autograd.differentiate import backward
from .tensor import Tensor
from .viz import draw_graph


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

    Args:
        gradient: d(loss)/d(self), same shape as ``self``; may be omitted for a scalar.
        retain_graph: keep the saved tensors so that backward can run again
            (defaults to ``create_graph``).
        create_graph: record the backward pass itself, for higher-order derivatives.
        inputs: accumulate only into these tensors.
    """
    backward(self, gradient, retain_graph, create_graph, inputs)


def _draw(self, **kwargs):
    """The graph that produced this tensor, as a ``graphviz.Digraph``.

    Same keyword arguments as :func:`tensorgrad.viz.draw_graph` (``params=model``, …).
    """
    return draw_graph(self, **kwargs)


def _install() -> None:
    _registry.grad_state = grad_mode.state  # what out= consults (the registry is below autograd)
    methods = dict(_registry.methods)
    methods["backward"] = _backward
    methods["draw"] = _draw
    for name, method in methods.items():
        if name in Tensor.__dict__:
            raise RuntimeError(f"Tensor.{name} is defined in tensor.py and declared as an op")
        setattr(Tensor, name, method)


_install()
