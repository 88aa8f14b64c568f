"""The ``cuda`` device: CuPy arrays on NVIDIA GPUs.

CuPy mirrors NumPy's API, so the ops run unchanged with ``ctx.xp`` = CuPy; this module only
says how arrays cross between host and GPU, and fills the NumPy name the ops use that CuPy
lacks: ``errstate``. GPU kernels raise no floating-point warnings, so it sets only what CuPy
has, ``cupyx.errstate(linalg="raise")``: NumPy always raises ``LinAlgError`` for a singular
matrix, CuPy only inside that block (elsewhere it returns NaN), and the linalg ops run theirs
inside ``xp.errstate(...)``.

CuPy is imported the first time a ``cuda`` device is used, never by ``import tensorgrad``.
One GPU at a time: the current device (``tensorgrad.cuda.set_device``); asking for another
raises rather than letting CuPy run the kernels on the current one.
Without CuPy, or with CuPy and no GPU, using ``cuda`` raises PyTorch's "not compiled with
CUDA" error type (:class:`~tensorgrad._device.DeviceUnavailableError`).
"""

from __future__ import annotations

from ._backend import Backend, register_loader
from ._device import DeviceUnavailableError, device

__all__ = ["CupyBackend", "load"]


class _CupyNamespace:
    """CuPy as the ops see it: every CuPy name, plus ``errstate`` (see the module's note)."""

    def __init__(self, cupy, cupyx):
        self._cupy = cupy
        self._cupyx = cupyx

    def __getattr__(self, name: str):
        value = getattr(self._cupy, name)
        setattr(self, name, value)  # looked up once: later lookups are plain attributes
        return value

    def errstate(self, **settings):
        return self._cupyx.errstate(linalg="raise")


class CupyBackend(Backend):
    """Tensors on CUDA devices, as CuPy arrays."""

    type = "cuda"

    def __init__(self, cupy, cupyx):
        self.cupy = cupy
        self.xp = _CupyNamespace(cupy, cupyx)
        self.array_type = cupy.ndarray

    def device(self, array) -> device:
        return device("cuda", array.device.id)

    def resolve(self, target: device) -> device:
        index = self.cupy.cuda.runtime.getDevice() if target.index is None else target.index
        count = self.cupy.cuda.runtime.getDeviceCount()
        if index >= count:
            raise RuntimeError(
                f"CUDA error: invalid device ordinal (asked for cuda:{index}; "
                f"{count} device{'s' if count != 1 else ''} present)"
            )
        self._check_current(index)
        return device("cuda", index)

    def _check_current(self, index: int | None) -> None:
        """Refuse a GPU other than the current one: CuPy runs a kernel on the current device
        whatever its arrays' devices, so results would silently land elsewhere."""
        current = self.cupy.cuda.runtime.getDevice()
        if index is not None and index != current:
            raise RuntimeError(
                f"tensorgrad runs CUDA work on the current device (cuda:{current}) only; "
                f"call tensorgrad.cuda.set_device({index}) before using cuda:{index}"
            )

    def from_host(self, array, index: int | None):
        self._check_current(index)
        return self.cupy.asarray(array)

    def to_host(self, array):
        return self.cupy.asnumpy(array)

    def move(self, array, index: int | None):
        if index is None or array.device.id == index:
            return array
        self._check_current(index)
        return self.cupy.array(array, copy=True)  # a copy from another GPU onto this one

    def errstate(self, **settings):
        return self.xp.errstate(**settings)

    def synchronize(self, index: int | None) -> None:
        self._check_current(index)
        self.cupy.cuda.runtime.deviceSynchronize()


_failure: list[str] = []  # why CuPy could not serve, remembered: a failed import is not cheap


def load() -> CupyBackend:
    """The CUDA backend; raises :class:`DeviceUnavailableError` saying why without CuPy or a
    GPU (PyTorch built without CUDA raises an AssertionError; this is one)."""
    if not _failure:
        _failure.append(_why_unavailable())
    if _failure[0]:
        raise DeviceUnavailableError(_failure[0])
    import cupy
    import cupyx

    return CupyBackend(cupy, cupyx)


def _why_unavailable() -> str:
    """Why CuPy cannot hold tensors here, or "" if it can."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'tensorgrad[cuda]')"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises its own CUDARuntimeError without a driver
        return f"CuPy found no CUDA driver ({error})"
    return "" if count else "CuPy found no CUDA device"


register_loader("cuda", load)
