"""Handing batches from DataLoader workers to the main process without a copy per tensor.

torch sends each tensor a worker yields through a new shared-memory block of its own: a copy,
a block created and mapped, and a descriptor passed, for every tensor of every batch. A worker of
FlightCacheDataset instead keeps every batch it yields in memory the main process can map
(flightcache.regions): tensors of stored batches read from a node's shared memory already are;
rows that arrived over gRPC or were gathered (shuffles) are copied once per server batch into a
memfd. A batch then travels as references (region, offset, dtype, shape), with each region's
descriptor sent the first time this worker refers to it; the main process maps each region once
(private copy-on-write) and builds the tensors on it without copying.
"""

from __future__ import annotations

import itertools
import mmap
import os
import threading
from collections.abc import Hashable
from multiprocessing.reduction import DupFd
from typing import Any

import pyarrow as pa
import torch

from .. import regions

_counter = itertools.count()
_SENT: set[Hashable] = set()
_SENT_LOCK = threading.Lock()


def _in_regions(batch: pa.RecordBatch) -> bool:
    for column in batch.columns:
        for buffer in column.buffers():
            if buffer is not None and buffer.size and regions.find(buffer.address, buffer.size) is None:
                return False
    return True


def shareable(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` with its buffers in a region: as is when they are already, else copied once into a new memfd."""
    if _in_regions(batch) or any(pa.types.is_dictionary(field.type) for field in batch.schema):
        # Dictionary columns travel the ordinary way (torch decodes them into new tensors anyway).
        return batch
    size = len(batch.schema.serialize()) + pa.ipc.get_record_batch_size(batch) + 4096
    fd = os.memfd_create("flightcache-batch", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, size)
        mapping = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    except BaseException:
        os.close(fd)
        raise
    with pa.ipc.new_stream(pa.FixedSizeBufferWriter(pa.py_buffer(mapping)), batch.schema) as writer:
        writer.write_batch(batch)
    regions.register(("rows", os.getpid(), next(_counter)), mapping, fd)
    return pa.ipc.open_stream(pa.py_buffer(mapping)).read_next_batch()


def _pack_tensor(tensor: torch.Tensor) -> Any:
    if tensor.device.type != "cpu" or not tensor.is_contiguous() or tensor.numel() == 0:
        return ("value", tensor)
    size = tensor.numel() * tensor.element_size()
    region = regions.find(tensor.data_ptr(), size)
    if region is None:
        return ("value", tensor)
    with _SENT_LOCK:
        first = region.key not in _SENT
        _SENT.add(region.key)
    key = (os.getpid(), region.key)
    return ("region", key, region.size, DupFd(region.fd) if first else None, tensor.data_ptr() - region.base, tensor.dtype, tuple(tensor.shape))


def pack(batch: Any) -> Any:
    """A worker's batch as picklable references where its tensors lie in regions (else the values)."""
    if isinstance(batch, dict):
        return {"dict": {name: _pack_tensor(value) if isinstance(value, torch.Tensor) else ("value", value) for name, value in batch.items()}}
    return {"value": batch}


# Regions received in the main process, by (worker pid, region key): a worker sends a descriptor only
# once, so the mapping stays here until that worker has exited.
_RECEIVED: dict[tuple[int, Hashable], mmap.mmap] = {}
_RECEIVED_LOCK = threading.Lock()


def _unpack_tensor(packed: Any) -> Any:
    if packed[0] == "value":
        return packed[1]
    _, key, size, dupfd, offset, dtype, shape = packed
    with _RECEIVED_LOCK:
        mapping = _RECEIVED.get(key)
        if dupfd is not None:
            fd = dupfd.detach()
            try:
                if mapping is None:
                    mapping = regions.private_map(fd, size)
                    _RECEIVED[key] = mapping
            finally:
                os.close(fd)
    if mapping is None:
        raise RuntimeError(f"a DataLoader worker referred to region {key} before sending it")
    count = 1
    for extent in shape:
        count *= extent
    return torch.frombuffer(mapping, dtype=dtype, count=count, offset=offset).view(shape)


def unpack(packed: Any) -> Any:
    """The inverse of pack, in the main process."""
    if "dict" in packed:
        return {name: _unpack_tensor(value) for name, value in packed["dict"].items()}
    return packed["value"]


def forget_exited_workers() -> None:
    """Drops the main process's references to regions of workers that have exited (tensors built on them keep them)."""
    with _RECEIVED_LOCK:
        for key in [key for key in _RECEIVED if not os.path.exists(f"/proc/{key[0]}")]:
            del _RECEIVED[key]
