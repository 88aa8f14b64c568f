"""``tensorgrad.utils.dlpack``: tensors to and from other libraries through DLPack, sharing
memory (``torch.utils.dlpack``'s counterpart).

``from_dlpack(x)`` takes anything with ``__dlpack__``/``__dlpack_device__`` (a NumPy array, a
PyTorch CPU tensor, a JAX array…) or a DLPack capsule (what ``to_dlpack`` functions return);
``to_dlpack(t)`` returns such a capsule. A write through either side is seen by the other.

The capsule is read (with ctypes) before NumPy consumes it, so that data on a device the CPU
cannot address, or of a dtype tensorgrad lacks (bfloat16, complex…), is an error that names
it rather than NumPy's "unsupported dtype".
"""

from __future__ import annotations

import ctypes
from typing import Any

from .. import _backend, _device
from .._backend import accelerator_available, check_device
from .._device import DLDeviceType, check_dlpack_device
from ..tensor import Tensor

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


# ------------------------------------------------------------------ DLPack's C structures
class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensorVersioned(ctypes.Structure):
    # DLPack >= 1.0: the version and flags come first; the DLTensor last.
    _fields_ = [
        ("version", ctypes.c_uint32 * 2),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", _DLTensor),
    ]


_VERSIONED, _LEGACY = b"dltensor_versioned", b"dltensor"
_READ_ONLY = 1  # DLPACK_FLAG_BITMASK_READ_ONLY
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_pointer.restype = ctypes.c_void_p

# DLPack type codes (kDLInt, kDLUInt, kDLFloat, kDLBfloat, kDLComplex, kDLBool) with a bit
# width, as dtype names; the ones tensorgrad has are those NumPy reads.
_CODES = {0: "int", 1: "uint", 2: "float", 4: "bfloat", 5: "complex", 6: "bool"}
_SUPPORTED = {
    (0, 8), (0, 16), (0, 32), (0, 64), (1, 8), (2, 16), (2, 32), (2, 64), (6, 8),
}  # fmt: skip


def _read_capsule(capsule) -> tuple[_DLTensor, bool]:
    """The DLTensor inside an unconsumed DLPack capsule, and whether the producer marked it
    read-only (only versioned capsules can); RuntimeError for anything else."""
    if _capsule_is_valid(capsule, _VERSIONED):
        managed = _DLManagedTensorVersioned.from_address(_capsule_pointer(capsule, _VERSIONED))
        return managed.dl_tensor, bool(managed.flags & _READ_ONLY)
    if _capsule_is_valid(capsule, _LEGACY):
        # DLManagedTensor starts with its DLTensor.
        return _DLTensor.from_address(_capsule_pointer(capsule, _LEGACY)), False
    raise RuntimeError(
        "from_dlpack: received an invalid capsule (a DLPack capsule can be consumed only "
        "once: a tensor may already have been made from it)"
    )


def _check_dtype(dtype: _DLDataType) -> None:
    code, bits, lanes = dtype.code, dtype.bits, dtype.lanes
    if (code, bits) in _SUPPORTED and lanes == 1:
        return
    name = _CODES.get(code, f"DLPack type code {code} of ") + str(bits)
    name = "bool" if code == 6 else name
    vector = f" x{lanes} lanes" if lanes != 1 else ""
    raise TypeError(
        f"from_dlpack: dtype {name}{vector} is not supported by tensorgrad (it has bool, "
        f"uint8, int8, int16, int32, int64, float16, float32 and float64)"
    )


class _Capsule:
    """A capsule dressed as a DLPack producer, for the array module's ``from_dlpack``."""

    def __init__(self, capsule, dl_device: tuple[int, int]) -> None:
        self._capsule, self._dl_device = capsule, dl_device

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._dl_device


class _WritableView:
    """``__array_interface__`` of ``array`` marked writable, keeping ``array`` (and so the
    capsule's memory) alive as the new array's base."""

    def __init__(self, array) -> None:
        self.base = array
        self.__array_interface__ = {**array.__array_interface__}
        self.__array_interface__["data"] = (self.__array_interface__["data"][0], False)


def _is_capsule(value) -> bool:
    return type(value).__name__ == "PyCapsule"


