"""``tensorgrad.backends.cuda``: CUDA's switches, accepted with no effect (there is no CUDA).

``backends.cuda.matmul.allow_tf32 = True`` (nanoGPT sets it) is remembered and read back, tied
to ``matmul.fp32_precision`` and ``tensorgrad.set_float32_matmul_precision`` as in PyTorch;
an unknown name raises PyTorch's ``AttributeError``. The scaled-dot-product-attention kernel
switches (``enable_flash_sdp``…) are remembered too.
"""

from __future__ import annotations

import contextlib
import warnings

__all__ = [
    "is_built",
    "matmul",
    "flash_sdp_enabled",
    "enable_flash_sdp",
    "mem_efficient_sdp_enabled",
    "enable_mem_efficient_sdp",
    "math_sdp_enabled",
    "enable_math_sdp",
    "cudnn_sdp_enabled",
    "enable_cudnn_sdp",
    "sdp_kernel",
]

_PRECISIONS = ("none", "ieee", "tf32")


def is_built() -> bool:
    """Always False: tensorgrad is not built with CUDA."""
    return False


class cuBLASModule:  # noqa: N801 - PyTorch's name
    """``backends.cuda.matmul``: cuBLAS's precision switches, with PyTorch's defaults.

    ``allow_tf32`` and ``fp32_precision`` are one setting seen two ways (``True`` is
    ``"tf32"``, ``False`` is ``"ieee"``; ``"none"`` until either is set).
    """

    _DEFAULTS = {
        "allow_fp16_reduced_precision_reduction": True,
        "allow_bf16_reduced_precision_reduction": True,
        "allow_fp16_accumulation": False,
        "fp32_precision": "none",
    }
    _NAMES = frozenset(_DEFAULTS) | {"allow_tf32"}

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict(self._DEFAULTS))

    def __getattr__(self, name: str):
        values = object.__getattribute__(self, "_values")
        if name == "allow_tf32":
            return values["fp32_precision"] == "tf32"
        if name in values:
            return values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        if name not in self._NAMES:
            raise AttributeError(f"Unknown attribute {name}")
        if name == "allow_tf32":
            name, value = "fp32_precision", "tf32" if value else "ieee"
        elif name == "fp32_precision" and value not in _PRECISIONS:
            raise RuntimeError(f"Unknown precision: {value}")
        self._values[name] = value


matmul = cuBLASModule()

# PyTorch's CPU build reports every attention kernel enabled until a script turns one off.
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def flash_sdp_enabled() -> bool:
    """Whether the flash attention kernel is allowed (a remembered switch; nothing reads it)."""
    return _sdp["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    """Allow or forbid the flash attention kernel (remembered, no effect on the CPU)."""
    _sdp["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    """Whether the memory-efficient attention kernel is allowed (a remembered switch)."""
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Allow or forbid the memory-efficient attention kernel (remembered, no effect)."""
    _sdp["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    """Whether the plain (math) attention kernel is allowed (a remembered switch)."""
    return _sdp["math"]


def enable_math_sdp(enabled: bool) -> None:
    """Allow or forbid the math attention kernel (remembered; tensorgrad always uses it)."""
    _sdp["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    """Whether the cuDNN attention kernel is allowed (a remembered switch)."""
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    """Allow or forbid the cuDNN attention kernel (remembered, no effect)."""
    _sdp["cudnn"] = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(
    enable_flash: bool = True,
    enable_math: bool = True,
    enable_mem_efficient: bool = True,
    enable_cudnn: bool = True,
):
    """Deprecated in PyTorch (a FutureWarning, as there): set the four attention switches
    inside the block, restore them after."""
    warnings.warn(
        "`tensorgrad.backends.cuda.sdp_kernel()` is deprecated. In the future, this context "
        "manager will be removed. Please see `torch.nn.attention.sdpa_kernel()` for the new "
        "context manager, with updated signature.",
        FutureWarning,
        stacklevel=3,
    )
    previous = dict(_sdp)
    _sdp.update(
        flash=bool(enable_flash),
        math=bool(enable_math),
        mem_efficient=bool(enable_mem_efficient),
        cudnn=bool(enable_cudnn),
    )
    try:
        yield
    finally:
        _sdp.update(previous)
