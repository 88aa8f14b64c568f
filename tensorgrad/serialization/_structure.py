"""What ``save`` can store besides tensors, and how: the object as a JSON tree.

Each tensor (and NumPy array) goes into the file under its path in the object, joined with
``.`` (``"state.0.exp_avg"``, as PyTorch names nested state); the tree, kept in the metadata
entry ``"tensorgrad.tree"``, records where each one sits and every other value:

==============================  ===============================================================
value                           node
==============================  ===============================================================
Tensor                          ``{"tensor": name}`` (+ ``"requires_grad": true``, and
                                ``"location": "cuda:0"`` off the CPU)
NumPy array / NumPy scalar      ``{"ndarray": name}`` (+ ``"scalar": true``)
None, bool, int, str, float     ``{"value": v}`` (a float that is not finite: ``{"float": "inf"}``)
complex                         ``{"complex": [real, imag]}``
bytes / bytearray               ``{"bytes": base64}`` / ``{"bytearray": base64}``
dict, OrderedDict, Counter      ``{"dict": [[key, node], ...]}``, ``{"OrderedDict": [...]}``…
list / tuple / set              ``{"list": [node, ...]}`` / ``{"tuple": ...}`` / ``{"set": ...}``
tensorgrad.dtype / .device      ``{"dtype": "float32"}`` / ``{"device": "cpu"}``
==============================  ===============================================================

A str or int dict key is written as itself, any other key (None, bool, float, complex, bytes,
tuple, dtype, device) as its node. That is PyTorch's ``weights_only`` list plus NumPy arrays;
anything else (a Module, a function, an arbitrary class) is refused when saving, so loading
never has to create an object of a type the file names.

A tensor's data is always written from host memory (a device tensor is copied back first);
its device is kept as ``"location"`` (PyTorch's word), which ``load`` restores by default.
"""

from __future__ import annotations

import base64
import math
from collections import Counter, OrderedDict

import numpy as np

from .._backend import to_host
from .._device import device
from .._dtypes import as_dtype, dtype
from ..tensor import Tensor
from ._safetensors import code_of

__all__ = ["TREE_KEY", "flatten", "rebuild", "StructureError"]

TREE_KEY = "tensorgrad.tree"
_RESERVED_NAME = "__metadata__"  # the format's own key; no tensor may be called that
_SCALARS = (type(None), bool, int, str)
_KEY_TYPES = (*_SCALARS, float, complex, bytes, dtype, device)
_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_KINDS = {
    "tensor", "ndarray", "value", "float", "complex", "bytes", "bytearray", "dict",
    "OrderedDict", "Counter", "list", "tuple", "set", "dtype", "device",
}  # fmt: skip


def _float(value: float):
    return value if math.isfinite(value) else str(value)  # "nan", "inf", "-inf"


def _what(value) -> str:
    kind = type(value)
    return (
        kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    )


