"""``Optimizer``: the base class that holds parameter groups and per-parameter state.

A subclass writes ``_update_group(group)``: it reads the group's hyperparameters once, then
loops over :meth:`Optimizer._grads_to_apply`, which gives each parameter that has a gradient
as arrays to update in place, with their array module (``xp``: NumPy on the CPU) for the
maths, after doing what PyTorch's updates share (``maximize``, the ``step`` count and
``weight_decay``), and bumps the parameter's version counter, so a backward that saved the
old value raises instead of silently using the new one. A subclass with state made up front
(Adam's moments) also writes ``_init_state(param, state, group)``. Nothing here records a
graph or allocates a Tensor per parameter per step.

The module's helpers (``check_hyperparameters``, ``new_state``…) are the checks and state
layouts that PyTorch's optimizers share, written once.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn.utils import array_module, array_of, zero_grads

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must give (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def check_non_negative(name: str, value: float) -> None:
    """Raise PyTorch's ``ValueError("Invalid <name>: <value>")`` for a negative hyperparameter."""
    if not value >= 0.0:
        raise ValueError(f"Invalid {name}: {value}")


# PyTorch's name for a hyperparameter in its "Invalid <name>: <value>" errors, where it is not
# "<argument> value".
_ERROR_NAMES = {"lr": "learning rate", "eps": "epsilon value"}


def check_hyperparameters(**values) -> None:
    """PyTorch's checks of an optimizer's arguments, in the order given (the first bad one raises).

    Each must be non-negative (``check_non_negative`` with PyTorch's name: ``lr`` is "learning
    rate", ``eps`` "epsilon value", any other ``x`` "x value"), but ``betas``, each of which
    must be in [0, 1) (``check_betas``).
    """
    for name, value in values.items():
        if name == "betas":
            check_betas(value)
        else:
            check_non_negative(_ERROR_NAMES.get(name, f"{name} value"), value)


def new_scalar_state(value: float, device=None) -> Tensor:
    """A 0-d float state: float64 under a float64 default dtype, else float32 (PyTorch's).

    The dtype is more than layout: NAdam's ``mu_product`` and ASGD's ``eta`` and ``mu`` are
    rounded to it at every step, as in PyTorch, so the updates agree to the last bit.
    ``device`` None is the CPU: PyTorch keeps such counters on the host whatever the
    parameters' device (reading them costs no device sync).
    """
    dtype = tensorgrad.float64 if tensorgrad.get_default_dtype() == tensorgrad.float64 else None
    return tensorgrad.tensor(value, dtype=dtype or tensorgrad.float32, device=device)


def new_step_counter(device=None) -> Tensor:
    """A 0-d step counter; float like PyTorch's, so state dicts have the same layout."""
    return new_scalar_state(0.0, device)


def new_state(
    state: dict[str, Any], param: Tensor, *zeros: str, device=None, **scalars: float
) -> None:
    """Fill a parameter's empty state: a ``step`` counter, then a 0-d ``new_scalar_state`` for
    each of ``scalars`` (its start value), then zeros shaped like ``param`` (on its device) for
    each of ``zeros``. The counter and scalars go on ``device`` (None: the CPU, as PyTorch's
    do unless ``capturable``).

    The keys go in that order, PyTorch's, so state dicts list them as PyTorch's do.
    """
    state["step"] = new_step_counter(device)
    for name, value in scalars.items():
        state[name] = new_scalar_state(value, device)
    for name in zeros:
        state[name] = tensorgrad.zeros_like(param)


def check_kernel_options(
    optimizer: str, *, foreach=None, fused=None, differentiable: bool = False
) -> None:
    """PyTorch's checks of the options that choose how an update runs, then tensorgrad's own.

    ``foreach``, ``fused`` and ``capturable`` pick one of PyTorch's kernels for the same
    update (tensorgrad has one), so they are accepted, kept in the groups like PyTorch's and
    otherwise ignored. ``differentiable=True`` is refused: it asks for a step recorded in the
    graph, and tensorgrad's step updates the arrays in place, outside any graph.
    """
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise NotImplementedError(
            f"{optimizer}: differentiable=True is not supported: tensorgrad's optimizer steps "
            f"update the parameters in place and are never recorded in the autograd graph"
        )


