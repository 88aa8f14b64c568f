"""Utilities: ``tensorgrad.utils.data`` (datasets and loaders), ``tensorgrad.utils.dlpack``
(exchanging tensors with other libraries), ``tensorgrad.utils.hooks``."""

from . import data, dlpack, hooks
