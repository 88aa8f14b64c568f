"""The errors :func:`tensorgrad.onnx.export` raises (PyTorch's ``torch.onnx.errors`` names)."""

from __future__ import annotations

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """The model cannot be exported: the message says which op, or which input or setting."""


class UnsupportedOperatorError(OnnxExporterError):
    """A recorded op has no ONNX translation; the message names it (``op 'Diagonal'``)."""

    def __init__(self, name: str, reason: str = ""):
        self.op_name = name
        detail = f": {reason}" if reason else ""
        super().__init__(
            f"onnx.export: op '{name}' cannot be exported to ONNX{detail}. Write the model with "
            f"ops that can (see the ONNX guide's table), or compute this part outside the model"
        )
