"""Read MNIST's IDX files (gzipped or not) into NumPy arrays, with errors that say what is wrong.

An IDX file is a 4-byte magic number — two zero bytes, a type code, the number of dimensions —
then each dimension as a big-endian 32-bit integer, then the values, big-endian, row-major.
MNIST ships four of them: ``train-images-idx3-ubyte`` (60000, 28, 28), ``train-labels-idx1-ubyte``
(60000,), ``t10k-images-idx3-ubyte`` (10000, 28, 28) and ``t10k-labels-idx1-ubyte`` (10000,),
usually gzipped (``.gz``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

__all__ = ["load_idx", "load_mnist", "MNIST_FILES", "DOWNLOAD_HINT"]

# type code (third magic byte) -> big-endian dtype of the values
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DOWNLOAD_HINT = (
    "download the four .gz files from https://ossci-datasets.s3.amazonaws.com/mnist/ "
    "(PyTorch's mirror of http://yann.lecun.com/exdb/mnist/) into that folder"
)
GZIP_MAGIC = b"\x1f\x8b"


def load_idx(path: str | Path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzipped files are recognised by content).

    Returns an array of the file's shape in native byte order (uint8 for MNIST).
    Raises FileNotFoundError when the file is missing and ValueError naming the file when its
    magic number, type code or size is wrong (e.g. a truncated download).
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"load_idx: {path} is a damaged gzip file ({error})") from error
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise ValueError(
            f"load_idx: {path} is not an IDX file: its magic number {raw[:4].hex() or 'is empty'} "
            f"does not start with two zero bytes"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"load_idx: {path} has unknown type code 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"load_idx: {path} is truncated: the header of a {ndim}-D file needs {header} bytes, "
            f"the file has {len(raw)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "longer than its header says"
        raise ValueError(
            f"load_idx: {path} is {problem}: shape {shape} of {dtype.name} needs "
            f"{expected} bytes, the file has {len(raw)}"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def _find(directory: Path, name: str) -> Path | None:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_mnist(directory: str | Path) -> dict[str, np.ndarray]:
    """The four MNIST arrays from ``directory``: ``train_images`` (n, 28, 28) uint8,
    ``train_labels`` (n,) uint8, ``test_images`` and ``test_labels``.

    Each file may be gzipped (``.gz``) or not. Raises FileNotFoundError naming every missing
    file and where to download them, ValueError when images and labels do not match.
    """
    directory = Path(directory)
    found = {key: _find(directory, name) for key, name in MNIST_FILES.items()}
    missing = [MNIST_FILES[key] for key, path in found.items() if path is None]
    if missing:
        raise FileNotFoundError(
            f"MNIST: {directory} lacks {', '.join(missing)} (with or without .gz); " + DOWNLOAD_HINT
        )
    arrays = {key: load_idx(path) for key, path in found.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"MNIST: {split} images of shape {images.shape} do not match labels of shape "
                f"{labels.shape}: expected (n, rows, columns) images and (n,) labels"
            )
    return arrays
