"""A stand-in for the ``cupy`` package, so that the CUDA backend's own code
(``tensorgrad/_cupy.py``, ``tensorgrad.cuda``) runs on machines without a GPU.

It is the strict backend's arrays (``strict_backend.py``: NumPy that refuses NumPy) dressed
as CuPy: ``cupy.ndarray``, ``asarray``/``asnumpy``, every NumPy function over those arrays, and
the few ``cupy.cuda`` calls tensorgrad makes (one device, a memory pool that counts bytes).
``install()`` puts it in ``sys.modules``; use it only in a fresh process, where ``cuda`` then
becomes available.
"""

from __future__ import annotations

import sys
import types

import numpy
from strict_backend import StrictArray, strict_namespace

__all__ = ["install", "DEVICE_NAME"]

DEVICE_NAME = "Fake GPU (strict NumPy)"


class _MemoryPool:
    def __init__(self):
        self.freed = 0

    def used_bytes(self) -> int:
        return 4096

    def total_bytes(self) -> int:
        return 8192

    def free_all_blocks(self) -> None:
        self.freed += 1


class _Device:
    def __init__(self, index: int = 0):
        if index != 0:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {index}")
        self.id = index

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def use(self) -> None:
        return None


class _Runtime:
    synchronized = 0

    @staticmethod
    def getDeviceCount() -> int:  # noqa: N802 - CuPy's name
        return 1

    @staticmethod
    def getDevice() -> int:  # noqa: N802 - CuPy's name
        return 0

    @classmethod
    def deviceSynchronize(cls) -> None:  # noqa: N802 - CuPy's name
        cls.synchronized += 1

    @staticmethod
    def getDeviceProperties(index: int) -> dict:  # noqa: N802 - CuPy's name
        _Device(index)
        return {
            "name": DEVICE_NAME.encode(),
            "major": 9,
            "minor": 0,
            "totalGlobalMem": 2**30,
            "multiProcessorCount": 4,
        }


class _FakeCupy(types.ModuleType):
    """Every attribute not defined here is the strict namespace's (NumPy over strict arrays)."""

    def __getattr__(self, name: str):
        return getattr(strict_namespace, name)


def _asarray(value, dtype=None):
    if type(value) is StrictArray:
        return value if dtype is None else value.astype(dtype)
    return StrictArray(numpy.array(value, dtype=dtype, copy=True))


def install() -> types.ModuleType:
    """Make ``import cupy`` (and ``cupyx``, for its ``errstate``) give the fake; returns it."""
    cupy = _FakeCupy("cupy")
    cupy.ndarray = StrictArray
    cupy.asarray = _asarray
    cupy.array = lambda value, copy=True, dtype=None: _asarray(value, dtype).copy()
    cupy.asnumpy = lambda array: array._array.copy()
    pool = _MemoryPool()
    cupy.get_default_memory_pool = lambda: pool
    cupy.cuda = types.SimpleNamespace(runtime=_Runtime, Device=_Device)
    cupyx = types.ModuleType("cupyx")
    cupyx.errstate = lambda linalg=None: numpy.errstate()
    sys.modules["cupy"], sys.modules["cupyx"] = cupy, cupyx
    return cupy