def check_betas(betas) -> tuple[float, float]:
    """PyTorch's check that each beta is in [0, 1); returns them as a tuple."""
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    return tuple(betas)


def lerp_(start, end, weight: float):
    """start += weight * (end - start), in place, with PyTorch's two-sided formula.

    PyTorch computes ``end - (end - start) * (1 - weight)`` when ``weight >= 0.5``; doing the
    same keeps the optimizer states equal to the last bit, not just to rounding. Returns the
    new array it worked in (``start``'s shape), free for the caller to reuse as scratch: an
    optimizer that needs one more parameter-sized temporary saves allocating it.
    """
    difference = end - start
    if weight < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1.0 - weight
        start[...] = end
        start -= difference
    return difference


def average_square_(average, value, decay: float, xp=None, scratch=None) -> None:
    """average = decay * average + (1 - decay) * value * value, in place.

    Rounded as PyTorch's ``average.mul_(decay).addcmul_(value, value, value=1 - decay)``: the
    running average of squares of Adam's ``exp_avg_sq``, RMSprop's and Adadelta's. With
    ``scratch`` (an array of ``average``'s shape nobody else reads, and ``xp`` its module)
    the square is computed there instead of in a new array: the same bits, one allocation
    fewer, which is measurable on large parameters.
    """
    average *= decay
    fresh = scratch is None
    square = (1 - decay) * value if fresh else xp.multiply(value, 1 - decay, out=scratch)
    square *= value
    average += square


