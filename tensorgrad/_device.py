"""``tensorgrad.device``: where tensors live. tensorgrad runs on the CPU, so ``"cpu"`` is the
only device that can hold data; other names can be written down (scripts build
``device("cuda" if cuda.is_available() else "cpu")``) but not used."""

from __future__ import annotations

__all__ = ["device", "check_device"]


_KNOWN_TYPES = {"cpu", "cuda", "mps", "meta", "xpu"}


class device:  # noqa: N801 - PyTorch's name
    """A device: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | int | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):  # device(0) is cuda:0
            type, index = "cuda", type
        name, _, number = str(type).partition(":")
        if name not in _KNOWN_TYPES:
            raise RuntimeError(f"device: expected one of {sorted(_KNOWN_TYPES)}, got {name!r}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"device: invalid device string {str(type)!r}")
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


CPU = device("cpu")


def check_device(value, op: str) -> None:
    """Raise unless ``value`` (a string or a device) names the CPU."""
    if device(value).type != "cpu":
        raise RuntimeError(
            f"{op}: device {str(value)!r} is not available; tensorgrad runs on the CPU "
            f"(device='cpu')"
        )
