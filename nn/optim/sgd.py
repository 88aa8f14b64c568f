"""``SGD``: stochastic gradient descent with momentum, Nesterov, weight decay and maximize."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorgrad import Tensor
from tensorgrad.nn.utils import array_of
from tensorgrad.optim.optimizer import Optimizer, check_hyperparameters, check_kernel_options

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``::

        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        g = g + momentum * b if nesterov else b   (when momentum != 0)
        p = p - lr * g

    State per parameter: ``momentum_buffer`` (only when ``momentum != 0``).

    ``foreach`` and ``fused`` choose PyTorch's kernel: accepted, kept in the groups, ignored.
    """

    _uses_array_module = False  # its update is array operators only

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyperparameters(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        check_kernel_options("SGD", foreach=foreach, fused=fused, differentiable=differentiable)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, momentum = group["lr"], group["momentum"]
        if momentum == 0 and group["weight_decay"] == 0 and not group["maximize"]:
            # Plain SGD (the defaults): p -= lr * g and nothing else, no state (as in
            # PyTorch). Written out: the shared loop's bookkeeping costs more than these two
            # NumPy calls on a small layer (a digits MLP's compiled step: 2.5 % of it).
            for tensor in group["params"]:
                grad = tensor._grad
                if grad is not None:
                    tensor._version_counter[0] += 1  # an in-place change, as in the shared loop
                    tensor._data -= lr * grad._data
            return
        dampening, nesterov = group["dampening"], group["nesterov"]
        for _, param, grad, _, state in self._grads_to_apply(group):
            if momentum != 0:
                buffer = state.get("momentum_buffer")
                if buffer is None:  # the first buffer is a copy of the gradient (PyTorch's)
                    state["momentum_buffer"] = Tensor(grad.copy())
                    buffer = grad
                else:
                    buffer = array_of(buffer)
                    buffer *= momentum
                    buffer += (1 - dampening) * grad
                grad = grad + momentum * buffer if nesterov else buffer
            param -= lr * grad
