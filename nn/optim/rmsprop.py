"""``RMSprop``: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.optim.optimizer import Optimizer, check_non_negative, lerp_, new_step_counter

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
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = new_step_counter()
        state["square_avg"] = tensorgrad.zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = tensorgrad.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = tensorgrad.zeros_like(param)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, centered = group["weight_decay"], group["centered"]
        maximize = group["maximize"]
        for xp, param, grad, state in self._params_with_grad(group):
            if maximize:
                grad = -grad
            counter = state["step"].numpy()
            counter += 1
            if weight_decay != 0:
                grad = grad + weight_decay * param

            square_avg = state["square_avg"].numpy()
            square_avg *= alpha
            square = (1 - alpha) * grad
            square *= grad
            square_avg += square
            if centered:
                grad_avg = state["grad_avg"].numpy()
                lerp_(grad_avg, grad, 1 - alpha)
                average = square_avg - grad_avg * grad_avg
                xp.sqrt(average, out=average)
            else:
                average = xp.sqrt(square_avg)
            average += eps

            if momentum > 0:
                buffer = state["momentum_buffer"].numpy()
                buffer *= momentum
                buffer += grad / average
                param -= lr * buffer
            else:
                update = grad / average
                update *= -lr
                param += update
