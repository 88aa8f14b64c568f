"""Containers: ``Sequential`` (a chain of layers), ``ModuleList`` and ``ModuleDict``."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from tensorgrad.nn.module import Module, _add_indent

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _position(container: Module, index, kind: str) -> int:
    """A valid non-negative position for an integer ``index`` into ``container``."""
    index = operator.index(index)
    size = len(container)
    if not -size <= index < size:
        raise IndexError(f"{kind}: index {index} is out of range for length {size}")
    return index % size


class _NumberedModules(Module):
    """Shared by Sequential and ModuleList: children are named "0", "1", … in order."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _renumber(self, modules: Iterable[Module]) -> None:
        self._modules.clear()
        for index, module in enumerate(modules):
            self.add_module(str(index), module)

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_position(self, index, type(self).__name__)]
        self.add_module(key, module)

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_position(self, index, type(self).__name__)]
        self._renumber(modules)  # keeps the names "0", "1", … contiguous, as PyTorch does

    def append(self, module: Module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]):
        """Append every module of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        size = len(modules)
        if not -size <= operator.index(index) <= size:
            raise IndexError(f"{type(self).__name__}.insert: index {index} is out of range")
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module


class Sequential(_NumberedModules):
    """Run modules one after the other, each on the previous one's output.

    ``Sequential(a, b, c)`` names its children "0", "1", "2"; ``Sequential(OrderedDict(...))``
    keeps the given names. Supports ``len``, iteration, integer indexing and slicing (a slice
    is a new Sequential that keeps the original names, like PyTorch).
    """

    def __init__(self, *args: Module):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(self, index, "Sequential")]

    def forward(self, input):
        """Feed ``input`` through every module in order."""
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_NumberedModules):
    """A list of modules whose parameters are registered (it has no ``forward``)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return list(self._modules.values())[_position(self, index, "ModuleList")]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def _child_lines(self) -> list:
        # Runs of identical consecutive reprs are printed once, as "(0-2): 3 x Linear(...)".
        lines, start = [], 0
        names = list(self._modules)
        reprs = [repr(module) for module in self._modules.values()]
        while start < len(reprs):
            end = start
            while end + 1 < len(reprs) and reprs[end + 1] == reprs[start]:
                end += 1
            text = _add_indent(reprs[start], 2)
            if end == start:
                lines.append(f"({names[start]}): {text}")
            else:
                lines.append(f"({names[start]}-{names[end]}): {end - start + 1} x {text}")
            start = end + 1
        return lines


class ModuleDict(Module):
    """An ordered dict of modules whose parameters are registered (keys are the names)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove and return the module under ``key``."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        """The names, in insertion order."""
        return self._modules.keys()

    def items(self):
        """``(name, module)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        """Add the modules of a mapping or of an iterable of ``(name, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for entry in pairs:
            if len(entry) != 2:
                raise ValueError(
                    f"ModuleDict.update: each entry must be a (name, module) pair, got {entry!r}"
                )
            self[entry[0]] = entry[1]
