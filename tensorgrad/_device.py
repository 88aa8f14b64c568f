"""``tensorgrad.device``: where tensors live. ``"cpu"`` always holds data; ``"cuda"`` does
when CuPy and a GPU are present (``tensorgrad/_cupy.py``); other names can be written down
(scripts build ``device("cuda" if cuda.is_available() else "cpu")``) but using one raises.
Which backend serves a device is ``tensorgrad/_backend.py``'s business; this module only
names devices and remembers the default one.

*Decision:* PyTorch built without CUDA raises ``AssertionError("Torch not compiled with CUDA
enabled")`` (and ``RuntimeError`` for MPS); tensorgrad raised ``RuntimeError``. The error here
is both, so ``except`` clauses written for either catch it. ``set_default_device("cuda")``
without a GPU raises at once, where PyTorch waits for the first tensor made.
"""

from __future__ import annotations

import enum

__all__ = [
    "device",
    "register_device_type",
    "no_accelerator",
    "DeviceUnavailableError",
    "DLDeviceType",
    "set_default_device",
    "get_default_device",
]


_KNOWN_TYPES = {"cpu", "cuda", "mps", "meta", "xpu"}


class DeviceUnavailableError(AssertionError, RuntimeError):
    """A device other than the CPU was asked to hold data."""


class device:  # noqa: N801 - PyTorch's name
    """A device: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:0")``. An index
    alone (``device(0)``) names a device of the accelerator (``cuda:0``); without one it
    raises, as in PyTorch.

    ``with device("cpu"):`` makes it the default device inside the block, as in PyTorch.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str | int | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            # An index alone names a device of the current accelerator (PyTorch 2.x).
            if type < 0:
                raise RuntimeError(f"Device index must not be negative, got {type}")
            accelerator = current_accelerator() if current_accelerator else None
            if accelerator is None:
                raise RuntimeError(
                    f"device({type}): Cannot access accelerator device when none is available"
                )
            type, index = accelerator, type
        elif not isinstance(type, str):
            raise TypeError(
                f"device: expected a device string, a device or an int, got {_type_name(type)}"
            )
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(f"device: argument 'index' must be int, not {_type_name(index)}")
        name, _, number = type.partition(":")
        if name not in _KNOWN_TYPES:
            raise RuntimeError(f"device: expected one of {sorted(_KNOWN_TYPES)}, got {name!r}")
        if number:
            if index is not None:
                raise RuntimeError(
                    f"device: type (string) must not include an index because index was "
                    f"passed explicitly: {type}"
                )
            if not number.isdigit():
                raise RuntimeError(f"device: invalid device string {type!r}")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"device: index must be non-negative, got {index}")
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        _entered.append(get_default_device())
        set_default_device(self)
        return self

    def __exit__(self, *exc_info) -> None:
        set_default_device(_entered.pop())


def _type_name(value) -> str:
    return type(value).__name__


CPU = device("cpu")


def register_device_type(name: str) -> None:
    """Accept ``name`` as a device type (a backend registered for it)."""
    _KNOWN_TYPES.add(name)


def no_accelerator(op: str):
    """Raise PyTorch's RuntimeError for ``op``, which needs an accelerator (there is none)."""
    raise RuntimeError(
        f"{op}: Cannot access accelerator device when none is available (tensorgrad runs on "
        f"the CPU)."
    )


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes (``__dlpack_device__()[0]``), named as in ``torch.utils.dlpack``."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3  # page-locked host memory: the CPU can read it
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


# DLPack devices whose memory the CPU can address (what NumPy's from_dlpack accepts).
HOST_DLPACK_DEVICES = frozenset(
    {
        DLDeviceType.kDLCPU,
        DLDeviceType.kDLCUDAHost,
        DLDeviceType.kDLROCMHost,
        DLDeviceType.kDLCUDAManaged,
    }
)


def check_dlpack_device(dl_device, op: str) -> None:
    """Raise ``DeviceUnavailableError`` naming ``dl_device`` (a DLPack ``(type, index)`` pair)
    unless the CPU can address its memory."""
    code, index = int(dl_device[0]), int(dl_device[1])
    if code in HOST_DLPACK_DEVICES:
        return
    try:
        name = DLDeviceType(code).name
    except ValueError:
        name = f"DLPack device type {code}"
    raise DeviceUnavailableError(
        f"{op}: DLPack device {name}:{index} is not available: tensorgrad reads host memory, "
        f"and CUDA memory through CuPy when CUDA is available (move the data to the CPU "
        f"first, e.g. with .cpu())"
    )


_default = [CPU]  # the device factories use when given none
_entered: list[device] = []  # the defaults that `with device(...):` blocks will restore
# Set by tensorgrad._backend: raises unless a backend can hold tensors on the device it is
# given (this module sits below the backends, so it cannot ask them itself).
check_available = None
# Set by tensorgrad._backend too: the accelerator's device type ("cuda") or None without one.
current_accelerator = None


def set_default_device(device: str | int | device | None) -> None:
    """Set the device factories use when given none (None resets it to the CPU).

    Raises at once for a device no backend can serve (PyTorch raises at the first tensor made).
    """
    target = CPU if device is None else as_device(device)
    _default[0] = check_available(target, "set_default_device").resolve(target)


def get_default_device() -> device:
    """The device factories use when given none (``device(type='cpu')`` unless set)."""
    return _default[0]


def as_device(value) -> device:
    return value if type(value) is device else device(value)
