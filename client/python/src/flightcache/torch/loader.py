"""DataLoaders for FlightCacheDataset: a safe multiprocessing context and exact state tracking."""

from __future__ import annotations

import copy
import multiprocessing
import os
import tempfile
import weakref
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data._utils.collate import default_convert

from .. import _process
from . import transfer
from .dataset import FlightCacheDataset
from .state import TaggedGroup

# torch and pyarrow are most of the import time; flightcache.torch itself only preloads where the
# forkserver can import it (installed, or on PYTHONPATH: Python 3.11's forkserver ignores sys.path
# changes made at run time, and skips a module it cannot import).
PRELOAD = ["torch", "pyarrow.flight", "flightcache.torch"]


def safe_context() -> str:
    """The start method for workers that use Flight: forkserver where the platform has it, else spawn."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _start_method(context: Any) -> str:
    if context is None:
        return multiprocessing.get_context().get_start_method()
    if isinstance(context, str):
        return context
    return context.get_start_method()


class FlightCacheDataLoader(DataLoader):
    """A DataLoader over a FlightCacheDataset that keeps the dataset's state_dict() exact with workers.

    Each batch a worker yields carries its stream position; this loader records it in the main
    process's dataset when it hands the batch out. The dataset yields whole batches, so
    batch_size must stay None. With persistent_workers, the epoch and a loaded state reach the
    workers through a small file this loader rewrites before each iteration, and each worker keeps
    its connections and mappings from one epoch to the next. The dataset given is left as it was
    (only its position is tracked, as iterating it does): workers get a configured copy of it.
    Without workers (and without pin_memory or a timeout), batches come straight from the dataset
    through collate_fn, without torch's per-batch fetcher and profiler scope.
    """

    def __init__(self, dataset: FlightCacheDataset, **kwargs: Any):
        if not isinstance(dataset, FlightCacheDataset):
            raise TypeError(f"FlightCacheDataLoader reads a FlightCacheDataset, got {type(dataset).__name__}")
        if kwargs.setdefault("batch_size", None) is not None:
            raise ValueError("FlightCacheDataset yields whole batches: set batch_size on the dataset, not on the DataLoader")
        workers = kwargs.get("num_workers", 0)
        if workers > 0 and _start_method(kwargs.get("multiprocessing_context")) == "fork" and _process.flight_used_here():
            raise _process.ForkAfterFlightError(
                "this process has opened an Arrow Flight (gRPC) connection, so DataLoader workers started with 'fork' "
                f"would hang; {_process.FORK_FIX}"
            )
        self._source = dataset
        view = dataset
        if workers > 0:
            # What the workers receive: a copy that tags its batches with their positions.
            view = copy.copy(dataset)
            view._num_workers = workers
            view._tag_batches = True
            if kwargs.get("persistent_workers"):
                fd, view._epoch_file = tempfile.mkstemp(prefix="flightcache-epoch-", suffix=".json")
                os.close(fd)
                weakref.finalize(self, _remove, view._epoch_file)
        super().__init__(view, **kwargs)

    # A generator over the base iterator (it records each batch's position), not a _BaseDataLoaderIter.
    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        source = self._source
        view: FlightCacheDataset = self.dataset  # type: ignore[assignment]
        source._begin_tracking(source.world_size * max(self.num_workers, 1))
        if view is not source:
            view.epoch, view._loaded = source.epoch, source._loaded
            view._publish_epoch()
        transfer.forget_exited_workers()
        try:
            for item in self._direct() if self._reads_directly() else super().__iter__():
                if isinstance(item, TaggedGroup):
                    for tagged in item.batches:
                        source._record(tagged.progress)
                        yield tagged.batch
                else:
                    yield item
        finally:
            transfer.forget_exited_workers()
        source._loaded = None

    def _reads_directly(self) -> bool:
        return self.num_workers == 0 and not self.pin_memory and self.timeout == 0

    def _direct(self) -> Iterator[Any]:
        """What torch's single-process iterator yields for an IterableDataset of whole batches, minus its
        per-batch costs: most of the main thread's time per batch of a few rows (measured, bench feed)."""
        # As torch's iterator does, one draw from the generator per epoch, so the random stream after an epoch is the same.
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        # default_convert returns a dict of tensors and lists as it is: the dataset's own batches skip it.
        convert = None if self.collate_fn is default_convert and self._source.transform is None else self.collate_fn
        for batch in self._source:
            yield batch if convert is None else convert(batch)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def make_dataloader(dataset: FlightCacheDataset, **kwargs: Any) -> FlightCacheDataLoader:
    """A FlightCacheDataLoader whose workers (if any) start with forkserver or spawn unless a context is given.

    With forkserver, the server process imports this package (torch, pyarrow, numpy) once before it
    starts, so each epoch's workers fork with it imported instead of importing torch again: tens of
    milliseconds per worker instead of seconds.
    """
    if kwargs.get("num_workers", 0) > 0 and kwargs.get("multiprocessing_context") is None:
        kwargs["multiprocessing_context"] = safe_context()
        if kwargs["multiprocessing_context"] == "forkserver":
            # Only takes effect before this process's forkserver starts; harmless afterwards.
            multiprocessing.set_forkserver_preload(PRELOAD)
    return FlightCacheDataLoader(dataset, **kwargs)
