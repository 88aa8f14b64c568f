"""``tensorgrad.backends.cuda``: CUDA's switches, accepted with no effect (there is no CUDA).

``backends.cuda.matmul.allow_tf32 = True`` (nanoGPT sets it) is remembered and read back;
an unknown name raises PyTorch's ``AttributeError``.
"""

from __future__ import annotations

__all__ = ["is_built", "matmul"]


def is_built() -> bool:
    """Always False: tensorgrad is not built with CUDA."""
    return False


class cuBLASModule:  # noqa: N801 - PyTorch's name
    """``backends.cuda.matmul``: cuBLAS's precision switches, with PyTorch's defaults."""

    _DEFAULTS = {
        "allow_tf32": False,
        "allow_fp16_reduced_precision_reduction": True,
        "allow_bf16_reduced_precision_reduction": True,
        "allow_fp16_accumulation": False,
        "fp32_precision": "none",
    }

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict(self._DEFAULTS))

    def __getattr__(self, name: str):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        if name not in self._DEFAULTS:
            raise AttributeError(f"Unknown attribute {name}")
        self._values[name] = value


matmul = cuBLASModule()