class Optimizer:
    """Base class of all optimizers (PyTorch's ``torch.optim.Optimizer``).

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts
            (parameter groups: ``{"params": [...], "lr": 0.1, ...}``).
        defaults: the hyperparameters a group takes when it does not set them.

    Attributes:
        param_groups: a list of dicts, each with ``"params"`` (a list of Tensors) and the
            group's hyperparameters.
        state: a dict from parameter to that parameter's state (a dict of Tensors).
    """

    # What a subclass sets besides ``_update_group``: ``_init_state(param, state, group)``
    # fills a parameter's empty state before its first update (None: nothing to make up
    # front); ``_uses_array_module = False`` where the update needs array operators only (SGD),
    # which then skips the array module's look-up (~3 % of its step).
    _init_state: Callable[[Tensor, dict[str, Any], dict[str, Any]], None] | None = None
    _uses_array_module = True
    # Whether each state Tensor (but 0-d ones) has its parameter's shape, which
    # load_state_dict then checks; LBFGS keeps flat vectors over all its parameters.
    _state_shaped_like_params = True

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be an "
                f"iterable of Tensors or dicts, but got a Tensor of shape {params.shape}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        lines.append(")")
        return "\n".join(lines)

    # ----------------------------------------------------------------- parameter groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"``) with its own hyperparameters."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: optimizer parameters need to be organized in ordered collections, "
                f"but the ordering of tensors in sets changes between runs; use a list instead"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    f"{name}: all optimizer params should be with/without names. "
                    f"Some param names are missing"
                )
            param_group["param_names"] = names
        param_group["params"] = params

        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but parameter {index} is "
                    f"{type(param).__name__}"
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (parameter {index}, shape "
                    f"{param.shape}, made by {param.grad_fn.name()})"
                )
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required optimization "
                    f"parameter {key}"
                )
            param_group.setdefault(key, default)

        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn(
                f"{name}: optimizer contains a parameter group with duplicate parameters; "
                f"each step will update them more than once",
                stacklevel=3,
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    f"{name}: all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ----------------------------------------------------------------- the update
    @tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    @tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with grad enabled).
        """
        loss = None
        if closure is not None:
            with tensorgrad.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        """Update, in place, every parameter of ``group`` that has a gradient.

        Subclasses implement it as a loop over :meth:`_grads_to_apply`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _grads_to_apply(self, group: dict[str, Any]) -> Iterator[tuple[Any, Any, Any, Any, dict]]:
        """``(xp, param, grad, step, state)`` for each parameter of ``group`` that has a
        gradient, with the first steps that the built-in updates share done as PyTorch does
        them.

        ``xp`` is the parameter's array module (None unless ``_uses_array_module``), ``param``
        its array (update it in place), ``grad`` its gradient's array (the values of a
        ``create_graph=True`` gradient too) and ``state`` its state dict, filled by
        ``_init_state`` when empty. ``grad`` is negated if the group's ``maximize``; the
        state's ``step`` counter is counted and ``step`` is its new value as a float (None
        for a state without one: SGD's); then the group's ``weight_decay`` (if it has one and
        it is not 0) is applied: added to ``grad`` as ``weight_decay * param`` or, with
        ``decoupled_weight_decay``, taken off the parameter as ``param *= 1 - lr *
        weight_decay``. A changed ``grad`` is a new array: the gradient itself is never
        written to.
        """
        maximize, weight_decay = group["maximize"], group.get("weight_decay", 0)
        decoupled = group.get("decoupled_weight_decay", False)
        states, init_state = self.state, self._init_state
        uses_array_module = self._uses_array_module
        for tensor in group["params"]:
            grad = tensor._grad
            if grad is None:
                continue
            state = states[tensor]
            if not state and init_state is not None:
                init_state(tensor, state, group)
            # The caller writes into the array directly: count it as the in-place change it
            # is. Private Tensor fields, kept on optim's hottest loops (this and plain SGD's):
            # the public ``param.grad``, ``param.detach().numpy()`` and an in-place op to bump
            # the version cost ~1.5 µs more per parameter (an SGD step of a 784-256-128-10
            # MLP: +12 %), and no public call bumps a version alone.
            tensor._version_counter[0] += 1
            xp = array_module(tensor) if uses_array_module else None
            param, grad = tensor._data, grad._data
            if maximize:
                grad = -grad
            step = None
            counter = state.get("step")
            if counter is not None:
                counter = array_of(counter)  # on the host, or (ASGD's, a loaded one) the device
                counter += 1
                step = float(counter)
            if weight_decay != 0:
                if decoupled:
                    param *= 1 - group["lr"] * weight_decay
                else:
                    grad = grad + weight_decay * param
            yield xp, param, grad, step, state

    # ----------------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, with parameters replaced by their index (PyTorch's layout).

        ``{"state": {index: {"step": Tensor, ...}}, "param_groups": [{..., "params": [0, 1]}]}``
        where indices count parameters across groups in order. State Tensors are shared, not
        copied (as in PyTorch).
        """
        indices: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                indices.setdefault(id(param), len(indices))
            packed["params"] = [indices[id(param)] for param in group["params"]]
            param_groups.append(packed)
        state = {
            indices[id(param)]: dict(value)
            for param, value in self.state.items()
            if value and id(param) in indices
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (same groups, same parameter counts).

        State Tensors are copied onto their parameter's device and cast to its dtype, but for
        ``step``, which stays as saved (PyTorch's rule: a CPU counter stays on the CPU).
        """
        name = type(self).__name__
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has a different number of "
                f"parameter groups ({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for index, (group, saved) in enumerate(zip(groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group "
                    f"that doesn't match the size of optimizer's group (group {index}: "
                    f"{len(saved['params'])} saved, {len(group['params'])} in the optimizer)"
                )
        params_by_index = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
                strict=True,
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for index, value in state_dict["state"].items():
            param = params_by_index.get(index)
            if param is None:
                state[index] = value
                continue
            state[param] = {
                key: _copy_state_value(self, index, key, item, param) for key, item in value.items()
            }
        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups


def _copy_state_value(optimizer: Optimizer, index, key: str, value, param: Tensor):
    """A private copy of one saved state entry, checked against its parameter.

    Tensors are moved to the parameter's device and cast to its dtype (``step`` keeps both
    its own), also inside lists (LBFGS's history), as PyTorch does. A state shaped like its
    parameter must have its shape; 0-d states (NAdam's ``mu_product``) and LBFGS's flat
    vectors are not shaped like one.
    """
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state_value(optimizer, index, key, v, param) for v in value)
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    if key == "step":
        return value.detach().clone()
    if optimizer._state_shaped_like_params and value.ndim > 0 and value.shape != param.shape:
        raise ValueError(
            f"{type(optimizer).__name__}.load_state_dict: state {key!r} of parameter {index} "
            f"has shape {value.shape} but the parameter has shape {param.shape}"
        )
    dtype = param.dtype if param.is_floating_point() else value.dtype
    return value.detach().to(param.device, dtype, copy=True)
