"""``tensorgrad.onnx``: the module exists so that scripts importing ``torch.onnx`` at the top
run; the exporter itself is not written yet."""

from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, **kwargs):
    """Not implemented yet: raises NotImplementedError (save weights with ``tensorgrad.save``)."""
    raise NotImplementedError(
        "onnx.export: ONNX export is not implemented in tensorgrad yet; save the weights with "
        "tensorgrad.save(model.state_dict(), path) instead"
    )


def is_in_onnx_export() -> bool:
    """Always False: no export is ever running."""
    return False
