"""``SGD``: stochastic gradient descent with momentum, Nesterov, weight decay and maximize."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorgrad import Tensor
from tensorgrad.optim.optimizer import Optimizer, check_non_negative

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``::

        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        g = g + momentum * b if nesterov else b   (when momentum != 0)
        p = p - lr * g

    State per parameter: ``momentum_buffer`` (only when ``momentum != 0``).
    """

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
    ) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
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
        }
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = Tensor(grad.copy())
            else:
                buffer._data *= momentum
                buffer._data += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer._data if group["nesterov"] else buffer._data
        param -= group["lr"] * grad
