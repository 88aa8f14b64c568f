"""``Adamax``: Adam with the infinity norm of past gradients in place of their RMS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorgrad import Tensor
from tensorgrad.nn.utils import array_of
from tensorgrad.optim.optimizer import (
    Optimizer,
    check_hyperparameters,
    check_kernel_options,
    lerp_,
    new_state,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) plus ``weight_decay * p`` and ``t`` the
    step number::

        m = lerp(m, g, 1 - beta1)
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    State per parameter: ``step``, ``exp_avg`` (m) and ``exp_inf`` (u).

    ``foreach`` and ``capturable`` choose PyTorch's kernel: accepted, kept in the groups,
    ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
        check_kernel_options("Adamax", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        new_state(state, param, "exp_avg", "exp_inf")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for xp, param, grad, step, state in self._grads_to_apply(group):
            exp_avg, exp_inf = array_of(state["exp_avg"]), array_of(state["exp_inf"])
            lerp_(exp_avg, grad, 1 - beta1)
            exp_inf *= beta2
            norm = xp.abs(grad)
            norm += eps
            xp.maximum(exp_inf, norm, out=exp_inf)
            step_size = lr / (1 - beta1**step)
            update = exp_avg * -step_size
            update /= exp_inf
            param += update
