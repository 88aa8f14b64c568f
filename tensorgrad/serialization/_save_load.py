"""``save`` and ``load``: where the bytes go (paths, symlinks, open files) and what ``load``'s
PyTorch arguments mean here (``map_location``, ``mmap``, ``weights_only``).

Devices, decided as PyTorch users expect: ``save`` writes every tensor's data from host
memory (a GPU tensor is copied back), and records the device of each tensor not on the CPU
(a ``"location"`` in the file's structure metadata, the word ``torch.load`` uses; safetensors
itself has no device field). ``load`` then puts each tensor back where it was saved, as
``torch.load`` does, unless ``map_location`` says otherwise; a file saved from a GPU on a
machine without one raises, naming ``map_location="cpu"`` as the way out (PyTorch's advice).
A plain ``{str: Tensor}`` dict of CPU tensors stays a metadata-free file, exactly what
``safetensors.torch.save_file`` writes; the same dict of GPU tensors carries their locations
and still opens in any safetensors reader (which loads it on the CPU, as it loads any file).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import stat
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from .._backend import resolve_device
from .._creation import from_numpy
from .._device import DeviceUnavailableError, device
from ..tensor import Tensor
from . import _safetensors
from ._structure import TREE_KEY, StructureError, flatten, rebuild

__all__ = ["save", "load"]

_UNPICKLER_ARGUMENTS = {"encoding", "errors", "fix_imports", "buffers"}


# -------------------------------------------------------------------------------------- save
def save(
    obj: Any,
    f: str | os.PathLike | IO[bytes],
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
) -> None:
    """Write ``obj`` to ``f`` (a path or a binary file object) in the safetensors format.

    ``obj`` may be anything ``torch.load(weights_only=True)`` reads back — Tensors; dicts,
    OrderedDicts, Counters, lists, tuples and sets of them; numbers (bool, int, float,
    complex), strings, bytes, None, dtypes and devices (a state dict, an optimizer's state
    dict, a whole checkpoint) — and NumPy arrays and scalars. A plain ``{str: Tensor}`` dict is
    written as a plain safetensors file (its tensors, in order, and no metadata); anything
    richer keeps its structure in the file's metadata (see ``_structure``), and ``safetensors``
    readers still see its tensors, named by their path (``"state.0.exp_avg"``). Nothing is
    pickled: any other object raises a TypeError (for a Module: save its ``state_dict()``).
    *Decision:* PyTorch pickles such objects and refuses them when loading; refusing them when
    saving tells the user while the object is still at hand.

    A path is written whole to a temporary file beside it, then renamed over it, so a failure
    never leaves a partial file. Through a symlink, the link's target is replaced (the link
    stays) and keeps its permission bits. ``pickle_module``, ``pickle_protocol`` and the
    underscored options are accepted for PyTorch compatibility and change nothing.

    Example: ``tensorgrad.save({"model": model.state_dict(), "step": 100}, "ckpt.safetensors")``
    """
    tree, arrays = flatten(obj)
    metadata = None if tree is None else {TREE_KEY: json.dumps(tree, allow_nan=False)}
    named = list(arrays.items())
    if isinstance(f, (str, bytes, os.PathLike)):
        _save_to_path(os.fsdecode(os.fspath(f)), named, metadata)
        return
    if not callable(getattr(f, "write", None)):
        raise AttributeError(
            f"save: expected f to be a path or a file object with a 'write' method, got "
            f"{type(f).__name__}"
        )
    if isinstance(f, io.TextIOBase):
        raise TypeError("save: f is a text file; open it in binary mode ('wb')")
    _safetensors.write(f.write, named, metadata)


def _save_to_path(path: str, arrays: list, metadata: dict | None) -> None:
    target = os.path.realpath(path)  # through a symlink: replace its target, as open() would
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {path!r} is a directory")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder of {path!r} ({folder!r}) does not exist")
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    temporary = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    try:
        handle = open(temporary, "xb")  # noqa: SIM115 - closed below, removed on failure
    except PermissionError:  # a writable file in a folder we may not add to: write in place
        with open(target, "wb") as handle:
            _safetensors.write(handle.write, arrays, metadata)
        return
    try:
        with handle:
            _safetensors.write(handle.write, arrays, metadata)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is not None:
            os.chmod(temporary, stat.S_IMODE(existing.st_mode))
            owner = (existing.st_uid, existing.st_gid)
            if hasattr(os, "chown") and owner != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):
                    os.chown(temporary, *owner)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# -------------------------------------------------------------------------------------- load
def load(
    f: str | os.PathLike | IO[bytes],
    map_location: str | device | dict | Callable | None = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Read an object written by :func:`save`, or any safetensors file (a dict of tensors).

    Args:
        f: a path, or a binary file object read from its current position to the end.
        map_location: where tensors go, as in PyTorch. None: back onto the device each was
            saved from (``"cpu"``, ``"cuda:0"``…; one this machine lacks raises the error any
            use of it raises). A device string or ``tensorgrad.device``: every tensor there.
            A dict from saved to wanted location (``{"cuda:0": "cpu"}``; a location it does
            not name is kept). A callable ``(tensor, location) -> Tensor`` given each tensor
            on the CPU and the location it was saved from (returning None restores it there).
        mmap: map the file into memory instead of reading it (``f`` must be a path); tensors
            are then copy-on-write views of the file.
        weights_only, pickle_module, pickle_load_args: accepted for PyTorch compatibility.
            Loading never runs code, whatever their values: there is nothing to unpickle.

    Returns the saved object with its key order and container types; tensors are Tensors (a
    leaf that required grad still does, as in PyTorch; a Parameter comes back as such a
    Tensor), NumPy arrays come back as NumPy arrays.

    Raises:
        RuntimeError: ``load: …`` for a file that is not valid safetensors, or whose
            structure metadata is malformed (it names what is wrong).
        TypeError: for a tensor whose dtype tensorgrad has no equivalent for (bfloat16…).
    """
    unknown = sorted(set(pickle_load_args) - _UNPICKLER_ARGUMENTS)
    if unknown:
        raise TypeError(f"load() got an unexpected keyword argument {unknown[0]!r}")
    relocate = _relocation(map_location)
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(os.fspath(f))
        where = repr(path)
        buffer = _map(path) if mmap else _read(path)
    elif callable(getattr(f, "read", None)):
        if mmap:
            raise ValueError("load: f must be a file path in order to use the mmap argument")
        if isinstance(f, io.TextIOBase):
            raise TypeError("load: f is a text file; open it in binary mode ('rb')")
        where = "the file object" if getattr(f, "name", None) is None else repr(f.name)
        buffer = _safetensors.read_all(f)
    else:
        raise AttributeError(
            f"load: expected f to be a path or a file object with a 'read' method, got "
            f"{type(f).__name__}"
        )
    try:
        arrays, metadata = _safetensors.read(buffer, where)
    except _safetensors.FormatError as error:
        raise RuntimeError(f"{error}{_foreign_format_hint(buffer)}") from None

    def make_tensor(name: str, array, requires_grad: bool, location: str = "cpu") -> Tensor:
        if isinstance(array, str) or array.dtype.kind == "u" and array.dtype.itemsize > 1:
            code = array if isinstance(array, str) else _safetensors.code_of(array.dtype)
            raise TypeError(
                f"load: tensor {name!r} in {where} has dtype {code}, which tensorgrad does not "
                f"support; convert it (e.g. to float32) before saving"
            )
        tensor = relocate(from_numpy(array), location)
        if requires_grad and tensor.dtype.is_floating_point:
            tensor.requires_grad_(True)  # after the move: a leaf, as it was saved
        return tensor

    if TREE_KEY not in metadata:
        return {name: make_tensor(name, array, False) for name, array in arrays.items()}
    try:
        tree = json.loads(metadata[TREE_KEY])
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise RuntimeError(f"load: {where} has a malformed {TREE_KEY!r} entry: {error}") from None
    try:
        return rebuild(tree, arrays, make_tensor)
    except StructureError as error:
        raise RuntimeError(f"load: {where} has a malformed {TREE_KEY!r} entry: {error}") from None


