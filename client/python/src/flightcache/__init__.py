"""flightcache: Python client for the flightcache Arrow Flight training-data cache.

`flightcache.Client` manages datasets and reads shares; `flightcache.torch` (extra `torch`) has
the PyTorch IterableDataset.
"""

from ._process import ForkAfterFlightError
from .client import Client, DatasetInfo
from .locations import register_location_reader
from .request import share_request
from .stream import CursorMissingError

__version__ = "0.1.0"

__all__ = [
    "Client",
    "CursorMissingError",
    "DatasetInfo",
    "ForkAfterFlightError",
    "register_location_reader",
    "share_request",
]
