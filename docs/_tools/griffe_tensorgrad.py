"""The griffe extension behind the API reference (``mkdocs.yml`` loads it).

1. ``tensorgrad.nn`` and ``tensorgrad.optim`` live in the repository's ``nn/`` and
   ``nn/optim/`` folders and get their names from ``[tool.setuptools.package-dir]``. griffe
   finds submodules by walking the package's own folder, so it never sees them: once the
   ``tensorgrad`` package is loaded, every module of those folders is inspected under its
   installed name and added to the tree (so ``::: tensorgrad.nn.functional`` works and the
   aliases of ``tensorgrad.nn`` resolve: ``ReLU`` is ``tensorgrad.nn.activation.ReLU``).
2. What is public: a module's ``__all__`` where it has one; for ``tensorgrad`` itself, which
   has none, every name of ``dir(tensorgrad)`` without a leading underscore (the list
   ``tests/test_architecture.py`` checks). In classes, names with a leading underscore are
   not: special names are removed (``__init__`` is merged into the class; the Tensor page
   lists the operators).
3. Generated functions whose ``__qualname__`` names no attribute of their module (the in-place
   ``tensorgrad.acos_`` and ``Tensor.acos_``, made by a factory in ``ops/pointwise_inplace.py``)
   would be aliases to nothing, which mkdocstrings drops silently: they become functions built
   from the live object (signature and docstring).
4. The docstrings use Sphinx's roles (``:func:`acos```); Markdown would show the role's name,
   so each becomes inline code (`` `acos` ``). A default that is a sentinel object (its
   ``repr`` is ``<object object at 0x…>``, different on every run) is shown as ``...``.

``tests/test_docs.py`` checks that every public name ends up in the site's inventory.

The pages inspect the live modules (``force_inspection``): the ops and the Tensor methods are
declared at import time, and no static reading of the source can see them.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import griffe

# :func:`name`, :class:`~tensorgrad.Tensor`, … (a ``~`` shows only the last component)
SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc):`(~?)([^`]+)`")
SENTINEL = re.compile(r"^<object object at 0x[0-9a-f]+>$")

# Installed name -> its folder comes from the imported package; nn/optim/ is tensorgrad.optim,
# not tensorgrad.nn.optim.
SUBPACKAGES = ("tensorgrad.nn", "tensorgrad.optim")


class TensorgradAPI(griffe.Extension):
    """Once ``tensorgrad`` is loaded: steps 1 to 4 of the module's docstring, in order."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs) -> None:
        if pkg.name != "tensorgrad":
            return
        _attach_subpackages(pkg, loader)
        for name, member in pkg.members.items():
            member.public = not name.startswith("_")
        for module in _modules_of(pkg):
            for member in module.members.values():
                if not member.is_alias and member.is_class:
                    _drop_special_members(member)
            _replace_dangling_aliases(module, importlib.import_module(module.path), loader)
        tensor = importlib.import_module("tensorgrad").Tensor
        _replace_dangling_aliases(pkg["tensor.Tensor"], tensor, loader)
        for module in _modules_of(pkg):
            for obj in _objects_in(module):
                _tidy(obj)


def _attach_subpackages(pkg: griffe.Module, loader: griffe.GriffeLoader) -> None:
    folders = {name: Path(importlib.import_module(name).__file__).parent for name in SUBPACKAGES}
    for name, folder in folders.items():
        inside = [other for other in folders.values() if other.parent == folder]
        top = name.split(".", 1)[1]
        for parts, path in _module_files(folder, skip=inside):
            parent = pkg.get_member(".".join([top, *parts[:-1]])) if parts else pkg
            module = griffe.inspect(
                parts[-1] if parts else top,
                filepath=path,
                parent=parent,
                extensions=loader.extensions,
                docstring_parser=loader.docstring_parser,
                docstring_options=loader.docstring_options,
                lines_collection=loader.lines_collection,
                modules_collection=loader.modules_collection,
            )
            parent.set_member(module.name, module)


def _module_files(folder: Path, skip: list[Path]) -> list[tuple[tuple[str, ...], Path]]:
    """(name parts below ``folder``, file) for each module in it, parents before children."""
    found = []
    for path in folder.rglob("*.py"):
        if any(path.is_relative_to(other) for other in skip):
            continue
        relative = path.relative_to(folder).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found.append((parts, path))
    return sorted(found, key=lambda item: (len(item[0]), item[0]))


def _modules_of(module: griffe.Module):
    """``module`` and all its submodules (not aliases to modules elsewhere)."""
    yield module
    for member in module.members.values():
        if not member.is_alias and member.is_module:
            yield from _modules_of(member)


def _drop_special_members(cls: griffe.Class) -> None:
    """Remove ``__doc__``, ``__module__``, operators… (all but ``__init__``) from ``cls``.

    Inspection lists them as members, and griffe counts special names as public. Setting
    ``public`` would not reach the pages: a class shown through an alias (``tensorgrad.nn.ReLU``
    for ``tensorgrad.nn.activation.ReLU``) gets fresh aliases of its members.
    """
    for name in list(cls.members):
        member = cls.members[name]
        if name.startswith("__") and name.endswith("__") and name != "__init__":
            cls.del_member(name)
        elif not member.is_alias and member.is_class:
            _drop_special_members(member)


_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _replace_dangling_aliases(container, runtime, loader: griffe.GriffeLoader) -> None:
    """Public aliases of ``container`` that resolve to nothing become functions built from the
    object ``runtime`` (the live module or class) holds under that name."""
    for name, member in list(container.members.items()):
        if name.startswith("_") or not member.is_alias:
            continue
        try:
            member.final_target  # noqa: B018 - resolving is the test
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            value = getattr(runtime, name, None)
            if callable(value) and getattr(value, "__module__", "").startswith("tensorgrad"):
                public = member.public
                container.set_member(name, _function(name, value, loader))
                container.members[name].public = public


def _function(name: str, value, loader: griffe.GriffeLoader) -> griffe.Function:
    """A griffe Function with the signature and docstring of the live ``value``."""
    parameters = []
    for parameter in inspect.signature(value).parameters.values():
        annotation = parameter.annotation
        parameters.append(
            griffe.Parameter(
                parameter.name,
                kind=_KINDS[parameter.kind],
                annotation=None if annotation is parameter.empty else str(annotation),
                default=None if parameter.default is parameter.empty else repr(parameter.default),
            )
        )
    function = griffe.Function(name, parameters=griffe.Parameters(*parameters))
    text = inspect.getdoc(value)
    if text:
        function.docstring = griffe.Docstring(
            text,
            parent=function,
            parser=loader.docstring_parser,
            parser_options=loader.docstring_options,
        )
    return function


def _objects_in(obj):
    """``obj`` and every object defined in it (not aliases), depth first."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias and not member.is_module:
            yield from _objects_in(member)


def _role(match: re.Match) -> str:
    name = match.group(2)
    return f"`{name.rsplit('.', 1)[-1] if match.group(1) else name}`"


def _tidy(obj) -> None:
    """Sphinx roles to inline code in the docstring; sentinel defaults to ``...``."""
    if obj.docstring is not None:
        obj.docstring.value = SPHINX_ROLE.sub(_role, obj.docstring.value)
    for parameter in getattr(obj, "parameters", ()):
        if isinstance(parameter.default, str) and SENTINEL.match(parameter.default):
            parameter.default = "..."
