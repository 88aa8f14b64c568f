"""Hook handles (``torch.utils.hooks``): what ``register_*_hook`` methods return."""

from .._hooks import RemovableHandle

__all__ = ["RemovableHandle"]
