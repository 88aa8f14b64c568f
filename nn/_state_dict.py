"""``Module.load_state_dict``: check a state dict against a module and copy it in."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any

import tensorgrad
from tensorgrad import Tensor

__all__ = ["load_state_dict_into"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find, and those it did not use."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _batch_counters(module) -> set:
    """The batch-norm ``num_batches_tracked`` keys, which old checkpoints may lack."""
    return {
        f"{name}.num_batches_tracked" if name else "num_batches_tracked"
        for name, child in module.named_modules()
        if "num_batches_tracked" in child._buffers
    }


def _tensor_like(value) -> Tensor:
    """A checkpoint value that is an array (NumPy's, or a torch.Tensor through its
    ``.numpy()``) as a Tensor. Lists, numbers and other objects are refused, as in PyTorch:
    a list of lists is never silently taken for a weight."""
    if not hasattr(value, "shape") or not (
        hasattr(value, "__array__") or hasattr(value, "__dlpack__")
    ):
        raise TypeError("not an array")
    if hasattr(value, "detach"):  # a torch.Tensor, possibly one that requires grad
        value = value.detach()
    return tensorgrad.as_tensor(value.numpy() if hasattr(value, "numpy") else value)


def load_state_dict_into(module, state_dict: Mapping[str, Any], strict: bool) -> _IncompatibleKeys:
    """Copy ``state_dict`` into ``module``'s parameters and buffers, checking keys and shapes.

    All problems are collected first and raised together (as PyTorch does); nothing is
    copied unless everything fits.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    own = module.state_dict(keep_vars=True)
    # Checkpoints from before BatchNorm counted its batches lack the counter; PyTorch accepts
    # them (the counter stays as it is), and so do we.
    optional = _batch_counters(module)
    missing = [key for key in own if key not in state_dict and key not in optional]
    unexpected = [key for key in state_dict if key not in own]
    errors = []
    if strict and missing:
        errors.append(
            "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{key}"' for key in missing))
        )
    if strict and unexpected:
        errors.append(
            "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{key}"' for key in unexpected)
            )
        )
    updates = []
    for key, target in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        if not isinstance(value, Tensor):
            try:
                value = _tensor_like(value)
            except (TypeError, ValueError) as error:
                errors.append(
                    f'While copying the parameter named "{key}", expected a Tensor or '
                    f"Tensor-like object (an array) from checkpoint but received "
                    f"{type(value)} ({error})"
                )
                continue
        if tuple(value.shape) != tuple(target.shape):
            errors.append(
                f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} "
                f"from checkpoint, the shape in current model is {tuple(target.shape)}."
            )
            continue
        updates.append((target, value))
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t" + "\n\t".join(errors)
        )
    with tensorgrad.no_grad():
        for target, value in updates:
            # Into the module's own tensors, on their device (PyTorch's param.copy_): a CPU
            # checkpoint loads into a model already moved to the GPU.
            target.copy_(value.to(target.device))
    return _IncompatibleKeys(missing, unexpected)
