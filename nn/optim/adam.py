"""``Adam`` and ``AdamW``: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.optim.optimizer import Optimizer, check_non_negative, lerp_, new_step_counter

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``) and ``t`` the step number::

        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay) if decoupled)
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)               (amsgrad; v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State per parameter: ``step`` (a 0-d float Tensor), ``exp_avg``, ``exp_avg_sq`` and,
    with ``amsgrad``, ``max_exp_avg_sq``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
        check_non_negative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = new_step_counter()
        state["exp_avg"] = tensorgrad.zeros_like(param)
        state["exp_avg_sq"] = tensorgrad.zeros_like(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = tensorgrad.zeros_like(param)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, weight_decay, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
        eps, amsgrad, maximize = group["eps"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for xp, param, grad, state in self._params_with_grad(group):
            if maximize:
                grad = -grad
            counter = state["step"].numpy()
            counter += 1
            step = float(counter)
            if weight_decay != 0:
                if decoupled:
                    param *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * param

            exp_avg, exp_avg_sq = state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()
            lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            square = (1 - beta2) * grad
            square *= grad
            exp_avg_sq += square

            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            if amsgrad:
                max_exp_avg_sq = state["max_exp_avg_sq"].numpy()
                xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                exp_avg_sq = max_exp_avg_sq
            denominator = xp.sqrt(exp_avg_sq)
            denominator /= bias_correction2_sqrt
            denominator += eps
            update = exp_avg / denominator
            update *= -step_size
            param += update


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``.

    Same arguments as :class:`Adam`, with ``weight_decay`` defaulting to ``1e-2``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
