"""``RAdam``: Adam with its adaptive step rectified while the second moment is unreliable."""

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
    lerp_,
    new_state,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al.), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``), ``t`` the step number,
    ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)``::

        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay) if decoupled)
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1^t)
        p = p - lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)   (rho_t > 5)
        p = p - lr * m_hat                                                (otherwise)

    where ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.

    State per parameter: ``step``, ``exp_avg`` and ``exp_avg_sq``.

    ``foreach`` and ``capturable`` choose PyTorch's kernel: accepted, kept in the groups,
    ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
        check_kernel_options("RAdam", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        new_state(state, param, "exp_avg", "exp_avg_sq")

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        rho_inf = 2 / (1 - beta2) - 1
        for xp, param, grad, step, state in self._grads_to_apply(group):
            exp_avg, exp_avg_sq = array_of(state["exp_avg"]), array_of(state["exp_avg_sq"])
            lerp_(exp_avg, grad, 1 - beta1)
            average_square_(exp_avg_sq, grad, beta2)

            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            update = exp_avg / bias_correction1
            update *= lr
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            if rho_t > 5.0:
                rectification = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
                adaptive_lr = xp.sqrt(exp_avg_sq)
                adaptive_lr += eps
                # PyTorch's `scalar / tensor` is `tensor.reciprocal() * scalar`
                xp.reciprocal(adaptive_lr, out=adaptive_lr)
                adaptive_lr *= bias_correction2**0.5
                update *= adaptive_lr
                update *= rectification
            param -= update
