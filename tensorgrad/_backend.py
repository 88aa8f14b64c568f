"""The array module behind each device.

Ops never import NumPy for their math: they ask for the module of their inputs (``ctx.xp`` in
an op), so a device is a :class:`Backend` registered here (NumPy for ``"cpu"``, CuPy for
``"cuda"``), not a rewrite of every op. A tensor's device is read off its array's type, so a
tensor carries no device field that could disagree with its data.

The CPU stays the fast path: hot code tests ``type(array) is ndarray`` before asking here.
CuPy is imported only when a ``cuda`` device is first used (see ``tensorgrad/_cupy.py``).
"""

from __future__ import annotations

import numpy

from . import _device
from ._device import CPU, DeviceUnavailableError, device, register_device_type

__all__ = [
    "Backend",
    "accelerator_available",
    "array_types",
    "ndarray",
    "default_module",
    "array_module",
    "as_array",
    "backend_of",
    "check_device",
    "device_of",
    "is_loaded",
    "register_backend",
    "register_loader",
    "resolve_device",
    "target_device",
    "to_host",
    "transfer",
]

ndarray = numpy.ndarray
default_module = numpy


class Backend:
    """One kind of device: its array module and how arrays cross to and from the host.

    Subclasses override what differs from the CPU's answers below.

    Attributes:
        type: the device type it serves (``"cpu"``, ``"cuda"``…).
        xp: the NumPy-compatible module the ops call (``ctx.xp``).
        array_type: the class of its arrays; a tensor's device is found from it.
    """

    type = "cpu"
    xp = numpy
    array_type = ndarray

    def device(self, array) -> device:
        """The device ``array`` lives on."""
        return CPU

    def resolve(self, target: device) -> device:
        """``target`` with its index filled in (``cuda`` means the current CUDA device)."""
        return CPU

    def from_host(self, array: ndarray, index: int | None):
        """A copy of the host ``array`` on device ``index`` of this type (the current one if
        None)."""
        return array

    def to_host(self, array) -> ndarray:
        """``array`` copied into host memory (a NumPy array)."""
        return array

    def move(self, array, index: int | None):
        """``array`` (already one of this backend's) on device ``index``; itself if already
        there."""
        return array

    def errstate(self, **settings):
        """A context manager that sets floating-point error handling, as ``numpy.errstate``."""
        return self.xp.errstate(**settings)

    def synchronize(self, index: int | None) -> None:
        """Wait until the queued work on device ``index`` is done."""


CPU_BACKEND = Backend()
_BY_TYPE: dict[type, Backend] = {ndarray: CPU_BACKEND}
_BY_NAME: dict[str, Backend] = {"cpu": CPU_BACKEND}
array_types = _BY_TYPE  # for `type(x) in array_types`: the arrays some backend holds
_LOADERS: dict[str, object] = {}  # device type -> a function returning its Backend (lazily)


def register_backend(backend: Backend) -> None:
    """Make ``backend`` hold the tensors of its device type (and recognise its arrays)."""
    register_device_type(backend.type)
    _BY_NAME[backend.type] = backend
    _BY_TYPE[backend.array_type] = backend


def register_loader(device_type: str, load) -> None:
    """Build the backend of ``device_type`` only when first asked: ``load()`` returns it or
    raises :class:`DeviceUnavailableError` saying why (``"cuda"`` without CuPy or a GPU)."""
    _LOADERS[device_type] = load


_NAMES = {"cuda": "CUDA", "mps": "MPS", "xpu": "XPU", "meta": "the meta device"}


def _backend_named(target: device, op: str) -> Backend:
    backend = _BY_NAME.get(target.type)
    if backend is not None:
        return backend
    load = _LOADERS.get(target.type)
    try:
        if load is None:
            raise DeviceUnavailableError("tensorgrad has no backend for it")
        backend = load()
    except DeviceUnavailableError as why:
        what = _NAMES.get(target.type, f"device {target.type!r}")
        raise DeviceUnavailableError(
            f"{op}: {what} is not available: {why} (asked for device '{target}'; "
            f"use device='cpu' to run on the CPU)"
        ) from None
    register_backend(backend)
    return backend


def is_loaded(device_type: str) -> bool:
    """Whether the backend of ``device_type`` has been built (a tensor made there, or asked)."""
    return device_type in _BY_NAME


def accelerator_available() -> bool:
    """Whether a CUDA backend can be had (CuPy importable and a GPU present)."""
    try:
        _backend_named(device("cuda"), "accelerator_available")
    except DeviceUnavailableError:
        return False
    return True


def check_device(value, op: str) -> Backend:
    """The backend holding tensors on ``value`` (None, a string, an int or a device).

    None is the CPU. Raises :class:`DeviceUnavailableError` (an AssertionError and a
    RuntimeError, as PyTorch without CUDA raises) for a device no backend can serve.
    """
    if value is None:
        return CPU_BACKEND
    target = value if type(value) is device else device(value)
    if target.type == "cpu":
        return CPU_BACKEND
    return _backend_named(target, op)


def target_device(value, op: str) -> device:
    """The device a factory given ``device=value`` builds on: ``value``, or the default device
    when None; raises :class:`DeviceUnavailableError` if no backend can serve it."""
    target = _device.get_default_device() if value is None else _device.as_device(value)
    if target.type != "cpu":
        _backend_named(target, op)
    return target


def resolve_device(value, op: str) -> device:
    """The device ``value`` (a string, an int index of a CUDA device, or a device) names, with
    its index filled in; raises :class:`DeviceUnavailableError` if no backend serves it."""
    if value is CPU or value == "cpu":  # the common case, without parsing
        return CPU
    if isinstance(value, int) and not isinstance(value, bool):
        if not accelerator_available():  # an index alone names the current accelerator
            _device.no_accelerator(op)
        value = device("cuda", value)
    target = value if type(value) is device else device(value)
    return check_device(target, op).resolve(target)


def transfer(array, target: device):
    """``array`` on ``target`` (a device): itself if already there, else a copy."""
    source = backend_of(array)
    if target.type == source.type:
        return source.move(array, target.index)
    destination = check_device(target, "to")
    return destination.from_host(source.to_host(array), target.index)


def backend_of(array) -> Backend:
    """The backend whose array ``array`` is (NumPy scalars and ndarray subclasses: the CPU)."""
    backend = _BY_TYPE.get(type(array))
    if backend is not None:
        return backend
    if isinstance(array, (ndarray, numpy.generic)):
        return CPU_BACKEND
    for candidate in list(_BY_TYPE.values()):
        if isinstance(array, candidate.array_type):
            return candidate
    if type(array).__module__.partition(".")[0] == "cupy":
        return _backend_named(device("cuda"), "backend_of")
    raise TypeError(f"unsupported array type {type(array).__name__}")


def array_module(array):
    """The array module (``numpy``, ``cupy``…) that owns ``array``."""
    if type(array) is ndarray:
        return numpy
    return backend_of(array).xp


def device_of(array) -> device:
    """The device ``array`` lives on."""
    if type(array) is ndarray:
        return CPU
    return backend_of(array).device(array)


def to_host(array) -> ndarray:
    """``array`` as a NumPy array (a copy from device memory; the array itself on the CPU)."""
    if type(array) is ndarray:
        return array
    return backend_of(array).to_host(array)


def as_array(value):
    """``value`` as an array: arrays pass through, NumPy scalars (0-d results) are wrapped."""
    if type(value) is ndarray:
        return value
    return array_module(value).asarray(value)


def _accelerator_type() -> str | None:
    return "cuda" if accelerator_available() else None


_device.check_available = check_device
_device.current_accelerator = _accelerator_type
