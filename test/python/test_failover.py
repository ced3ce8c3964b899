"""Reading fails over when a shard dies: against `flightcache serve --shards 3 --replicas 2`,
shard processes (their pids from the coordinator's stats members) are killed with SIGKILL while a
FlightCacheDataset is mid-epoch and just before a share is read; every row still arrives exactly
once, and the reader retried on another replica. Before the kills, the mid-epoch scenario also
checks that a shuffled share (many endpoints) reads identically with read_ahead 1 and 4, and that
breaking out of an epoch early leaves no read-ahead thread running. Over gRPC and over same-host
shared memory (the `transport` fixture), failing over to another replica at the exact row.
"""

import os
import signal
import threading
import time
from typing import Callable

import flightcache
from conftest import Server
from flightcache.request import share_request
from flightcache.stream import ShareStream
from flightcache.torch import FlightCacheDataset, make_dataloader
from torch_common import assert_exactly_once, ids_of, make_table

ROWS, SERVER_BATCH = 60000, 500


def shard_pids(client):
    """Port -> pid of every live shard process the coordinator lists (restarted ones appear once live)."""
    return {
        port_of(member["location"]): member["pid"]
        for member in client.stats()["members"]
        if member["live"] and "pid" in member
    }


def port_of(uri):
    return int(uri.rsplit(":", 1)[1])


def victims(client, name, most):
    """Up to `most` shard ports, each the first location of an endpoint, killing no endpoint's every replica."""
    endpoints = [[port_of(loc.uri.decode()) for loc in e.locations] for e in client.flight_info(name).endpoints]
    chosen: list[int] = []
    for ports in endpoints:
        first = ports[0]
        if first in chosen or len(chosen) == most:
            continue
        if all(not set(other) <= set(chosen + [first]) for other in endpoints):
            chosen.append(first)
    assert chosen, f"no shard can die without losing data: endpoints {endpoints}"
    return chosen


def kill(ports, pids):
    for port in ports:
        os.kill(pids[port], signal.SIGKILL)


def read_killing(batches, client, name, pids, most):
    """Reads every batch, killing up to `most` shards (see victims) after the fifth; returns the ids read."""
    read = []
    for batch in batches:
        read.append(batch)
        if len(read) == 5:
            kill(victims(client, name, most), pids)
    return ids_of(read)


def read_ahead(url, name):
    """Read-ahead delivers a shuffled share in the same order as reading one endpoint at a time."""
    client = flightcache.Client(url)
    endpoints = len(client.flight_info(name, shuffle=True, seed=3).endpoints)
    assert endpoints > 4, f"a shuffled share over 3 shards has many endpoints, got {endpoints}"
    orders = []
    for depth in (1, 4):
        data = FlightCacheDataset(url, name, batch_size=256, shuffle=True, seed=3, read_ahead=depth)
        orders.append(ids_of(list(data)))
        assert_exactly_once(orders[-1], ROWS, f"shuffled read with read_ahead={depth}")
    assert orders[0] == orders[1], "read_ahead 1 and 4 deliver the same order"
    baseline = threading.active_count()
    batches = iter(FlightCacheDataset(url, name, batch_size=256, shuffle=True, seed=3, read_ahead=4))
    assert [next(batches)["id"].tolist() for _ in range(2)] == [orders[0][:256], orders[0][256:512]]
    batches.close()
    deadline = time.monotonic() + 1
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == baseline, f"{threading.active_count() - baseline} threads still running after an early break"


def wait_for_replicas(client):
    """Waits until the killed shards are back and refilled; returns (a killable first location, pids)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            ports = victims(client, name_of(client), 1)
            pids = shard_pids(client)
            if ports[0] in pids and all(d["status"] == "healthy" for d in client.stats()["datasets"]):
                return ports, pids
        except AssertionError:
            pass
        assert time.monotonic() < deadline, "the cluster did not recover its replicas within 30 s"
        time.sleep(0.5)


def name_of(client):
    """The one dataset of this scenario."""
    return client.datasets()[0].name


def scenarios(url, name):
    passed = []
    client = flightcache.Client(url)
    assert client.put(name, make_table(ROWS), batch_rows=SERVER_BATCH) == ROWS
    pids = shard_pids(client)
    assert len(set(pids.values())) == 3, f"expected 3 shard processes, found {pids}"
    read_ahead(url, name)

    ids = read_killing(FlightCacheDataset(url, name, batch_size=256, prefetch=1), client, name, pids, 2)
    assert_exactly_once(ids, ROWS, "dataset read across killed shards")
    passed.append("FlightCacheDataset mid-epoch")

    ports, pids = wait_for_replicas(client)
    kill(ports, pids)
    stream = ShareStream(client.connections, share_request(name))
    ids = [i for piece in stream for i in piece.rows.column("id").to_pylist()]
    assert_exactly_once(ids, ROWS, "share read starting at a dead shard")
    assert stream.failovers >= 1, "the first location was dead, so the reader failed over"
    passed.append("dead first location")

    wait_for_replicas(client)
    pids = shard_pids(client)
    loader = make_dataloader(FlightCacheDataset(url, name, batch_size=256), num_workers=2)
    ids = read_killing(loader, client, name, pids, 1)
    assert_exactly_once(ids, ROWS, "DataLoader with 2 workers across a killed shard")
    passed.append("DataLoader with 2 workers mid-epoch")
    return passed


def test_reads_fail_over_to_another_replica_when_shard_processes_are_killed_mid_epoch(serve: Callable[..., Server], transport: str) -> None:
    cluster = serve("--shards", "3", "--replicas", "2")
    assert scenarios(cluster.url, "failover") == ["FlightCacheDataset mid-epoch", "dead first location", "DataLoader with 2 workers mid-epoch"]
