"""The resumable state of a FlightCacheDataset epoch, and what DataLoader workers report with each batch.

A state dict is JSON-ready:

    {"format": "flightcache.FlightCacheDataset/1",
     "dataset": ..., "columns": ..., "shuffle": ..., "seed": ..., "server_batch_rows": ...,
     "epoch": 3, "virtual_world_size": 8,
     "streams": {"4": {"segments": [Segment.to_dict(), ...]}, "5": {...}}}

Virtual rank v = rank * num_workers + worker_id of world_size * num_workers reads one stream;
`streams` holds the remaining segments of the virtual ranks the saving rank owned (all of them
after merge_state_dicts). With DataLoader workers, each batch travels from its worker with a
Progress (its virtual rank and that stream's remaining segments), the batches of one server batch
as one item; FlightCacheDataLoader records each in the main process's dataset as it hands the
batch out, so the state counts exactly the batches the training loop received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch.utils.data._utils.pin_memory import pin_memory

from .transfer import pack, unpack

STATE_FORMAT = "flightcache.FlightCacheDataset/1"
CONFIG_KEYS = ("dataset", "columns", "shuffle", "seed", "server_batch_rows")


@dataclass(frozen=True)
class Progress:
    """A stream's remaining segments after one delivered batch."""

    virtual_rank: int
    virtual_world: int
    segments: list[dict[str, Any]]


class TaggedBatch:
    """A batch on its way from a DataLoader worker to FlightCacheDataLoader, carrying its Progress."""

    __slots__ = ("batch", "progress")

    def __init__(self, batch: Any, progress: Progress):
        self.batch = batch
        self.progress = progress

    def pin_memory(self) -> TaggedBatch:
        """Pins the batch (the DataLoader's pin_memory thread calls this)."""
        return TaggedBatch(pin_memory(self.batch), self.progress)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled only on the way from a worker: tensors travel as references into mappable regions.
        return (_unpack_tagged, (pack(self.batch), self.progress))


def _unpack_tagged(packed: Any, progress: Progress) -> TaggedBatch:
    return TaggedBatch(unpack(packed), progress)


class TaggedGroup:
    """The batches a DataLoader worker cut from one server batch, travelling to the main process as one item."""

    __slots__ = ("batches",)

    def __init__(self, batches: list[TaggedBatch]):
        self.batches = batches

    def pin_memory(self) -> TaggedGroup:
        """Pins every batch (the DataLoader's pin_memory thread calls this)."""
        return TaggedGroup([batch.pin_memory() for batch in self.batches])


def merge_state_dicts(states: list[dict[str, Any]]) -> dict[str, Any]:
    """One state holding the streams of every given state (e.g. one per rank) of the same epoch."""
    if not states:
        raise ValueError("merge_state_dicts needs at least one state dict")
    first = states[0]
    keys = ("format", "epoch", "virtual_world_size") + CONFIG_KEYS
    streams: dict[str, Any] = {}
    for state in states:
        differing = [key for key in keys if state.get(key) != first.get(key)]
        if differing:
            raise ValueError(f"state dicts differ in {differing}: they are not from the same epoch of the same dataset")
        for rank, stream in state["streams"].items():
            if rank in streams and streams[rank] != stream:
                raise ValueError(f"two state dicts hold different positions for virtual rank {rank}")
            streams[rank] = stream
    return {**first, "streams": dict(sorted(streams.items(), key=lambda item: int(item[0])))}
