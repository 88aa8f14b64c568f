"""``Adagrad``: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

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
                self._init_state(param._data, self.state[param], group)

    @staticmethod
    def _init_state(param, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = new_step_counter()
        state["sum"] = Tensor(np.full_like(param, group["initial_accumulator_value"]))

    def _update(self, param, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:  # a parameter added by add_param_group after construction
            self._init_state(param, state, group)
        state["step"]._data += 1
        step = float(state["step"]._data)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])

        total = state["sum"]._data
        total += grad * grad
        deviation = np.sqrt(total)
        deviation += group["eps"]
        update = grad / deviation
        update *= -clr
        param += update
