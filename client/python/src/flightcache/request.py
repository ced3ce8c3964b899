"""The GetFlightInfo JSON command of a flightcache server (docs/cluster.md, "Reading").

A request is a plain JSON-ready dict so it can travel in state dicts and between processes.
Options the server treats as defaults are left out, so a request only names what it changes.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

import pyarrow.flight as flight

from .host import host_id

Request = dict[str, Any]


def share_request(
    dataset: Optional[str],
    *,
    rank: int = 0,
    world_size: int = 1,
    columns: Optional[Sequence[str]] = None,
    filter: Optional[str] = None,  # noqa: A002 - the server's option name
    shuffle: bool = False,
    seed: int = 0,
    epoch: int = 0,
    batch_rows: Optional[int] = None,
    resume: Optional[dict[str, Any]] = None,
    hosts: Optional[Sequence[str]] = None,
) -> Request:
    """Builds the command for rank `rank` of `world_size`'s share of `dataset` (None: the default dataset).

    `hosts`: every rank's host id (flightcache.host.host_id() of each rank, the same list on every
    rank): shares then prefer the partitions held on their rank's host (docs/cluster.md, "Locality").
    `filter`: a SQL predicate; only the rows where it is TRUE are read (README, "Queries").
    """
    if not (isinstance(world_size, int) and world_size >= 1):
        raise ValueError(f"world_size must be an integer >= 1, got {world_size!r}")
    if not (isinstance(rank, int) and 0 <= rank < world_size):
        raise ValueError(f"rank must be an integer in [0, {world_size}), got {rank!r}")
    request: Request = {}
    if dataset is not None:
        request["dataset"] = dataset
    request["rank"] = rank
    request["world_size"] = world_size
    if columns is not None:
        request["columns"] = list(columns)
    if filter is not None:
        request["filter"] = filter
    if shuffle:
        # seed and epoch only choose the permutation, so they are sent only with shuffle.
        request.update(shuffle=True, seed=int(seed), epoch=int(epoch))
    if batch_rows is not None:
        if not (isinstance(batch_rows, int) and batch_rows >= 1):
            raise ValueError(f"batch_rows must be an integer >= 1, got {batch_rows!r}")
        request["batch_rows"] = batch_rows
    if resume is not None:
        request["resume"] = {"world_size": resume["world_size"], "cursors": list(resume["cursors"])}
        if "hosts" in resume:
            request["resume"]["hosts"] = list(resume["hosts"])
    if hosts is not None:
        if len(hosts) != world_size:
            raise ValueError(f"hosts must list the host of each of the {world_size} ranks, got {len(hosts)}")
        request["hosts"] = [str(host) for host in hosts]
    return request


def descriptor(request: Request, start_after: Optional[str] = None) -> flight.FlightDescriptor:
    """The CMD descriptor of a request, continuing after `start_after` when given; it says where this process runs ("host")."""
    body = dict(request)
    # Sent here rather than stored in the request: a state dict resumed elsewhere reports its new host.
    body.setdefault("host", host_id())
    if start_after is not None:
        body["start_after"] = start_after
    return flight.FlightDescriptor.for_command(json.dumps(body, separators=(",", ":")))
