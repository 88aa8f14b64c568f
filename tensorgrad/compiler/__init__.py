"""``tensorgrad.compile`` and ``tensorgrad.compiler``: record a call once, replay it at NumPy speed.

A compiled function runs eagerly the first time it sees a signature (argument shapes, dtypes,
grad flags, the other arguments' values, the grad mode) and records what happened at the
array level: each op's forward on arrays, each ``backward()`` as a plan over those ops in the
engine's order, and the calls that must run again as they are (factories and random draws,
in-place updates, ``optimizer.zero_grad()``, ``optimizer.step()``, ``scheduler.step()``).
Later calls with that signature replay the record: no Tensor, no graph node, no Python of the
user's or of ``nn`` between the NumPy calls. Parameters, ``.grad``, optimizer state, running
statistics and the random generator end up exactly as the eager call would leave them.

What a replay cannot repeat — a tensor's value read into Python (``.item()``, ``if t > 0``),
an ``optimizer.step(closure)``, a hook, a backward through a graph built before the call —
keeps that signature eager, with one warning naming the line (``fullgraph=True``: an error).

Python values the function computes *without* tensors are part of the record: a compiled
function must be a function of its arguments, the modules and optimizers it uses, and the
random generator. Pass anything else that changes between calls as an argument (a new value
records again).
"""

from __future__ import annotations

import copy
import functools

from .. import _tracing
from ._compiled import DISABLE_VARIABLE, CompiledFunction, compiled_functions
from ._settings import set_stance

__all__ = [
    "compile",
    "reset",
    "allow_in_graph",
    "assume_constant_result",
    "cudagraph_mark_step_begin",
    "disable",
    "is_compiling",
    "is_dynamo_compiling",
    "list_backends",
    "set_stance",
    "OptimizedModule",
    "DISABLE_VARIABLE",
]

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs")


def compile(  # noqa: A001 - PyTorch's name
    model=None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend="inductor",
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
):
    """Compile a function, a training step or a Module (PyTorch's ``torch.compile``).

    Args:
        model: the function or Module; omitted, ``compile`` returns a decorator.
        fullgraph: raise instead of running eagerly when a call cannot be recorded.
        dynamic: accepted; each new input shape records again (shapes are specialised).
        backend: accepted (every backend name PyTorch lists, or a callable): tensorgrad has
            one backend, the recorder.
        mode: accepted (``"default"``, ``"reduce-overhead"``, ``"max-autotune"``…).
        options: accepted and ignored.
        disable: return a callable that always runs eagerly.

    Returns:
        For a function, a callable with the same arguments and results. For a Module, an
        :class:`OptimizedModule` (PyTorch's): a module whose one child is the original,
        ``_orig_mod`` (its state dict's keys start with ``_orig_mod.``), whose calls run the
        original compiled, and whose other attributes are the original's.

    Example::

        @tensorgrad.compile
        def train_step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss
    """
    if mode not in _MODES:
        raise RuntimeError(f"compile: unrecognized mode={mode!r}; valid modes: {_MODES[1:]}")
    if not (callable(backend) or backend in _BACKENDS):
        raise ValueError(f"compile: invalid backend {backend!r}; valid backends: {_BACKENDS}")
    if model is None:
        return functools.partial(
            compile,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            disable=disable,
        )
    if not callable(model):
        raise RuntimeError(f"compile: model must be a callable, got {type(model).__name__}")
    if _is_module(model):
        compiled = CompiledFunction(model.__call__, fullgraph, disable)
        compiled.__name__ = type(model).__name__  # what its warnings name
        return OptimizedModule._module_class(model, compiled)
    compiled = CompiledFunction(model, fullgraph, disable)
    functools.update_wrapper(compiled, model, updated=())
    return compiled


def _is_module(value) -> bool:
    # The core does not import nn: a Module is what has forward, children and parameters.
    return all(hasattr(value, name) for name in ("forward", "_modules", "_parameters"))


class OptimizedModule:
    """What every compiled module is an instance of: ``isinstance(m, OptimizedModule)`` tells
    a compiled module, ``m._orig_mod`` its original. Also
    ``tensorgrad._dynamo.eval_frame.OptimizedModule``, as in PyTorch.

    The module class itself is ``tensorgrad.nn``'s subclass of this one and of ``nn.Module``
    (the core never imports nn: defining it makes it the one ``compile`` builds). A deep copy
    compiles a copy of the original (it shares nothing with it); a shallow copy compiles the
    original again, as PyTorch's does.
    """

    __slots__ = ()
    _module_class = None  # set by the subclass nn defines; what compile(module) builds

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if OptimizedModule._module_class is None:  # nn's, defined when tensorgrad is imported
            OptimizedModule._module_class = cls

    def __deepcopy__(self, memo: dict):
        options = self._compiled_forward._options()
        return compile(copy.deepcopy(self._orig_mod, memo), **options)

    def __reduce_ex__(self, protocol):
        return (_compile_module, (self._orig_mod, self._compiled_forward._options()))


def _compile_module(module, options: dict):
    """``compile(module, **options)``: what an unpickled compiled module is rebuilt with."""
    return compile(module, **options)


def reset() -> None:
    """Forget every recording of every compiled function (the next calls record again), and
    read ``TENSORGRAD_COMPILE_DISABLE`` again."""
    for compiled in list(compiled_functions):
        compiled.reset()


def allow_in_graph(fn):
    """Record each call of ``fn`` inside a compiled function as one step, replayed by calling
    ``fn`` again with that call's tensors — instead of recording the work inside it.

    For functions whose effect must happen again on every replay but whose inside cannot be
    recorded: tensorgrad's own ``optimizer.step()``/``zero_grad()``, ``scheduler.step()`` and
    ``nn.utils.clip_grad_norm_`` are marked this way. Their arguments other than tensors are
    taken as constants. A list or tuple of functions gives a list or tuple of marked ones.
    """
    if isinstance(fn, (list, tuple)):
        return type(fn)(allow_in_graph(f) for f in fn)
    if getattr(fn, "__wrapped_observed__", None) is not None:
        return fn
    return _tracing.observed(fn)


def disable(fn=None, recursive: bool = True, *, reason: str | None = None):
    """Decorator: ``fn`` always runs eagerly, and a compiled function that calls it runs
    eagerly for that signature too (a replay would skip what ``fn`` does)."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)

    @functools.wraps(fn)
    def eager(*args, **kwargs):
        if _tracing.is_recording():
            _tracing.state.recorder.unsupported(
                f"{getattr(fn, '__qualname__', fn)} is marked tensorgrad.compiler.disable"
                + (f" ({reason})" if reason else "")
            )
        return fn(*args, **kwargs)

    return eager


def assume_constant_result(fn):
    """``fn`` itself: a record already keeps what Python computes without tensors as a
    constant (``torch.compile`` would fold ``fn``'s result into its graph). A call of ``fn``
    that reads a tensor's value keeps its signature eager, as any such read does."""
    return fn


def cudagraph_mark_step_begin() -> None:
    """Does nothing. In PyTorch it tells ``mode="reduce-overhead"`` (CUDA graphs, whose
    outputs the next replay overwrites) that a new step begins; tensorgrad's replays return
    new arrays every call, so no step needs marking."""


def is_compiling() -> bool:
    """True while a compiled function is being recorded on this thread."""
    return _tracing.state.recorder is not None


def is_dynamo_compiling() -> bool:
    """Same as :func:`is_compiling` (PyTorch's name for its tracer's flag)."""
    return is_compiling()


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    """The backend names :func:`compile` accepts."""
    return sorted(_BACKENDS)
