"""PyTorch integration: FlightCacheDataset, a DataLoader that tracks its state, state helpers."""

from .convert import batch_to_tensors, column_to_tensor
from .dataset import FlightCacheDataset, gather_state_dict
from .loader import FlightCacheDataLoader, make_dataloader, safe_context
from .state import merge_state_dicts

__all__ = [
    "FlightCacheDataLoader",
    "FlightCacheDataset",
    "batch_to_tensors",
    "column_to_tensor",
    "gather_state_dict",
    "make_dataloader",
    "merge_state_dicts",
    "safe_context",
]
