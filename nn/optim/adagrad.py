"""``Adagrad``: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.optim.optimizer import Optimizer, check_non_negative, new_step_counter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p`` and ``t`` the
    step number::

        s = s + g * g                     (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State per parameter (created at construction, as in PyTorch): ``step`` and ``sum``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("lr_decay value", lr_decay)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("initial_accumulator_value value", initial_accumulator_value)
        check_non_negative("epsilon value", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, self.state[param], group)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        # Called at construction (PyTorch's layout), and on first use for a parameter added
        # later by add_param_group.
        state["step"] = new_step_counter()
        state["sum"] = tensorgrad.full_like(param, group["initial_accumulator_value"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for xp, param, grad, state in self._params_with_grad(group):
            counter = state["step"].numpy()
            counter += 1
            step = float(counter)
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * param
            clr = lr / (1 + (step - 1) * lr_decay)

            total = state["sum"].numpy()
            total += grad * grad
            deviation = xp.sqrt(total)
            deviation += eps
            update = grad / deviation
            update *= -clr
            param += update
