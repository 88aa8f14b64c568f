"""The safetensors file format, written and read with NumPy alone, and checked as it is read.

A file is an 8-byte little-endian header length N, N bytes of JSON, then the tensors' bytes
back to back:

    {"__metadata__": {str: str},                                  (optional)
     name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}

Offsets count from the end of the header; the tensors must cover the data exactly, with no
gap and nothing after the last one. The reader keeps the header's order of names (the writer
writes them in the order given), so keys come back in the order they were saved.

Every check a hostile file could fail is made before any array is built, and each failure is
a ``RuntimeError`` starting with ``load:`` — never a NumPy error from deep inside, never a
silently wrong array.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

__all__ = ["FormatError", "MAX_HEADER_SIZE", "NUMPY_DTYPES", "code_of", "write", "read", "read_all"]

# The reference implementation refuses headers over 100 MB; so do we, both ways.
MAX_HEADER_SIZE = 100_000_000

# safetensors dtype code ↔ NumPy dtype (little-endian, as the format stores them).
NUMPY_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in NUMPY_DTYPES.items()}
# Codes of the format that NumPy has no dtype for: a file may hold them, we cannot load them.
FOREIGN_DTYPES = {"BF16", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"}


def code_of(dtype: np.dtype) -> str | None:
    """The safetensors code of a NumPy dtype (None if the format has none)."""
    return _CODES.get(dtype.newbyteorder("="))


# ----------------------------------------------------------------------------------- write
def write(write_bytes: Callable, arrays: list[tuple[str, np.ndarray]], metadata: dict | None):
    """Write ``arrays`` (name, C-contiguous array) and ``metadata`` through ``write_bytes``.

    The header lists the names in the order given; the data is laid out by descending item
    size (then in that order), as the reference writer does, so every tensor is aligned.
    """
    order = sorted(range(len(arrays)), key=lambda i: -arrays[i][1].dtype.itemsize)
    offsets, position = {}, 0
    for i in order:
        offsets[i] = (position, position + arrays[i][1].nbytes)
        position += arrays[i][1].nbytes
    header: dict = {} if metadata is None else {"__metadata__": metadata}
    for i, (name, array) in enumerate(arrays):
        header[name] = {
            "dtype": code_of(array.dtype),
            "shape": list(array.shape),
            "data_offsets": list(offsets[i]),
        }
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned
    if len(text) > MAX_HEADER_SIZE:
        raise ValueError(
            f"save: the file's header would be {len(text) / 1e6:.0f} MB, over the "
            f"{MAX_HEADER_SIZE // 1_000_000} MB that safetensors readers accept; store large "
            f"lists of numbers as a tensor"
        )
    write_bytes(len(text).to_bytes(8, "little"))
    write_bytes(text)
    for i in order:
        array = arrays[i][1].astype(arrays[i][1].dtype.newbyteorder("<"), copy=False)
        if array.size:
            write_bytes(array.reshape(-1).view(np.uint8).data)


# ------------------------------------------------------------------------------------ read
class FormatError(RuntimeError):
    """A file that breaks the format (the message says where and how)."""


def _unique_pairs(pairs: list) -> dict:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise FormatError(f"the header names {twice[0]!r} twice")
    return dict(pairs)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_header(buffer) -> tuple[dict, dict, int]:
    """(entries by name, metadata, start of the data) from the first bytes of ``buffer``."""
    size = len(buffer)
    if size < 8:
        raise FormatError(f"it is {size} bytes long, too short for the 8-byte header length")
    length = int.from_bytes(bytes(buffer[:8]), "little")
    if length > MAX_HEADER_SIZE:
        raise FormatError(
            f"its header length field says {length} bytes, over the "
            f"{MAX_HEADER_SIZE // 1_000_000} MB limit"
        )
    if 8 + length > size:
        raise FormatError(
            f"its header length field says {length} bytes but only {size - 8} follow "
            f"(truncated file?)"
        )
    try:
        text = bytes(buffer[8 : 8 + length]).decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(f"its header is not UTF-8 text ({error.reason})") from None
    if not text.startswith("{"):
        raise FormatError("its header is not a JSON object")
    try:
        header = json.loads(text, object_pairs_hook=_unique_pairs)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise FormatError(f"its header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise FormatError("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError("its '__metadata__' entry is not a map of strings to strings")
    return header, metadata, 8 + length


def _check_entry(name: str, entry) -> None:
    if not isinstance(entry, dict):
        raise FormatError(f"its header entry for tensor {name!r} is not a JSON object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str):
        raise FormatError(f"tensor {name!r} has no dtype string")
    if dtype not in NUMPY_DTYPES and dtype not in FOREIGN_DTYPES:
        raise FormatError(f"tensor {name!r} has the unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise FormatError(f"tensor {name!r} has an invalid shape {shape!r}")
    if len(shape) > 64:
        raise FormatError(f"tensor {name!r} has {len(shape)} dimensions (at most 64)")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_count(o) for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise FormatError(f"tensor {name!r} has invalid data_offsets {offsets!r}")
    if dtype in NUMPY_DTYPES:
        needed = int(np.prod(shape, dtype=object)) * NUMPY_DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != needed:
            raise FormatError(
                f"tensor {name!r} has shape {tuple(shape)} and dtype {dtype} ({needed} bytes) "
                f"but data_offsets {offsets} ({offsets[1] - offsets[0]} bytes)"
            )


def _check_layout(entries: dict, data_size: int) -> None:
    """The tensors must cover the data exactly: back to back from 0, nothing after."""
    position = 0
    for name, entry in sorted(entries.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = entry["data_offsets"]
        if begin != position:
            raise FormatError(
                f"tensor {name!r} starts at byte {begin} of the data, expected {position} "
                f"(tensors must be stored back to back)"
            )
        position = end
    if position != data_size:
        problem = "truncated file?" if position > data_size else "trailing bytes"
        raise FormatError(
            f"its tensors need {position} bytes of data but the file holds {data_size} ({problem})"
        )


def read(buffer, where: str) -> tuple[dict[str, np.ndarray | str], dict[str, str]]:
    """Read a whole safetensors file held in ``buffer`` (bytearray or uint8 memmap).

    Returns ({name: array} in the header's order, metadata). Arrays are views of ``buffer``
    (writable when it is). A tensor whose dtype NumPy has no equivalent for is given as its
    dtype code (a ``str``) instead of an array.
    """
    try:
        entries, metadata, start = _parse_header(buffer)
        for name, entry in entries.items():
            _check_entry(name, entry)
        _check_layout(entries, len(buffer) - start)
    except FormatError as error:
        raise FormatError(f"load: {where} is not a valid safetensors file: {error}") from None
    arrays: dict[str, np.ndarray | str] = {}
    for name, entry in entries.items():
        code, shape, (begin, _) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
        if code in FOREIGN_DTYPES:
            arrays[name] = code
            continue
        dtype = NUMPY_DTYPES[code]
        count = int(np.prod(shape, dtype=object))
        try:
            if count == 0:
                array = np.empty(shape, dtype.newbyteorder("="))
            else:
                array = np.frombuffer(buffer, dtype, count, start + begin).reshape(shape)
        except (ValueError, MemoryError) as error:
            raise FormatError(f"load: {where}: tensor {name!r} of shape {shape}: {error}") from None
        if code == "BOOL" and count and array.view(np.uint8).max() > 1:
            raise FormatError(f"load: {where}: tensor {name!r} has BOOL bytes other than 0 and 1")
        if not array.dtype.isnative or not array.flags.aligned:  # big-endian host, odd offset
            array = array.astype(dtype.newbyteorder("="))
        arrays[name] = array
    return arrays, metadata


def read_all(file) -> bytearray:
    """The rest of a binary file object, in one writable buffer."""
    try:
        here = file.tell()
        remaining = max(0, file.seek(0, 2) - here)
        file.seek(here)
    except (AttributeError, OSError, ValueError):  # not seekable: read what comes
        remaining = None
    readinto = getattr(file, "readinto", None)
    if remaining is None or readinto is None:
        data = file.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(
                f"load: the file object gave {type(data).__name__}, not bytes; open the file "
                f"in binary mode ('rb')"
            )
        return bytearray(data)
    buffer = bytearray(remaining)
    view, done = memoryview(buffer), 0
    while done < remaining:
        count = readinto(view[done:])
        if not count:
            break
        done += count
    del view
    if done < remaining:
        del buffer[done:]
    return buffer