class _Flattener:
    """Walks the object once, collecting arrays and building the tree."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.open: set[int] = set()  # containers on the current path (to catch cycles)

    def name(self, path: str) -> str:
        """``path``, or ``path#2``, ``path#3``… when taken (or the reserved name)."""
        base = path or "tensor"
        name, count = base, 1
        while name in self.arrays or name == _RESERVED_NAME:
            count += 1
            name = f"{base}#{count}"
        return name

    def array(self, array: np.ndarray, path: str) -> str:
        if code_of(array.dtype) is None:
            raise TypeError(
                f"save: cannot store {path or 'the object'!r}: NumPy dtype {array.dtype} has no "
                f"safetensors equivalent (bool, integer and float16/32/64 arrays can be saved)"
            )
        name = self.name(path)
        self.arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
        return name

    def key(self, key, path: str):
        """A dict key or set element: itself if str or int, else a node."""
        if type(key) in (str, int):
            return key
        if type(key) is tuple:
            return {"tuple": [self.key(item, path) for item in key]}
        if type(key) not in _KEY_TYPES:
            raise TypeError(
                f"save: cannot store a key of type {_what(key)} in {path or 'the object'!r}: "
                f"dict keys and set elements must be str, int, float, bool, None, complex, "
                f"bytes, tensorgrad dtypes or devices, or tuples of these"
            )
        return self.value(key, path)

    def value(self, value, path: str):
        """The tree node of ``value``, found at ``path``."""
        kind = type(value)
        if isinstance(value, Tensor):
            data = value._data
            node = {"tensor": self.array(data if type(data) is np.ndarray else to_host(data), path)}
            if value.requires_grad:
                node["requires_grad"] = True
            if type(data) is not np.ndarray:
                node["location"] = str(value.device)
            return node
        if isinstance(value, (np.ndarray, np.generic)):
            if isinstance(value, np.generic):
                return {"ndarray": self.array(np.asarray(value), path), "scalar": True}
            return {"ndarray": self.array(value, path)}
        if kind in _SCALARS:
            return {"value": value}
        if kind is float:
            return {"value": value} if math.isfinite(value) else {"float": str(value)}
        if kind is complex:
            return {"complex": [_float(value.real), _float(value.imag)]}
        if kind in (bytes, bytearray):
            return {kind.__name__: base64.b64encode(value).decode("ascii")}
        if kind is dtype:
            return {"dtype": value.name}
        if kind is device:
            return {"device": str(value)}
        if kind in (dict, OrderedDict, Counter, list, tuple, set):
            if id(value) in self.open:
                raise ValueError(f"save: {path or 'the object'!r} contains itself (a cycle)")
            self.open.add(id(value))
            try:
                return self.container(value, path)
            finally:
                self.open.discard(id(value))
        hint = (
            "; save its state_dict() instead (tensorgrad.save(model.state_dict(), f))"
            if hasattr(value, "state_dict")
            else ""
        )
        raise TypeError(
            f"save: cannot store {path or 'the object'!r} of type {_what(value)}: tensorgrad "
            f"saves tensors, NumPy arrays, numbers, strings, bytes, None, and dicts, lists, "
            f"tuples and sets of these, never pickled objects{hint}"
        )

    def container(self, value, path: str):
        prefix = f"{path}." if path else ""
        if isinstance(value, dict):
            items = [
                [self.key(key, path), self.value(item, f"{prefix}{key}")]
                for key, item in value.items()
            ]
            return {type(value).__name__: items}
        if isinstance(value, set):
            return {"set": [self.key(item, path) for item in value]}
        kind = type(value).__name__
        return {kind: [self.value(item, f"{prefix}{i}") for i, item in enumerate(value)]}


def flatten(obj) -> tuple[dict | None, dict[str, np.ndarray]]:
    """(tree, {name: array}) for ``obj``; the tree is None for a plain ``{str: Tensor}`` dict
    of CPU tensors (the file is then exactly what ``safetensors.torch.save_file`` would
    write; with device tensors, the tree keeps their locations)."""
    plain = type(obj) is dict and all(
        type(key) is str
        and key != _RESERVED_NAME
        and isinstance(item, Tensor)
        and not item.requires_grad
        and type(item._data) is np.ndarray
        for key, item in obj.items()
    )
    flattener = _Flattener()
    try:
        tree = flattener.value(obj, "")
    except RecursionError:
        raise ValueError("save: the object is nested too deeply to be saved") from None
    return (None if plain else tree), flattener.arrays


# ----------------------------------------------------------------------------------- rebuild
class StructureError(RuntimeError):
    """The tree in a file's metadata does not describe a valid object."""


