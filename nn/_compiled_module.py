"""What ``tensorgrad.compile(module)`` returns: PyTorch's ``OptimizedModule``, a Module.

The core's ``tensorgrad.compiler.OptimizedModule`` is the class every compiled module is an
instance of; this subclass of it and of :class:`Module` is the one built (the core never
imports nn: defining the subclass registers it).
"""

from __future__ import annotations

from typing import Any

import tensorgrad
from tensorgrad.nn.module import Module

__all__ = ["OptimizedModule"]

# The wrapper's own attributes; reading, setting or deleting any other name reaches the
# original (PyTorch's rule, which also keeps names the class defines on the wrapper).
_OWN_ATTRIBUTES = frozenset({"_orig_mod", "_compiled_forward", "forward", "__dict__"})


class OptimizedModule(tensorgrad.compiler.OptimizedModule, Module):
    """A compiled module: the original is its one child, ``_orig_mod``.

    As in PyTorch, its state dict's keys and its parameters' names start with
    ``_orig_mod.`` (``parameters()`` are the original's own tensors); calling it runs its own
    hooks around ``forward``, the compiled original's call (which an instance attribute may
    replace, as in PyTorch); ``training`` is the original's flag; and any
    other attribute (a layer, a method, a setting) is read from, set on and deleted from the
    original. ``len()`` is the original's length.
    """

    def __init__(self, module: Module, compiled) -> None:
        super().__init__()
        self._modules["_orig_mod"] = module
        # Not Module's _compiled_call: that is what compiling this wrapper in place sets.
        object.__setattr__(self, "_compiled_forward", compiled)

    @property
    def training(self) -> bool:
        """The original's training flag."""
        return self._orig_mod.training

    @training.setter
    def training(self, mode: bool) -> None:
        original = self.__dict__.get("_modules", {}).get("_orig_mod")
        if original is not None:  # Module.__init__ sets a default before there is one
            original.training = mode

    # Called as any Module (its own hooks, then ``self.forward``): inside another compiled
    # function that makes it a scope of the recording, whose guards then watch its hooks.
    def forward(self, *args, **kwargs):
        """The original's call, compiled (its own hooks included)."""
        return self._compiled_forward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        modules = self.__dict__.get("_modules")
        if modules is None or "_orig_mod" not in modules:
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        if name == "_orig_mod":
            return modules["_orig_mod"]
        return getattr(modules["_orig_mod"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN_ATTRIBUTES or hasattr(type(self), name):
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if name in _OWN_ATTRIBUTES or hasattr(type(self), name):
            super().__delattr__(name)
        else:
            delattr(self._orig_mod, name)

    def __len__(self) -> int:
        if not hasattr(type(self._orig_mod), "__len__"):
            raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")
        return len(self._orig_mod)

    def __dir__(self) -> list:
        return sorted(set(dir(self._orig_mod)) | set(super().__dir__()))
