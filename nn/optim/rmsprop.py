"""``RMSprop``: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

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

    def _update(self, param, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = new_step_counter()
            state["square_avg"] = Tensor(np.zeros_like(param))
            if momentum > 0:
                state["momentum_buffer"] = Tensor(np.zeros_like(param))
            if group["centered"]:
                state["grad_avg"] = Tensor(np.zeros_like(param))
        if group["maximize"]:
            grad = -grad
        state["step"]._data += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param

        square_avg = state["square_avg"]._data
        square_avg *= alpha
        square = (1 - alpha) * grad
        square *= grad
        square_avg += square
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            lerp_(grad_avg, grad, 1 - alpha)
            average = square_avg - grad_avg * grad_avg
            np.sqrt(average, out=average)
        else:
            average = np.sqrt(square_avg)
        average += group["eps"]

        if momentum > 0:
            buffer = state["momentum_buffer"]._data
            buffer *= momentum
            buffer += grad / average
            param -= group["lr"] * buffer
        else:
            update = grad / average
            update *= -group["lr"]
            param += update
