"""``save`` and ``load``: tensors and checkpoints on disk in the safetensors format, never pickle.

A file holds named tensors plus string metadata, nothing executable, so loading an untrusted
file cannot run code, and every malformed or hostile file is refused with a ``load: …``
error. A model's ``state_dict()`` is written as a plain safetensors file: it opens in PyTorch
with ``safetensors.torch.load_file`` and feeds ``model.load_state_dict``, and files written by
``safetensors.torch.save_file`` load here. A checkpoint with more in it (nested dicts, an
optimizer's state dict, numbers, strings) keeps its structure in the file's metadata, and so
does one with tensors on a GPU: their data is written from host memory and their device
recorded, so ``load`` puts them back there, as ``torch.load`` does (``map_location`` moves
them elsewhere; see ``_save_load``).

The format is read and written with NumPy alone (``_safetensors``); what can be stored, and
how, is in ``_structure``; paths, files and ``load``'s arguments in ``_save_load``.
"""

from ._save_load import load, save

__all__ = ["save", "load"]
