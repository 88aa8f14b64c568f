"""Datasets and batching with PyTorch's API: ``Dataset``, ``TensorDataset``, ``Subset``,
``random_split``, ``DataLoader``, the samplers and ``default_collate``."""

from .collate import default_collate
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "DataLoader",
    "default_collate",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "BatchSampler",
]
