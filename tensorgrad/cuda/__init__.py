"""``tensorgrad.cuda``: NVIDIA GPUs through CuPy (``pip install 'tensorgrad[cuda]'``).

With CuPy and a GPU, ``is_available()`` is True and tensors made with ``device="cuda"`` (or
moved with ``.cuda()``/``.to("cuda")``) are CuPy arrays that every op runs on. Without them,
what PyTorch built without CUDA answers, tensorgrad answers: ``is_available()`` is False,
``device_count()`` 0, the memory counters 0; what needs a GPU (``current_device``,
``synchronize``, ``get_device_name``…) raises the device error of ``x.cuda()``.

Asking any of these questions never imports CuPy unless it is installed, and never creates a
CUDA context unless a GPU is used.

*Decisions:* random numbers for every device are drawn from the CPU generator and copied over,
so ``tensorgrad.manual_seed`` alone makes a GPU run reproducible and equal to the CPU run;
``cuda.manual_seed``/``manual_seed_all`` therefore have nothing of their own to seed.
``memory_allocated`` and ``memory_reserved`` are CuPy's memory pool's ``used_bytes`` and
``total_bytes``; the ``max_*`` peaks are the largest values those took when any of these
counters (or ``synchronize``) was read, since CuPy's pool keeps no peak of its own.
"""

from __future__ import annotations

from .. import _cupy, _device
from .._backend import accelerator_available, check_device, is_loaded, resolve_device
from . import amp

__all__ = [
    "amp",
    "is_available",
    "is_initialized",
    "device_count",
    "current_device",
    "set_device",
    "get_device_name",
    "get_device_capability",
    "get_device_properties",
    "synchronize",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
    "is_bf16_supported",
    "manual_seed",
    "manual_seed_all",
]


def _backend(op: str) -> _cupy.CupyBackend:
    return check_device("cuda", f"cuda.{op}")


def _index(device, op: str) -> int:
    """The CUDA device index ``device`` (None, an int, a string or a device) names."""
    if device is None:
        return current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        target = _device.device("cuda", device)
    else:
        target = _device.as_device(device)
    if target.type != "cuda":
        raise ValueError(f"cuda.{op}: expected a cuda device, but got: {target}")
    return resolve_device(target, f"cuda.{op}").index


def is_available() -> bool:
    """Whether CUDA tensors can be made: CuPy importable and a GPU present."""
    return accelerator_available()


def is_initialized() -> bool:
    """Whether a CUDA tensor has been made (or another call started CUDA) in this process."""
    return is_loaded("cuda")


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or a GPU)."""
    if not accelerator_available():
        return 0
    return _backend("device_count").cupy.cuda.runtime.getDeviceCount()


def current_device() -> int:
    """The index of the GPU new CUDA tensors go to."""
    return _backend("current_device").cupy.cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make ``device`` (an index, a string or a device) the current GPU; a negative index
    does nothing, as in PyTorch."""
    if isinstance(device, int) and not isinstance(device, bool) and device < 0:
        return
    index = _index(device, "set_device")
    _backend("set_device").cupy.cuda.Device(index).use()


def _properties(device, op: str) -> dict:
    index = _index(device, op)
    return _backend(op).cupy.cuda.runtime.getDeviceProperties(index)


class _DeviceProperties:
    """What ``get_device_properties`` reports (PyTorch's field names)."""

    def __init__(self, properties: dict):
        name = properties["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major = int(properties["major"])
        self.minor = int(properties["minor"])
        self.total_memory = int(properties["totalGlobalMem"])
        self.multi_processor_count = int(properties["multiProcessorCount"])

    def __repr__(self) -> str:
        return (
            f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
            f"minor={self.minor}, total_memory={self.total_memory // 2**20}MB, "
            f"multi_processor_count={self.multi_processor_count})"
        )


def get_device_properties(device=None) -> _DeviceProperties:
    """The GPU's name, compute capability, memory and multiprocessor count."""
    return _DeviceProperties(_properties(device, "get_device_properties"))


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. ``'NVIDIA H200'``."""
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple[int, int]:
    """The GPU's compute capability ``(major, minor)``."""
    properties = get_device_properties(device)
    return properties.major, properties.minor


def synchronize(device=None) -> None:
    """Wait until every kernel queued on ``device`` (the current GPU if None) has finished."""
    backend = _backend("synchronize")
    backend.synchronize(_index(device, "synchronize"))
    _observe_peaks(backend)


_peaks = {"allocated": 0, "reserved": 0}


def _observe_peaks(backend) -> tuple[int, int]:
    pool = backend.cupy.get_default_memory_pool()
    used, total = int(pool.used_bytes()), int(pool.total_bytes())
    _peaks["allocated"] = max(_peaks["allocated"], used)
    _peaks["reserved"] = max(_peaks["reserved"], total)
    return used, total


def _pool_counters() -> tuple[int, int]:
    """(bytes used by arrays, bytes held by the pool); zeros before CUDA is used."""
    if not is_loaded("cuda"):
        return 0, 0
    return _observe_peaks(_backend("memory"))


def empty_cache() -> None:
    """Give the memory CuPy's pool holds but no array uses back to the GPU."""
    if is_loaded("cuda"):
        _backend("empty_cache").cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory in use by arrays (0 before CUDA is used)."""
    return _pool_counters()[0]


def max_memory_allocated(device=None) -> int:
    """The largest ``memory_allocated`` seen (see the module's note on peaks)."""
    _pool_counters()
    return _peaks["allocated"]


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory held by CuPy's pool (0 before CUDA is used)."""
    return _pool_counters()[1]


def max_memory_reserved(device=None) -> int:
    """The largest ``memory_reserved`` seen (see the module's note on peaks)."""
    _pool_counters()
    return _peaks["reserved"]


def reset_peak_memory_stats(device=None) -> None:
    """Start the peaks again from the current values."""
    _backend("reset_peak_memory_stats")
    _peaks["allocated"] = _peaks["reserved"] = 0
    _pool_counters()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Always False: tensorgrad has no bfloat16 (nanoGPT picks float16 then)."""
    return False


def manual_seed(seed: int) -> None:
    """Nothing of its own to seed: GPU random numbers come from the CPU generator (see the
    module's decisions); kept so that seeding code written for PyTorch runs."""


def manual_seed_all(seed: int) -> None:
    """Nothing of its own to seed (see :func:`manual_seed`)."""
