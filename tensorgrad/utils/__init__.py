"""Utilities: ``tensorgrad.utils.data`` (datasets and loaders), ``tensorgrad.utils.hooks``."""

from . import data, hooks