def _request_capsule(ext_tensor, copy: bool | None) -> tuple[Any, bool]:
    """``ext_tensor.__dlpack__(...)``, retried with fewer keywords for older producers (as
    PyTorch does); also whether the producer honoured ``copy``."""
    attempts = [{"max_version": (1, 0)}]
    if copy is not None:
        attempts = [{"max_version": (1, 0), "copy": copy}, {"copy": copy}, *attempts]
    for kwargs in attempts:
        try:
            return ext_tensor.__dlpack__(**kwargs), "copy" in kwargs
        except TypeError:
            pass
    return ext_tensor.__dlpack__(), False


def _on_cuda(ext_tensor) -> bool:
    return int(ext_tensor.__dlpack_device__()[0]) == DLDeviceType.kDLCUDA


def from_dlpack(ext_tensor: Any, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor sharing memory with ``ext_tensor``: an object with ``__dlpack__`` (a NumPy
    array, a PyTorch CPU tensor…) or a DLPack capsule (consumed: use it once).

    Shape, strides and dtype are kept (bool, uint8, int8, int16, int32, int64, float16,
    float32, float64). ``copy=True`` copies, ``copy=False`` refuses to; ``device`` moves the
    result there. CUDA memory (a CuPy array, a PyTorch CUDA tensor) gives a ``cuda`` tensor
    when CUDA is available (through CuPy); data on another accelerator, or on a GPU without
    CuPy, raises ``DeviceUnavailableError``; another dtype
    (bfloat16, complex…) ``TypeError``; a used capsule or a non-DLPack object
    ``RuntimeError``.

    >>> a = numpy.arange(3.0)
    >>> t = tensorgrad.from_dlpack(a)
    >>> t[0] = 7.0
    >>> a
    array([7., 1., 2.])
    """
    check_device(device, "from_dlpack")
    if device is not None and _device.as_device(device).type != "cpu":
        return from_dlpack(ext_tensor, copy=copy).to(device)
    copy_yourself = False
    if hasattr(ext_tensor, "__dlpack__") and _on_cuda(ext_tensor) and accelerator_available():
        # GPU memory: CuPy reads the capsule (and synchronises the producer's stream).
        array = check_device("cuda", "from_dlpack").xp.from_dlpack(ext_tensor)
        result = Tensor(array.copy() if copy else array)
        return result if device is None else result.to(device)
    if hasattr(ext_tensor, "__dlpack__"):
        # Asked before __dlpack__, which on a GPU would synchronise streams for nothing.
        check_dlpack_device(ext_tensor.__dlpack_device__(), "from_dlpack")
        capsule, copy_honoured = _request_capsule(ext_tensor, copy)
        copy_yourself = copy is True and not copy_honoured
    elif _is_capsule(ext_tensor):
        if device is not None or copy is not None:
            raise AssertionError(
                "from_dlpack: device and copy are not supported when ext_tensor is already a "
                "DLPack capsule"
            )
        capsule = ext_tensor
    else:
        raise RuntimeError(
            f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got "
            f"{type(ext_tensor).__name__}"
        )
    dl_tensor, read_only = _read_capsule(capsule)
    dl_device = (dl_tensor.device.device_type, dl_tensor.device.device_id)
    check_dlpack_device(dl_device, "from_dlpack")
    _check_dtype(dl_tensor.dtype)
    xp = _backend.default_module
    array = xp.from_dlpack(_Capsule(capsule, dl_device))
    if not array.flags.writeable and not read_only and not copy_yourself:
        # NumPy makes anything from an unversioned capsule read-only; the memory is shared
        # to be written (PyTorch writes through it), so only a producer's flag is honoured.
        array = xp.asarray(_WritableView(array))
    return Tensor(array.copy() if copy_yourself else array)


def to_dlpack(tensor: Tensor):
    """A DLPack capsule sharing ``tensor``'s memory (unversioned, as PyTorch's), for another
    library's ``from_dlpack``. Use the capsule once.

    As ``torch.utils.dlpack.to_dlpack``, a tensor that requires grad is exported too (its
    data; the graph does not travel), where ``tensor.__dlpack__()`` refuses it.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    return tensor.detach().__dlpack__()