def _read(path: str) -> bytearray:
    with open(path, "rb") as handle:
        return _safetensors.read_all(handle)


def _map(path: str):
    size = os.path.getsize(path)
    if size == 0:  # mmap cannot map an empty file; the reader says what is wrong with it
        return bytearray()
    return np.memmap(path, dtype=np.uint8, mode="c")  # copy-on-write: tensors stay writable


def _foreign_format_hint(buffer) -> str:
    start = bytes(buffer[:4])
    if start == b"PK\x03\x04" or start[:1] == b"\x80":
        return (
            ". It looks like a torch.save (pickle) file: tensorgrad never unpickles; in "
            "PyTorch, re-save it with safetensors.torch.save_file(model.state_dict(), path)"
        )
    return ""


def _restore(tensor: Tensor, location, saved: bool = False) -> Tensor:
    """``tensor`` (just read, on the CPU) on ``location`` (a device or its name); ``saved``:
    ``location`` is where the file says it was saved from (not the user's map_location)."""
    if location == "cpu":
        return tensor
    try:
        target = resolve_device(location, "load")
    except DeviceUnavailableError as error:
        if not saved:  # the user's own map_location: its plain error
            raise
        raise DeviceUnavailableError(
            f"{error}. The file's tensors were saved on '{location}': pass "
            f"map_location='cpu' to load them onto the CPU"
        ) from None
    return tensor if target.type == "cpu" else tensor.to(target)


def _relocation(map_location) -> Callable[[Tensor, str], Tensor]:
    """What ``map_location`` does to each loaded tensor, given the location it was saved from.

    As in PyTorch, a device that cannot hold data is refused when the first tensor is loaded
    (a file without tensors loads anywhere); a map_location of the wrong type at once.
    """
    if map_location is None:
        return lambda tensor, saved: _restore(tensor, saved, saved=True)

    if isinstance(map_location, dict):  # saved location → wanted one
        wanted = {str(source): target for source, target in map_location.items()}

        def remap(tensor: Tensor, saved: str) -> Tensor:
            if saved in wanted:
                return _restore(tensor, wanted[saved])
            return _restore(tensor, saved, saved=True)

        return remap
    if isinstance(map_location, (str, device)):
        target = map_location
        return lambda tensor, saved: _restore(tensor, target)
    if callable(map_location):
        function = map_location

        def relocate(tensor: Tensor, saved: str) -> Tensor:
            moved = function(tensor, saved)
            if moved is None:  # PyTorch's "restore it where it was"
                return _restore(tensor, saved, saved=True)
            if not isinstance(moved, Tensor):
                raise TypeError(
                    f"load: map_location returned {type(moved).__name__}; it must return a "
                    f"Tensor (or None to restore the tensor where it was saved)"
                )
            return moved

        return relocate
    raise TypeError(
        f"load: map_location must be a str, a tensorgrad.device, a dict or a callable, got "
        f"{type(map_location).__name__}"
    )
