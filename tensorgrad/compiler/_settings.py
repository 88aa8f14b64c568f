"""The compiler's global settings: the recompile limit (``tensorgrad._dynamo.config``'s
``recompile_limit``) and the stance, ``tensorgrad.compiler.set_stance``: how compiled
functions treat calls, switched globally.

- ``"default"``: record each new signature, replay the known ones.
- ``"force_eager"``: every compiled function runs eagerly (records are kept for later).
- ``"eager_on_recompile"``: known signatures replay; a new one runs eagerly instead of
  recording (the first recording of a function is not a *re*compile: it is made).
- ``"fail_on_recompile"``: as above, but a new signature raises RuntimeError.
- ``"eager_then_compile"`` (and ``"aot_eager_then_compile"``, the same here): each compiled
  function's first call runs eagerly, the next ones record and replay.

PyTorch's function, context manager and decorator, with its arguments; ``skip_guard_eval_unsafe``
is accepted and guards are still checked (they cost a few µs here).
"""

from __future__ import annotations

import functools

from .. import _tracing

__all__ = ["set_stance", "STANCES", "state"]

STANCES = (
    "default",
    "force_eager",
    "eager_on_recompile",
    "fail_on_recompile",
    "eager_then_compile",
    "aot_eager_then_compile",
)


class _State:
    stance = "default"  # global, as PyTorch's (not per thread)
    recompile_limit = 8  # signatures recorded per compiled function (PyTorch's default)


state = _State()


class set_stance:  # noqa: N801 - PyTorch's name
    """Set the compiler's stance now; as a context manager, restore the previous one on exit;
    as a decorator, hold it during each call of the function (see the module for the stances).

    ``force_backend`` (a backend name) is only valid with ``"default"``; calling it inside a
    compiled function raises RuntimeError.
    """

    def __init__(
        self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False, force_backend=None
    ):
        if stance not in STANCES:
            raise ValueError(f"set_stance: unknown stance {stance!r}; valid stances: {STANCES}")
        if force_backend is not None and stance != "default":
            raise RuntimeError("set_stance: non-default stance cannot have force_backend set")
        if _tracing.is_recording():
            raise RuntimeError("set_stance: cannot be called inside a compiled function")
        self.stance, self.previous = stance, state.stance
        self._options = {"skip_guard_eval_unsafe": skip_guard_eval_unsafe}
        state.stance = stance

    def __enter__(self) -> None:
        state.stance = self.stance

    def __exit__(self, *exc_info) -> None:
        state.stance = self.previous

    def __call__(self, fn):
        state.stance = self.previous  # as a decorator it holds only during calls

        @functools.wraps(fn)
        def with_stance(*args, **kwargs):
            with set_stance(self.stance, **self._options):
                return fn(*args, **kwargs)

        return with_stance