class _Builder:
    def __init__(self, arrays: dict, make_tensor) -> None:
        self.arrays = arrays
        self.make_tensor = make_tensor
        self.tensors: dict[str, Tensor] = {}

    def stored(self, name, what: str):
        if not isinstance(name, str) or name not in self.arrays:
            raise StructureError(f"it refers to {what} {name!r}, which the file does not hold")
        return self.arrays[name]

    def key(self, node):
        if type(node) in (str, int):
            return node
        if isinstance(node, dict) and list(node) == ["tuple"]:  # its items are keys too
            return tuple(self.key(item) for item in self.sequence(node, "tuple"))
        key = self.value(node)
        try:
            hash(key)
        except TypeError:
            raise StructureError(f"a dict key or set element is a {_what(key)}") from None
        return key

    def sequence(self, node, kind: str) -> list:
        items = node[kind]
        if not isinstance(items, list):
            raise StructureError(f"a {kind!r} node holds a {_what(items)}, not a list")
        return items

    def value(self, node):
        kinds = [key for key in node if key in _KINDS] if isinstance(node, dict) else []
        if len(kinds) != 1:
            raise StructureError(f"a node is {node!r}, not an object of one known kind")
        kind = kinds[0]
        if kind == "tensor":
            name = node["tensor"]
            if name not in self.tensors:
                location = node.get("location", "cpu")
                if not isinstance(location, str):
                    raise StructureError(f"tensor {name!r} has location {location!r}")
                self.tensors[name] = self.make_tensor(
                    name, self.stored(name, "tensor"), node.get("requires_grad") is True, location
                )
            return self.tensors[name]
        if kind == "ndarray":
            array = self.stored(node["ndarray"], "array")
            if isinstance(array, str):
                raise StructureError(f"array {node['ndarray']!r} has dtype {array}")
            if node.get("scalar") is True:
                if array.ndim:
                    raise StructureError(f"scalar {node['ndarray']!r} has shape {array.shape}")
                return array[()]
            return array
        if kind == "value":
            value = node["value"]
            if not isinstance(value, (type(None), bool, int, float, str)):
                raise StructureError(f"a 'value' node holds a {_what(value)}")
            return value
        if kind == "float":
            return self.number(node["float"])
        if kind == "complex":
            parts = node["complex"]
            if not isinstance(parts, list) or len(parts) != 2:
                raise StructureError(f"a 'complex' node holds {parts!r}")
            return complex(self.number(parts[0]), self.number(parts[1]))
        if kind in ("bytes", "bytearray"):
            try:
                data = base64.b64decode(node[kind], validate=True)
            except (TypeError, ValueError):
                raise StructureError(f"a {kind!r} node is not base64 text") from None
            return data if kind == "bytes" else bytearray(data)
        if kind in ("dict", "OrderedDict", "Counter"):
            result = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}[kind]()
            for pair in self.sequence(node, kind):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise StructureError(f"a {kind!r} item is {pair!r}, not a [key, value] pair")
                result[self.key(pair[0])] = self.value(pair[1])
            return result
        if kind in ("list", "tuple"):
            items = [self.value(item) for item in self.sequence(node, kind)]
            return items if kind == "list" else tuple(items)
        if kind == "set":
            return {self.key(item) for item in self.sequence(node, kind)}
        if kind == "dtype":
            try:
                return as_dtype(node["dtype"])
            except (TypeError, ValueError, KeyError):
                raise StructureError(f"unknown dtype {node['dtype']!r}") from None
        if kind == "device":
            try:
                return device(node["device"])
            except (TypeError, RuntimeError):
                raise StructureError(f"unknown device {node['device']!r}") from None

    def number(self, value) -> float:
        if isinstance(value, str) and value in _FLOAT_WORDS:
            return _FLOAT_WORDS[value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise StructureError(f"{value!r} is not a number")


def rebuild(tree, arrays: dict, make_tensor):
    """The object ``tree`` describes; ``make_tensor(name, array, requires_grad, location)``
    makes each Tensor (once per name; ``location`` is the device it was saved from, a str)."""
    try:
        return _Builder(arrays, make_tensor).value(tree)
    except RecursionError:
        raise StructureError("it is nested too deeply") from None
