"""``Module``: the base class of every layer and model, with PyTorch's bookkeeping.

Parameters, buffers and sub-modules are registered by assigning them to attributes and live
in three ordered dicts (``_parameters``, ``_buffers``, ``_modules``), exactly as in PyTorch, so
names, iteration order and ``state_dict`` keys are PyTorch's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.autograd.graph import scope
from tensorgrad.nn._state_dict import load_state_dict_into
from tensorgrad.nn.parameter import Parameter
from tensorgrad.nn.utils import zero_grads
from tensorgrad.ops.conversion import cuda_device, parse_to_arguments
from tensorgrad.utils.hooks import RemovableHandle

__all__ = ["Module", "RemovableHandle"]


def _add_indent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (how nested module reprs are laid out)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


def _check_name(module: Module, kind: str, name: str, registry: dict) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


@tensorgrad.compiler.disable(
    reason="a tensor was assigned to a module attribute inside the call; a replay would not "
    "update it (carry state through the arguments and results instead)"
)
def _tensor_kept_on_a_module() -> None:
    """Called when a compiled call stores a tensor on a module: that call stays eager."""


class Module:
    """Base class for all neural-network modules; subclass it and define ``forward``.

    Example::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(2, 8)
                self.out = nn.Linear(8, 1)

            def forward(self, x):
                return self.out(self.hidden(x).relu())

    Calling a module runs its forward pre-hooks, ``forward`` (inside a graph scope owned by
    the module, so tools can group recorded nodes by layer) and its forward hooks.
    """

    training: bool

    def __init__(self) -> None:
        set_attribute = object.__setattr__
        set_attribute(self, "training", True)
        set_attribute(self, "_parameters", OrderedDict())
        set_attribute(self, "_buffers", OrderedDict())
        set_attribute(self, "_non_persistent_buffers_set", set())
        set_attribute(self, "_modules", OrderedDict())
        set_attribute(self, "_forward_pre_hooks", OrderedDict())
        set_attribute(self, "_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it (call the module, not ``forward``)."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    _compiled_call = None  # set by compile()

    def __call__(self, *args, **kwargs):
        if self._compiled_call is not None:
            return self._compiled_call(*args, **kwargs)
        return self._call_impl(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        with scope(self):
            return self.forward(*args, **kwargs)

    def compile(self, *args, **kwargs) -> None:
        """Compile this module's calls in place with :func:`tensorgrad.compile` (its arguments
        are passed on); unlike ``tensorgrad.compile(module)`` the module itself changes."""
        object.__setattr__(
            self, "_compiled_call", tensorgrad.compile(self._call_impl, *args, **kwargs)
        )

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        with scope(self):
            output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a non-None result replaces ``args``."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; non-None replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, e.g. a disabled bias) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, "parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                f"(tensorgrad.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"cannot assign a non-leaf Tensor to parameter '{name}'")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (e.g. running statistics).

        Persistent buffers are saved in ``state_dict``; non-persistent ones are not.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, "buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                f"(Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (same as assigning the attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, "module", name, self._modules)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Tensor) and tensorgrad.compiler.is_compiling():
            _tensor_kept_on_a_module()
        parameters, buffers = self.__dict__.get("_parameters"), self.__dict__.get("_buffers")
        modules = self.__dict__.get("_modules")
        if isinstance(value, Parameter):
            if parameters is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    f"(tensorgrad.nn.Parameter or None expected)"
                )
            parameters[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    f"(tensorgrad.nn.Module or None expected)"
                )
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    f"(Tensor or None expected)"
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry and the instance dict (before re-registering)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and children live here.
        namespace = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = namespace.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        names = list(super().__dir__())
        names += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(names))

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """``(qualified_name, module)`` for this module and every descendant, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            child_prefix = f"{prefix}.{name}" if prefix else name
            yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct children, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct children, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        owners = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for owner_prefix, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{owner_prefix}.{name}" if owner_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(qualified_name, parameter)`` pairs; a parameter shared by two modules comes once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (of descendants too unless ``recurse=False``), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """``(qualified_name, buffer)`` pairs, each buffer once."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer, each once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The descendant at the dotted path ``target`` (``""`` is this module)."""
        module = self
        for name in target.split(".") if target else []:
            child = module._modules.get(name)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target``, e.g. ``"0.weight"``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if module._parameters.get(name) is None:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode here and, through each child's
        own ``train`` (so subclasses can override it), below; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off, batch norm uses running statistics); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (freeze with False); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    @tensorgrad.compiler.allow_in_graph  # a compiled step calls it again
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (default) or to zeros in place."""
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every descendant (children first), then on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ dtype
    def _convert(self, convert: Callable[[Tensor], Tensor], recurse: bool = True) -> Module:
        """Replace every parameter's data and gradient and every buffer by ``convert`` of it
        (parameters keep their identity, as in PyTorch); ``recurse=False``: this module's only.
        """
        for module in self.modules() if recurse else (self,):
            for param in module._parameters.values():
                if param is None:
                    continue
                param.data = convert(param.data)
                if param.grad is not None:
                    param.grad = convert(param.grad.data)
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = convert(buffer)
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(tensor)``, ``to(device, dtype)``,
        ``to(memory_format=...)``: move the parameters, gradients and buffers to ``device``,
        convert the floating-point ones to ``dtype`` and the 4-d (5-d) ones to
        ``channels_last`` (``channels_last_3d``) layout, in place (parameters stay the same
        objects, so an optimizer made before still holds them). Returns ``self``.
        """
        dtype, layout, place = parse_to_arguments(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )

        def convert(t: Tensor) -> Tensor:
            if place is not None:
                t = t.to(place)
            if dtype is not None and t.is_floating_point():
                t = t.to(dtype)
            if t.ndim in (4, 5):  # PyTorch applies a layout to image-shaped state only
                t = t.to(memory_format=layout)
            return t

        if dtype is None and place is None and layout is tensorgrad.preserve_format:
            return self
        return self._convert(convert)

    def to_empty(self, *, device, recurse: bool = True) -> Module:
        """Give every parameter, gradient and buffer new, uninitialised storage on ``device``
        (same shapes and dtypes; parameters stay the same objects). The values are garbage
        until set, e.g. by ``reset_parameters()`` or ``load_state_dict``. Returns ``self``.
        """
        return self._convert(lambda t: tensorgrad.empty_like(t, device=device), recurse)

    def float(self) -> Module:
        """Convert floating-point parameters and buffers to float32."""
        return self.to(tensorgrad.float32)

    def double(self) -> Module:
        """Convert floating-point parameters and buffers to float64."""
        return self.to(tensorgrad.float64)

    def half(self) -> Module:
        """Convert floating-point parameters and buffers to float16."""
        return self.to(tensorgrad.float16)

    def cpu(self) -> Module:
        """Move every parameter, gradient and buffer to the CPU, in place; returns ``self``."""
        return self.to("cpu")

    def cuda(self, device: int | tensorgrad.device | None = None) -> Module:
        """Move every parameter, gradient and buffer to a CUDA device (``device``, an index
        or a device; the current one if None), in place; returns ``self``. Without CUDA it
        raises the error of ``tensor.cuda()`` (an AssertionError, as in PyTorch built without
        CUDA).

        *Decision:* without CUDA, a module with no parameters or buffers raises too; PyTorch
        returns it unchanged, having nothing to move.
        """
        return self.to(cuda_device(device))

    # ------------------------------------------------------------------ state dict
    def state_dict(
        self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """Parameters and persistent buffers by qualified name (PyTorch's keys and order).

        Values are detached tensors sharing memory with the module (``keep_vars=True`` keeps
        the Parameter objects themselves).
        """
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True):
        """Copy values from ``state_dict`` into the parameters and buffers (no_grad, in place).

        Values may be tensorgrad Tensors (on any device) or anything NumPy can read (a NumPy
        array, a CPU ``torch.Tensor``); they are copied onto each target's device and
        converted to its dtype, so the module stays where it is (PyTorch's ``param.copy_``).

        Returns:
            a named tuple ``(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: listing every missing and unexpected key when ``strict`` (the
                default), and every shape mismatch in any case.
        """
        return load_state_dict_into(self, state_dict, strict)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its settings)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def _child_lines(self) -> list:
        """``(name): repr`` for each child; containers override this to compress repeats."""
        return [
            f"({name}): " + _add_indent(repr(module), 2) for name, module in self._modules.items()
        ]

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = self._child_lines()
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        lines = extra_lines + child_lines
        if not lines:
            return f"{self._get_name()}()"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"
