"""``Adagrad``: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn.utils import array_of
from tensorgrad.optim.optimizer import (
    Optimizer,
    check_hyperparameters,
    check_kernel_options,
    new_state,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p`` and ``t`` the
    step number::

        s = s + g * g                     (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State per parameter (created at construction, as in PyTorch): ``step`` and ``sum``.

    ``foreach`` and ``fused`` choose PyTorch's kernel: accepted, kept in the groups, ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyperparameters(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        check_kernel_options("Adagrad", foreach=foreach, fused=fused, differentiable=differentiable)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, self.state[param], group)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        # Called at construction (PyTorch's layout), and on first use for a parameter added
        # later by add_param_group.
        new_state(state, param)
        state["sum"] = tensorgrad.full_like(param, group["initial_accumulator_value"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for xp, param, grad, step, state in self._grads_to_apply(group):
            clr = lr / (1 + (step - 1) * lr_decay)

            total = array_of(state["sum"])
            total += grad * grad
            deviation = xp.sqrt(total)
            deviation += eps
            update = grad / deviation
            update *= -clr
            param += update
