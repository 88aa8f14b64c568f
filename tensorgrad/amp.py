"""``tensorgrad.amp``: PyTorch's mixed-precision API, so training scripts written for it run.

* :class:`GradScaler` is PyTorch's, number for number: ``GradScaler("cpu")`` scales the loss,
  unscales the gradients in ``step`` (skipping the step when one is inf/NaN) and grows or
  backs off the scale in ``update``, on the CPU and on CUDA (CuPy) alike. Without a GPU,
  ``GradScaler()`` (device ``"cuda"``) warns that CUDA is not available and disables itself,
  as PyTorch does; a disabled scaler passes everything through (``scale(loss)`` is ``loss``,
  ``step`` is ``optimizer.step()``).
* :class:`autocast` accepts PyTorch's arguments as a context manager and a decorator, and keeps
  ``is_autocast_enabled`` true inside the block. *Decision:* it casts nothing. PyTorch's CPU
  autocast runs matrix products in bfloat16 (which tensorgrad does not have) or float16; here
  every op keeps computing in its inputs' dtype, so results are float32 where PyTorch's would
  be bfloat16/float16 (more precise, never less). ``"cuda"`` without a GPU warns and disables
  itself, as in PyTorch.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from . import _dtypes
from ._backend import accelerator_available
from ._creation import full
from ._device import device
from ._dtypes import bfloat16, float16
from .autograd.grad_mode import no_grad
from .tensor import Tensor

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_available"]

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


def _gpu_missing(device_type: str) -> bool:
    """Whether ``device_type`` names a GPU this machine lacks (PyTorch then warns and disables
    autocast and the scaler): XPU always, CUDA without CuPy and a GPU."""
    return device_type == "xpu" or (device_type == "cuda" and not accelerator_available())


def _fresh_optimizer_state() -> dict[str, Any]:
    return {"stage": _READY, "found_inf": None}


class GradScaler:
    """Scales the loss so that small float16 gradients do not underflow, and undoes it.

    ``scaler.scale(loss).backward()``, then ``scaler.step(optimizer)`` (unscales the gradients,
    skips the step if one is inf/NaN) and ``scaler.update()`` (multiplies the scale by
    ``backoff_factor`` after a skipped step, by ``growth_factor`` after ``growth_interval``
    good ones). With ``enabled=False`` every method passes through.
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = enabled
        if enabled and device == "cuda" and _gpu_missing(device):
            warnings.warn(
                "GradScaler: CUDA is not available (no CuPy or no GPU), so this "
                "scaler is disabled and passes everything through; GradScaler('cpu') scales "
                "on the CPU",
                UserWarning,
                stacklevel=_caller_level(type(self), GradScaler),
            )
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # made by the first scale(), as in PyTorch
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: int | None = None
            self._per_optimizer_states = defaultdict(_fresh_optimizer_state)

    # ---------------------------------------------------------------- the training step
    def scale(self, outputs):
        """``outputs`` (a tensor, or nested lists/tuples/iterables of them) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._current_scale(outputs.device)
        if isinstance(outputs, Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _current_scale(self, where) -> Tensor:
        if self._scale is None:  # float32, on the device of the first scaled output
            self._scale = full((), float(self._init_scale), device=where)
            self._growth_tracker = self._init_growth_tracker
        return self._scale

    def _check_started(self, name: str) -> None:
        if self._scale is None:
            raise AssertionError(
                f"Attempted {name} but _scale is None.  This may indicate your script did not "
                f"use scaler.scale(loss or outputs) earlier in the iteration."
            )

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place, noting any inf/NaN.

        Optional: ``step`` does it. Call it before clipping gradients; once per step.
        """
        if not self._enabled:
            return
        self._check_started("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] == _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # The reciprocal in float64, rounded to float32 once (PyTorch's inv_scale).
        inv_scale = (1.0 / self._scale.double()).float()
        found_inf = None  # stays None when no parameter has a gradient (step then raises)
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    grad = param.grad
                    if grad is None:
                        continue
                    if grad.dtype == float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    if not bool(grad.isfinite().all()):
                        found_inf = 1.0
                    elif found_inf is None:
                        found_inf = 0.0
                    grad.mul_(inv_scale)
        state["found_inf"] = found_inf
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``unscale_`` (unless done) and ``optimizer.step(*args, **kwargs)`` unless a gradient
        is inf/NaN; returns what ``optimizer.step`` returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_started("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = optimizer.step(*args, **kwargs) if not state["found_inf"] else None
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Adjust the scale after this iteration's steps, or set it to ``new_scale``."""
        if not self._enabled:
            return
        self._check_started("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(
                        "new_scale should be a float or a 1-element Tensor with "
                        "requires_grad=False."
                    )
                new_scale = new_scale.item()
            self._scale.fill_(new_scale)
        else:
            found = [
                state["found_inf"]
                for state in self._per_optimizer_states.values()
                if state["found_inf"] is not None
            ]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(sum(found) > 0)
        self._per_optimizer_states = defaultdict(_fresh_optimizer_state)

    def _update_scale(self, found_inf: bool) -> None:
        # PyTorch's _amp_update_scale_: products in double, stored in float32; the scale only
        # grows to a finite value.
        scale = self._scale.item()
        if found_inf:
            self._scale.fill_(scale * self._backoff_factor)
            self._growth_tracker = 0
        elif self._growth_tracker + 1 == self._growth_interval:
            self._scale.fill_(scale * self._growth_factor)
            if not bool(self._scale.isfinite()):
                self._scale.fill_(scale)
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1

    # ---------------------------------------------------------------- settings and state
    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale.item()

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` good steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a skipped step."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """How many good steps in a row grow the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set the growth interval."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return self._growth_tracker

    def is_enabled(self) -> bool:
        """Whether this scaler scales (False after disabling itself for CUDA)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (PyTorch's keys); ``{}`` when disabled."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (nothing happens when disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = state_dict["_growth_tracker"]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError(
                    "A GradScaler instance may only be pickled at the beginning "
                    "of an iteration, or at the end after scaler.update()."
                )
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _caller_level(cls: type, base: type) -> int:
    """``stacklevel`` that points a warning in ``base.__init__`` at the user's line, through
    the ``__init__`` of subclasses (``cuda.amp.GradScaler``)."""
    below = cls.__mro__[: cls.__mro__.index(base)]
    return 2 + sum("__init__" in vars(c) for c in below)


# ---------------------------------------------------------------------------- autocast
class _AutocastState(threading.local):
    """Per thread, as in PyTorch: device type -> whether an autocast block is on."""

    def __init__(self):
        self.enabled: dict[str, bool] = {}
        self.dtype: dict[str, _dtypes.dtype] = {}


_state = _AutocastState()


def warn_old_spelling(device_type: str, name: str) -> None:
    """PyTorch's FutureWarning for ``tensorgrad.<device_type>.amp.<name>(…)``, the deprecated
    spelling of ``tensorgrad.amp.<name>('<device_type>', …)``, at the constructor's caller."""
    warnings.warn(
        f"`tensorgrad.{device_type}.amp.{name}(args...)` is deprecated. Please use "
        f"`tensorgrad.amp.{name}('{device_type}', args...)` instead.",
        FutureWarning,
        stacklevel=3,
    )


def is_autocast_available(device_type: str) -> bool:
    """Whether PyTorch has autocast for ``device_type`` (an unknown name raises)."""
    device(device_type)
    return device_type in ("cpu", "cuda", "mps", "xpu")


def get_autocast_dtype(device_type: str) -> _dtypes.dtype:
    """The dtype an ``autocast`` block for ``device_type`` names: the innermost open block's,
    else PyTorch's default (bfloat16 on the CPU, float16 elsewhere). An unknown name raises."""
    device(device_type)
    return _state.dtype.get(device_type) or _default_fast_dtype(device_type)


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled ``autocast`` block for ``device_type`` (default ``"cuda"``) is open."""
    return _state.enabled.get("cuda" if device_type is None else device_type, False)


class autocast:  # noqa: N801 - PyTorch's name
    """``with autocast("cpu"):`` or ``@autocast("cpu")``: PyTorch's mixed-precision region.

    Accepts PyTorch's arguments and checks them as it does; casts nothing (see the module's
    docstring). ``device_type="cuda"`` without a GPU warns that CUDA is not available and
    disables itself.
    """

    def __init__(
        self,
        device_type: str,
        dtype: _dtypes.dtype | None = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        device(device_type)  # an unknown device type raises, as in PyTorch
        if dtype is not None and not isinstance(dtype, _dtypes.dtype):
            raise TypeError(
                f"autocast: argument 'dtype' must be a tensorgrad.dtype, not {type(dtype).__name__}"
            )
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else _default_fast_dtype(device_type)
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        self._enabled = bool(enabled)
        if self._enabled and _gpu_missing(device_type):
            warnings.warn(
                f"autocast: {device_type.upper()} is not available (tensorgrad's only "
                f"accelerator is CUDA through CuPy). Disabling autocast.",
                UserWarning,
                stacklevel=_caller_level(type(self), autocast),
            )
            self._enabled = False
        elif self._enabled and device_type == "cpu" and dtype not in (None, float16, bfloat16):
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of bfloat16, float16 currently.",
                UserWarning,
                stacklevel=_caller_level(type(self), autocast),
            )
            self._enabled = False
        self._previous: list[bool] = []

    def __enter__(self) -> autocast:
        enabled, dtypes = _state.enabled, _state.dtype
        self._previous.append((enabled.get(self.device, False), dtypes.get(self.device)))
        enabled[self.device] = self._enabled
        dtypes[self.device] = self.fast_dtype
        return self

    def __exit__(self, *exc_info) -> None:
        _state.enabled[self.device], _state.dtype[self.device] = self._previous.pop()

    def __call__(self, function):
        @functools.wraps(function)
        def autocast_function(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return autocast_function


def _default_fast_dtype(device_type: str):
    # PyTorch's defaults: bfloat16 on the CPU, float16 on GPUs (neither is cast to here).
    return bfloat16 if device_type == "cpu" else float16


class OldSpellingAutocast(autocast):
    """Base of ``tensorgrad.<device>.amp.autocast``, PyTorch's deprecated spelling of
    ``autocast(<device>, …)``: warns (a FutureWarning), then is exactly that. Subclasses set
    ``old_device`` and ``old_dtype`` (the dtype when none is given)."""

    old_device: str = "cpu"
    old_dtype = None

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        warn_old_spelling(self.old_device, "autocast")
        super().__init__(
            self.old_device,
            dtype=self.old_dtype if dtype is None else dtype,
            enabled=enabled,
            cache_enabled=cache_enabled,
        )


class OldSpellingGradScaler(GradScaler):
    """Base of ``tensorgrad.<device>.amp.GradScaler``, PyTorch's deprecated spelling of
    ``GradScaler(<device>, …)``: warns (a FutureWarning), then is exactly that. Subclasses set
    ``old_device``."""

    old_device: str = "cpu"

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warn_old_spelling(self.old_device, "GradScaler")
        super().__init__(
            self.old_device, init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )
