"""``RMSprop``: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn.utils import array_of
from tensorgrad.optim.optimizer import (
    Optimizer,
    average_square_,
    check_hyperparameters,
    check_kernel_options,
    lerp_,
    new_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``::

        v = alpha * v + (1 - alpha) * g * g
        a = lerp(a, g, 1 - alpha)                   (centered)
        d = sqrt(v - a * a) + eps  if centered else  sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b   (momentum > 0)
        p = p - lr * g / d                          (otherwise)

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered).

    ``capturable`` and ``foreach`` choose PyTorch's kernel: accepted, kept in the groups,
    ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(
            lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
        check_kernel_options("RMSprop", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        new_state(state, param, "square_avg")
        if group["momentum"] > 0:
            state["momentum_buffer"] = tensorgrad.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = tensorgrad.zeros_like(param)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        centered = group["centered"]
        for xp, param, grad, _, state in self._grads_to_apply(group):
            square_avg = array_of(state["square_avg"])
            average_square_(square_avg, grad, alpha)
            if centered:
                grad_avg = array_of(state["grad_avg"])
                lerp_(grad_avg, grad, 1 - alpha)
                average = square_avg - grad_avg * grad_avg
                xp.sqrt(average, out=average)
            else:
                average = xp.sqrt(square_avg)
            average += eps

            if momentum > 0:
                buffer = array_of(state["momentum_buffer"])
                buffer *= momentum
                buffer += grad / average
                param -= lr * buffer
            else:
                update = grad / average
                update *= -lr
                param += update
