"""``default_collate`` merges a list of samples into a batch; ``default_convert`` turns the NumPy
arrays in one sample into Tensors (what a DataLoader with ``batch_size=None`` applies). Both
follow PyTorch's rules:

==========================  =================================================================
each sample is              the batch is
==========================  =================================================================
Tensor of shape S           Tensor of shape (B, *S) (stacked; recorded if any requires grad)
ndarray of shape S          Tensor of shape (B, *S), same dtype
NumPy scalar                1-d Tensor of its dtype
Python float / int / bool   1-d float64 / int64 / bool Tensor (PyTorch's dtypes, not the default)
str or bytes                the strings as given (not a Tensor)
dict (or Mapping)           the same mapping type (a copy) of the collated values per key
namedtuple                  the same namedtuple of collated fields
tuple / list                a list of the collated positions (all samples the same length)
==========================  =================================================================
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from ..._backend import array_module
from ..._creation import as_tensor, tensor
from ...ops.joining import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_UNSUPPORTED = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _stack_arrays(arrays: list) -> Tensor:
    shape = arrays[0].shape
    for index, array in enumerate(arrays):
        if array.shape != shape:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got "
                f"{shape} at entry 0 and {array.shape} at entry {index}"
            )
    return Tensor(array_module(arrays[0]).stack(arrays))  # on the arrays' device


def default_collate(batch: list) -> Any:
    """Merge a list of samples into one batch (see the module's table for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t._requires_grad for t in batch if isinstance(t, Tensor)):
            return stack(batch)
        return _stack_arrays([t._data for t in batch])
    if isinstance(elem, (np.ndarray, np.generic)):
        if elem.dtype.kind in "USOV":
            raise TypeError(_UNSUPPORTED.format(elem.dtype))
        return _stack_arrays([np.asarray(x) for x in batch])
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, numbers.Integral):  # bool is an Integral: a batch of bools stays bool
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        return _same_mapping(elem, collated)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(field) for field in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        return [default_collate(position) for position in zip(*batch, strict=True)]
    raise TypeError(_UNSUPPORTED.format(type(elem)))


def _same_mapping(original: Mapping, values: dict) -> Mapping:
    """``values`` in a mapping of ``original``'s type (a copy of it, so a defaultdict keeps its
    factory), or a plain dict when that type cannot be made."""
    try:
        if isinstance(original, MutableMapping):
            clone = copy.copy(original)
            clone.update(values)
            return clone
        return type(original)(values)
    except TypeError:
        return values


def default_convert(data: Any) -> Any:
    """Turn the NumPy arrays and scalars in ``data`` into Tensors, keeping everything else.

    Recurses into mappings, namedtuples and sequences (a tuple becomes a list, as in
    PyTorch); arrays of strings or objects, Tensors, numbers and strings stay as they are.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind in "USOV":
            return data
        return as_tensor(data)
    if isinstance(data, Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, MutableSequence):
                clone = copy.copy(data)
                for index, item in enumerate(data):
                    clone[index] = default_convert(item)
                return clone
            return type(data)([default_convert(item) for item in data])
        except TypeError:
            return [default_convert(item) for item in data]
    return data
