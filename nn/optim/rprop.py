"""``Rprop``: resilient backpropagation, steps of adaptive size along the gradient's sign."""

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

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun), PyTorch's update rule (full-batch training).

    With ``g`` the gradient (negated if ``maximize``), ``g_prev`` the previous step's
    (zeroed where the sign flipped) and ``etas = (etaminus, etaplus)``::

        s = s * etaplus   where g * g_prev > 0
        s = s * etaminus  where g * g_prev < 0  (and g = 0 there: no move, no flip next time)
        s = clamp(s, *step_sizes)
        p = p - sign(g) * s

    State per parameter: ``step``, ``prev`` (g_prev) and ``step_size`` (s, starts at lr).

    ``foreach`` and ``capturable`` choose PyTorch's kernel: accepted, kept in the groups,
    ignored.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
        check_kernel_options("Rprop", differentiable=differentiable)

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        new_state(state, param, "prev")
        state["step_size"] = tensorgrad.full_like(param, group["lr"])

    def _update_group(self, group: dict[str, Any]) -> None:
        (etaminus, etaplus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
        for xp, param, grad, _, state in self._grads_to_apply(group):
            prev, step_size = array_of(state["prev"]), array_of(state["step_size"])
            factor = xp.sign(grad * prev)
            flipped = factor < 0
            factor[factor > 0] = etaplus
            factor[flipped] = etaminus
            factor[factor == 0] = 1
            step_size *= factor
            xp.clip(step_size, step_size_min, step_size_max, out=step_size)
            grad = grad.copy()
            grad[flipped] = 0
            param -= xp.sign(grad) * step_size
            prev[...] = grad
