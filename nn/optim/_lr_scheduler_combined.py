"""Schedulers that drive other schedulers: ``SequentialLR`` and ``ChainedScheduler``.

Public through ``tensorgrad.optim.lr_scheduler``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

import tensorgrad
from tensorgrad.optim._lr_scheduler_base import LRScheduler, check_schedulers
from tensorgrad.optim.optimizer import Optimizer

__all__ = ["SequentialLR", "ChainedScheduler"]


def _state_with_schedulers(scheduler) -> dict[str, Any]:
    """The attributes but the optimizer, with each driven scheduler's own state dict."""
    state = {
        key: value
        for key, value in scheduler.__dict__.items()
        if key not in ("optimizer", "_schedulers")
    }
    state["_schedulers"] = [driven.state_dict() for driven in scheduler._schedulers]
    return state


def _load_state_with_schedulers(scheduler, state_dict: dict[str, Any]) -> None:
    state_dict = dict(state_dict)
    saved = state_dict.pop("_schedulers")
    scheduler.__dict__.update(state_dict)
    for driven, driven_state in zip(scheduler._schedulers, saved, strict=True):
        driven.load_state_dict(driven_state)


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``, and so on.

    Each scheduler starts from epoch 0 at its milestone (its closed form at epoch 0, where it
    has one), from the lr the previous one left. Typical: ``LinearLR`` warm-up then
    ``CosineAnnealingLR``.

    Args:
        schedulers: the schedulers, all of ``optimizer`` (their construction's step is undone).
        milestones: the epochs at which to switch, one fewer than the schedulers.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{type(self).__name__} expects at least one scheduler, but got no scheduler."
            )
        check_schedulers(type(self).__name__, schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer

        # back to the initial lrs, and undo the step each scheduler made when constructed
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        index = bisect_right(self._milestones, 0)
        self._schedulers[index]._initial_step()
        self._last_lr = schedulers[index].get_last_lr()

    def recursive_undo(self, sched=None) -> None:
        """Step back ``last_epoch`` of every scheduler driven here (recursively)."""
        scheduler = self if sched is None else sched
        if hasattr(scheduler, "_schedulers"):
            for driven in scheduler._schedulers:
                self.recursive_undo(driven)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    @tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
    def step(self) -> None:  # type: ignore[override]
        """Advance the scheduler of the current epoch (restarting it at its milestone)."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Attributes but the optimizer, with each scheduler's state dict in ``_schedulers``."""
        return _state_with_schedulers(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes and each scheduler's state."""
        _load_state_with_schedulers(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Step several chainable schedulers together: their lr changes compose (multiply).

    Args:
        schedulers: the schedulers, all of one optimizer.
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{type(self).__name__} expects at least one scheduler to be chained, but got "
                f"no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        check_schedulers(type(self).__name__, schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    @tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()

    def state_dict(self) -> dict[str, Any]:
        """Attributes but the optimizer, with each scheduler's state dict in ``_schedulers``."""
        return _state_with_schedulers(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes and each scheduler's state."""
        _load_state_with_schedulers(self, state_dict)
