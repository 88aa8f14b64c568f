"""``NAdam``: Adam with Nesterov momentum and a momentum schedule."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``), ``t`` the step number and
    ``mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2)``::

        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay) if decoupled)
        P = P * mu_t                        (mu_product, the running product of the mu's)
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P) * g / d - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / d

    State per parameter: ``step``, ``mu_product`` (0-d, float32 under a float32 default dtype,
    rounded at each step as in PyTorch), ``exp_avg`` and ``exp_avg_sq``.

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
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
        check_kernel_options("NAdam", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        new_state(state, param, "exp_avg", "exp_avg_sq", mu_product=1.0)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        momentum_decay = group["momentum_decay"]
        for xp, param, grad, step, state in self._grads_to_apply(group):
            bias_correction2 = 1 - beta2**step
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product_array = array_of(state["mu_product"])
            mu_product_array *= mu
            mu_product = float(mu_product_array)
            mu_product_next = mu_product * mu_next

            exp_avg, exp_avg_sq = array_of(state["exp_avg"]), array_of(state["exp_avg_sq"])
            lerp_(exp_avg, grad, 1 - beta1)
            average_square_(exp_avg_sq, grad, beta2)
            denominator = xp.sqrt(exp_avg_sq / bias_correction2)
            denominator += eps
            # two separate additions, as PyTorch's two addcdiv_ calls round
            update = grad * (-lr * (1.0 - mu) / (1.0 - mu_product))
            update /= denominator
            param += update
            update = exp_avg * ((-lr * mu_next) / (1.0 - mu_product_next))
            update /= denominator
            param += update
