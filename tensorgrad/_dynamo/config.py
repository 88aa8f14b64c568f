"""``tensorgrad._dynamo.config``: the settings scripts write as ``torch._dynamo.config.X = …``.

``recompile_limit`` (alias ``cache_size_limit``, default 8) is how many signatures a compiled
function records before new ones run eagerly (see ``tensorgrad.compile``). The other settings
PyTorch scripts set are kept and change nothing here: tensorgrad's
compiler never raises where it can run eagerly (``suppress_errors``), re-records each new shape
(``automatic_dynamic_shapes``, ``assume_static_by_default``) and has no graph breaks to report
(``verbose``). A setting PyTorch does not have raises AttributeError, as there.
``patch(...)`` changes settings for a ``with`` block or a decorated function.
"""

from __future__ import annotations

import contextlib
import sys
import types

from ..compiler._settings import state as _compiler

# name -> default (recompile_limit is the compiler's own setting)
_DEFAULTS = {
    "recompile_limit": _compiler.recompile_limit,
    "accumulated_recompile_limit": 256,
    "suppress_errors": False,
    "verbose": False,
    "optimize_ddp": True,
    "capture_scalar_outputs": False,
    "capture_dynamic_output_shape_ops": False,
    "automatic_dynamic_shapes": True,
    "assume_static_by_default": True,
    "force_parameter_static_shapes": True,
    "error_on_recompile": False,
}
_ALIASES = {
    "cache_size_limit": "recompile_limit",
    "accumulated_cache_size_limit": "accumulated_recompile_limit",
}
_values = dict(_DEFAULTS)


def _key(name: str) -> str:
    key = _ALIASES.get(name, name)
    if key not in _DEFAULTS:
        raise AttributeError(f"tensorgrad._dynamo.config.{name} does not exist")
    return key


def patch(name=None, value=None, **changes):
    """``with config.patch(recompile_limit=64): …`` (or as a decorator): the settings changed
    inside, restored after. Also ``patch("recompile_limit", 64)`` and ``patch({...})``."""
    if isinstance(name, dict):
        changes = {**name, **changes}
    elif name is not None:
        changes = {name: value, **changes}
    keys = {_key(setting): setting for setting in changes}  # unknown names raise now
    return _Patch(sys.modules[__name__], {keys[k]: changes[keys[k]] for k in keys})


class _Patch(contextlib.ContextDecorator):
    def __init__(self, config, changes: dict):
        self._config, self._changes, self._saved = config, changes, []

    def __enter__(self):
        self._saved.append({key: getattr(self._config, key) for key in self._changes})
        for key, value in self._changes.items():
            setattr(self._config, key, value)

    def __exit__(self, *exc_info) -> None:
        for key, value in self._saved.pop().items():
            setattr(self._config, key, value)


class _ConfigModule(types.ModuleType):
    """This module, whose attributes are the settings (checked when written)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        key = _key(name)
        return _compiler.recompile_limit if key == "recompile_limit" else _values[key]

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("__"):  # the import machinery's own attributes
            super().__setattr__(name, value)
            return
        key = _key(name)  # values unchecked, as PyTorch's
        if key == "recompile_limit":
            _compiler.recompile_limit = value
        else:
            _values[key] = value


sys.modules[__name__].__class__ = _ConfigModule
