"""``ASGD``: stochastic gradient descent with a decaying step and a running average of the
parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorgrad import Tensor
from tensorgrad.nn.utils import array_of
from tensorgrad.optim.optimizer import (
    Optimizer,
    check_hyperparameters,
    check_kernel_options,
    new_scalar_state,
    new_state,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p`` and ``t`` the
    step number::

        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)          (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t)^alpha
        mu = 1 / max(1, t - t0)

    The parameters follow SGD; ``ax`` is the average of the iterates since step ``t0``.
    State per parameter: ``step``, ``eta`` and ``mu`` (0-d, float32 under a float32 default
    dtype, as in PyTorch, where they are rounded to it) and ``ax``.

    ``foreach`` and ``capturable`` choose PyTorch's kernel: accepted, kept in the groups,
    ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
        check_kernel_options("ASGD", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        # Unlike the other optimizers' counters, ASGD's step, eta and mu live on the
        # parameter's device in PyTorch.
        new_state(state, param, "ax", eta=group["lr"], mu=1.0, device=param.device)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for _, param, grad, step, state in self._grads_to_apply(group):
            eta_array, mu_array = array_of(state["eta"]), array_of(state["mu"])
            eta, mu = float(eta_array), float(mu_array)
            param *= 1 - lambd * eta
            param += -eta * grad
            ax = array_of(state["ax"])
            if mu != 1:
                difference = param - ax
                difference *= mu
                ax += difference
            else:
                ax[...] = param

            # PyTorch makes each new value a default-dtype tensor, then copies it in: rounded
            # to float32 even into a float64 eta (as load_state_dict leaves it)
            eta_array[...] = new_scalar_state(lr / ((1 + lambd * lr * step) ** alpha)).item()
            mu_array[...] = new_scalar_state(1 / max(1, step - t0)).item()
