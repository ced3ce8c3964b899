"""With drop_last, an epoch asks the server for each virtual rank's share once: GetFlightInfo calls are
counted by a Flight proxy (pyarrow's FlightServerBase) that forwards them to a real node or coordinator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any, Callable

import pyarrow.flight as flight
import pytest
import torch_common
from conftest import Server
from flightcache.torch import FlightCacheDataset, make_dataloader

ROWS = 1000
SERVER_BATCH_ROWS = 37
BATCH = 16


class CountingProxy(flight.FlightServerBase):
    """Forwards GetFlightInfo to `upstream` and records each request's JSON command; DoGet goes to the node's locations."""

    def __init__(self, upstream: str):
        super().__init__("grpc://127.0.0.1:0")
        self._upstream = flight.connect(upstream)
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    def get_flight_info(self, context: flight.ServerCallContext, descriptor: flight.FlightDescriptor) -> flight.FlightInfo:
        with self._lock:
            self.requests.append(json.loads(descriptor.command))
        return self._upstream.get_flight_info(descriptor)

    def shares(self) -> list[tuple[int, int]]:
        """(rank, world_size) of every request so far, sorted; then forgets them."""
        with self._lock:
            shares = sorted((r["rank"], r["world_size"]) for r in self.requests)
            self.requests = []
        return shares


@pytest.fixture(params=["node", "cluster"])
def proxy(request: pytest.FixtureRequest, serve: Callable[..., Server]) -> Iterator[CountingProxy]:
    """A proxy in front of a node, or of a coordinator with two shards, holding "cov"."""
    upstream = serve() if request.param == "node" else serve("--shards", "2", "--replicas", "1")
    torch_common.put(upstream.url, "cov", ROWS, SERVER_BATCH_ROWS)
    counting = CountingProxy(upstream.url)
    yield counting
    counting.shutdown()


def read_epoch(proxy: CountingProxy, world: int, workers: int, epoch: int) -> list[list[int]]:
    """Each rank's ids of one shuffled drop_last epoch."""
    per_rank = []
    for rank in range(world):
        data = FlightCacheDataset(proxy.url, "cov", batch_size=BATCH, shuffle=True, seed=1, drop_last=True, rank=rank, world_size=world, transport="grpc")
        data.set_epoch(epoch)
        loader = make_dataloader(data, num_workers=workers) if workers else data
        per_rank.append(torch_common.ids_of(list(loader)))
    return per_rank


@pytest.mark.parametrize(("world", "workers"), [(3, 0), (2, 2)])
def test_a_drop_last_epoch_plans_each_virtual_rank_once(proxy: CountingProxy, world: int, workers: int) -> None:
    virtual_world = world * max(workers, 1)
    for epoch in (0, 1):
        ids = read_epoch(proxy, world, workers, epoch)
        assert proxy.shares() == [(v, virtual_world) for v in range(virtual_world)], f"epoch {epoch}"
        # Every rank yields the same number of full batches, and no row twice.
        assert len({len(rank_ids) for rank_ids in ids}) == 1
        assert all(len(rank_ids) % BATCH == 0 for rank_ids in ids)
        flat = [i for rank_ids in ids for i in rank_ids]
        assert len(flat) == len(set(flat))
        assert ROWS - len(flat) < world * max(workers, 1) * (BATCH + SERVER_BATCH_ROWS)


def test_the_planning_call_asks_for_every_share_s_rows(proxy: CountingProxy) -> None:
    read_epoch(proxy, 2, 0, 0)
    requests = proxy.requests
    assert [request.get("rank_records") for request in requests] == [True, True]
