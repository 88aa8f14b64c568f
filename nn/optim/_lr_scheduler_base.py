"""``LRScheduler``, the base class of the learning-rate schedulers, and the helpers they share.

Public through ``tensorgrad.optim.lr_scheduler``; a module of its own so that the schedulers
can live in several files without an import cycle.
"""

from __future__ import annotations

import warnings
from typing import Any

import tensorgrad
from tensorgrad.optim.optimizer import Optimizer

__all__ = ["LRScheduler"]

EPOCH_DEPRECATION = (
    "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch): call "
    "`scheduler.step()` without it"
)


def check_optimizer(scheduler: str, optimizer) -> None:
    """PyTorch's TypeError for a scheduler given something other than an Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{scheduler}: {type(optimizer).__name__} is not an Optimizer")


def per_group(name: str, optimizer: Optimizer, value) -> list:
    """One value per parameter group: a list or tuple of that length, or one value repeated."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {groups}."
            )
        return list(value)
    return [value] * groups


def check_schedulers(kind: str, schedulers, optimizer: Optimizer) -> None:
    """PyTorch's checks of the schedulers that ``SequentialLR``/``ChainedScheduler`` drive."""
    for index, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{kind} at index {index} should have `optimizer` as its attribute.")
        if getattr(scheduler, "_steps_on_a_metric", False):
            raise ValueError(
                f"{kind} does not support `ReduceLROnPlateau` scheduler as it requires "
                f"additional kwargs to be specified when calling `step`, but got one at index "
                f"{index} in the given schedulers sequence."
            )
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{kind} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {index} has "
                f"{scheduler.optimizer}, which is different from {type(optimizer).__name__}."
            )


class LRScheduler:
    """Base class of the epoch-driven schedulers: subclasses implement :meth:`get_lr`.

    Args:
        optimizer: the optimizer whose ``group["lr"]`` values are set.
        last_epoch: the index of the last epoch; -1 (default) starts a new schedule and
            records each group's ``initial_lr``. Other values resume a schedule and need
            ``initial_lr`` in every group (as restored by ``optimizer.load_state_dict``).

    ``last_epoch`` counts ``step()`` calls exactly as in PyTorch: construction performs step 0
    (``last_epoch`` goes from -1 to 0 and the lr stays the optimizer's), and each ``step()``
    after ``optimizer.step()`` moves to the next epoch.
    """

    # Whether ``step`` takes a metric (ReduceLROnPlateau), which SequentialLR and
    # ChainedScheduler cannot give.
    _steps_on_a_metric = False
    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        check_optimizer(name, optimizer)
        self.optimizer = optimizer
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{name}: param 'initial_lr' is not specified in param_groups[{index}] "
                    f"when resuming a scheduler with last_epoch={last_epoch}; load the "
                    f"optimizer's state dict first, or start with last_epoch=-1"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and perform step 0 (``get_lr`` sees ``_is_initial``)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch ``last_epoch``, one per parameter group.

        Called by :meth:`step`; to read the current rates use :meth:`get_last_lr`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr()")

    def _warn_if_called_outside_step(self) -> None:
        # PyTorch's warning: a recursive get_lr() called by hand moves nothing but is wrong
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return self._last_lr

    @tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
    def step(self, epoch: int | None = None) -> None:
        """Move to the next epoch (call after ``optimizer.step()``) and set the new lrs.

        ``epoch`` (deprecated in PyTorch too) jumps to that epoch using the closed-form
        formula where the scheduler has one.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Set ``last_epoch`` (next, or ``epoch``) and each group's lr for it."""
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (PyTorch's layout)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes from :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
