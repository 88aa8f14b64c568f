"""Utilities: ``tensorgrad.utils.data`` (datasets and loaders)."""
