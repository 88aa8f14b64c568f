"""``save`` and ``load``: state dicts on disk in the safetensors format (never pickle).

A file holds named tensors plus string metadata, nothing executable, so loading an untrusted
file cannot run code. A flat ``{name: Tensor}`` dict (a model's ``state_dict()``) is written as
exactly that, so the file opens in PyTorch with ``safetensors.torch.load_file`` and feeds
``model.load_state_dict``; files written by ``safetensors.torch.save_file`` load here.

Anything else that is a dict — nested dicts, lists and tuples, and plain values such as an
optimizer's hyperparameters (None, bool, int, float, str) — is stored too: each tensor under its
path joined with ``.`` (``"state.0.exp_avg"``, the way PyTorch names nested state), and the
structure with the plain values as JSON in the metadata entry ``"tensorgrad.tree"``, from
which :func:`load` rebuilds the original object (int keys and tuples included). Other Python
objects are rejected with a TypeError naming their key.

Needs the ``safetensors`` package: ``pip install "tensorgrad[io]"``.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

from ._creation import from_numpy
from .tensor import Tensor

__all__ = ["save", "load"]

_TREE_KEY = "tensorgrad.tree"
_PLAIN = (type(None), bool, int, float, str)
_SUPPORTED_DTYPES = {"F16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "BOOL"}


def _safetensors():
    """The safetensors package, or an ImportError that says how to install it."""
    try:
        import safetensors
        import safetensors.numpy
    except ImportError as error:
        raise ImportError(
            "tensorgrad.save / tensorgrad.load need the safetensors package: "
            'pip install "tensorgrad[io]"'
        ) from error
    return safetensors


def _flatten(value, name: str, tensors: dict[str, Any]):
    """Collect the tensors under ``value`` into ``tensors``; return its JSON tree node."""
    if isinstance(value, Tensor):
        if name in tensors:
            raise ValueError(f"save: two entries are both stored under the name {name!r}")
        array = value._data  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        tensors[name] = array if array.flags.c_contiguous else array.copy(order="C")
        return {"tensor": name}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(
                    f"save: dict keys must be str or int, got {type(key).__name__} {key!r}"
                    f"{f' in {name!r}' if name else ''}"
                )
            items.append([key, _flatten(item, f"{name}.{key}" if name else str(key), tensors)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_flatten(item, f"{name}.{i}", tensors) for i, item in enumerate(value)]}
    if isinstance(value, _PLAIN):
        return {"value": value}
    raise TypeError(
        f"save: cannot store {name!r} of type {type(value).__name__}: only Tensors, dicts, "
        f"lists, tuples and None/bool/int/float/str values can be saved (no pickling)"
    )


def _rebuild(node, tensors: dict[str, Tensor]):
    """The object a tree node from :func:`_flatten` describes."""
    if "tensor" in node:
        return tensors[node["tensor"]]
    if "dict" in node:
        return {key: _rebuild(item, tensors) for key, item in node["dict"]}
    if "list" in node:
        return [_rebuild(item, tensors) for item in node["list"]]
    if "tuple" in node:
        return tuple(_rebuild(item, tensors) for item in node["tuple"])
    return node["value"]


def save(obj: dict[str, Any], f: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict: tensors, possibly nested) to the file ``f`` (safetensors).

    The file is written whole to a temporary file in the same folder and then renamed over
    ``f``, so a failure never leaves a partial file behind.
    """
    if not isinstance(obj, dict):
        raise TypeError(
            f"save: expected a dict (a state dict) of tensors, got {type(obj).__name__}; "
            f"wrap a single tensor as {{'name': tensor}}"
        )
    safetensors = _safetensors()
    tensors: dict[str, Any] = {}
    tree = _flatten(obj, "", tensors)
    flat = all(isinstance(key, str) and isinstance(v, Tensor) for key, v in obj.items())
    metadata = None if flat else {_TREE_KEY: json.dumps(tree)}
    data = safetensors.numpy.save(tensors, metadata=metadata)

    path = os.fspath(f)
    folder, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder of {path!r} does not exist")
    temporary = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _not_safetensors(path: str, reason: str) -> RuntimeError:
    with open(path, "rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    hint = (
        " It looks like a torch.save (pickle/zip) file: tensorgrad never unpickles; in "
        "PyTorch, re-save it with safetensors.torch.save_file(model.state_dict(), path)."
        if is_zip
        else ""
    )
    return RuntimeError(f"load: {path!r} is not a safetensors file ({reason}).{hint}")


def load(
    f: str | os.PathLike, map_location: str | None = None, weights_only: bool = True
) -> dict[str, Any]:
    """Read a file written by :func:`save` (or by ``safetensors.torch.save_file``).

    Returns a dict of Tensors (``{name: Tensor}``), or the nested object that was saved.
    ``map_location`` may only be None or ``"cpu"``; ``weights_only`` is accepted for PyTorch
    compatibility: loading never runs code, whatever its value.
    """
    if map_location not in (None, "cpu"):
        raise ValueError(f"load: map_location must be None or 'cpu', got {map_location!r}")
    safetensors = _safetensors()
    path = os.fspath(f)
    try:
        handle = safetensors.safe_open(path, framework="numpy")
    except safetensors.SafetensorError as error:
        raise _not_safetensors(path, str(error)) from None
    with handle:
        metadata = handle.metadata() or {}
        tensors = {}
        for name in handle.keys():  # noqa: SIM118 - safe_open is not a Mapping
            dtype = handle.get_slice(name).get_dtype()
            if dtype not in _SUPPORTED_DTYPES:
                raise TypeError(
                    f"load: tensor {name!r} in {path!r} has dtype {dtype}, which tensorgrad "
                    f"does not support; convert it (e.g. to float32) before saving"
                )
            array = handle.get_tensor(name)
            tensors[name] = from_numpy(array if array.flags.writeable else array.copy())
    if _TREE_KEY not in metadata:
        return tensors
    try:
        tree = json.loads(metadata[_TREE_KEY])
    except json.JSONDecodeError as error:
        raise RuntimeError(f"load: {path!r} has a corrupt {_TREE_KEY!r} entry: {error}") from None
    return _rebuild(tree, tensors)
