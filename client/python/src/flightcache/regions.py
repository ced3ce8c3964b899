"""Memory regions of this process that another process on the host can map: each is a private
copy-on-write mapping of a file descriptor (a node's shared-memory segment, or a memfd holding rows
gathered here), kept with its descriptor for as long as the mapping lives.

DataLoader workers hand batches to the main process as references into these regions
(flightcache.torch.transfer) instead of copying each tensor into a new shared-memory block.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Region:
    """One mapping: its key, where it starts in this process, its size and its descriptor."""

    key: Hashable
    base: int
    size: int
    fd: int


_REGIONS: dict[Hashable, tuple[Region, weakref.ref[mmap.mmap]]] = {}
_LOCK = threading.Lock()


def private_map(fd: int, size: int) -> mmap.mmap:
    """A private copy-on-write mapping of `fd`: it shows the file's pages without copying them, and a
    write (an in-place op on a tensor built on it) copies the page it writes instead of faulting or
    reaching the file."""
    return mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)


def _base(mapping: mmap.mmap) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(mapping)) if len(mapping) else 0


def _forget(key: Hashable, fd: int) -> None:
    with _LOCK:
        entry = _REGIONS.get(key)
        if entry is not None and entry[0].fd == fd:
            del _REGIONS[key]
    os.close(fd)


def mapping_of(key: Hashable) -> Optional[mmap.mmap]:
    """The live mapping registered under `key`, if any."""
    with _LOCK:
        entry = _REGIONS.get(key)
    return entry[1]() if entry is not None else None


def register(key: Hashable, mapping: mmap.mmap, fd: int) -> mmap.mmap:
    """Registers `mapping` of `fd` under `key`; the registry owns `fd` and closes it when the mapping goes."""
    region = Region(key, _base(mapping), len(mapping), fd)
    with _LOCK:
        _REGIONS[key] = (region, weakref.ref(mapping))
    weakref.finalize(mapping, _forget, key, fd)
    return mapping


def find(address: int, size: int) -> Optional[Region]:
    """The live region holding bytes [address, address + size), if any."""
    with _LOCK:
        entries = list(_REGIONS.values())
    for region, ref in entries:
        if region.base <= address and address + size <= region.base + region.size and ref() is not None:
            return region
    return None


def live() -> int:
    """How many regions this process holds mapped."""
    with _LOCK:
        return sum(1 for _, ref in _REGIONS.values() if ref() is not None)
