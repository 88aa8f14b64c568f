"""``Adadelta``: per-coordinate step sizes from running averages of gradients and updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorgrad import Tensor
from tensorgrad.nn.utils import array_of
from tensorgrad.optim.optimizer import (
    Optimizer,
    average_square_,
    check_hyperparameters,
    check_kernel_options,
    new_state,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p``::

        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    State per parameter: ``step``, ``square_avg`` (v) and ``acc_delta`` (u).

    ``foreach`` and ``capturable`` choose PyTorch's kernel: accepted, kept in the groups,
    ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_hyperparameters(eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
        check_kernel_options("Adadelta", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        new_state(state, param, "square_avg", "acc_delta")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for xp, param, grad, _, state in self._grads_to_apply(group):
            square_avg, acc_delta = array_of(state["square_avg"]), array_of(state["acc_delta"])
            average_square_(square_avg, grad, rho)
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)
            delta /= std
            delta *= grad
            average_square_(acc_delta, delta, rho)
            delta *= -lr
            param += delta
