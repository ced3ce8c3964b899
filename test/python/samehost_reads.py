"""Same-host reads against a real server on this host (docs/same-host.md), from one process:

    python samehost_reads.py URL NAME ROWS choice      transport choice, opt-out, and equality with gRPC
    python samehost_reads.py URL NAME ROWS dropped     a dataset dropped mid-read
    python samehost_reads.py URL NAME ROWS broken      the same-host socket broken mid-read
    python samehost_reads.py URL NAME ROWS dictionaries   a shuffle of batches with their own dictionaries (NAME is written)
    python samehost_reads.py URL auth USER PASSWORD    credentials: with them shm, without them refused

The dataset NAME of ROWS rows (torch_common.make_table) must exist already.
"""

import sys
import time

import flightcache
import pyarrow as pa
import pyarrow.flight as flight
import torch
from flightcache import regions, samehost
from flightcache.torch import FlightCacheDataset, make_dataloader, transfer
from torch_common import assert_exactly_once, check, finish, ids_of, make_table, raises


def in_mapping(address):
    """True when `address` lies in one of this process's segment mappings."""
    region = regions.find(address, 1)
    return region is not None and region.key[0] == "segment"


def read(client, name, **options):
    return list(client.read_batches(name, **options))


def same_batches(shm, grpc, what):
    check(len(shm) == len(grpc), f"{what}: {len(shm)} batches over shm, {len(grpc)} over gRPC")
    for index, ((a, cursor_a), (b, cursor_b)) in enumerate(zip(shm, grpc)):
        check(cursor_a == cursor_b, f"{what}: batch {index} cursor {cursor_a!r} over shm, {cursor_b!r} over gRPC")
        check(a.equals(b) and a.schema.equals(b.schema, check_metadata=True), f"{what}: batch {index} differs")


def choice(url, name, rows):
    passed = []
    auto = FlightCacheDataset(url, name, batch_size=16, transport="auto")
    check(auto.transport == "shm", f"auto on the server's host reads shared memory, got {auto.transport!r}")
    check(FlightCacheDataset(url, name, batch_size=16, transport="grpc").transport == "grpc", "transport='grpc' opts out")
    passed.append("auto picks shm on the same host, grpc opts out")

    shm, grpc = flightcache.Client(url, transport="shm"), flightcache.Client(url, transport="grpc")
    cases = {
        "stored order": {},
        "shuffled": {"shuffle": True, "seed": 5, "epoch": 2},
        "projected": {"columns": ["label", "id"]},
        "re-chunked and shuffled": {"shuffle": True, "seed": 1, "batch_rows": 50},
        "rank 1 of 3": {"rank": 1, "world_size": 3, "shuffle": True},
    }
    for what, options in cases.items():
        over_shm = read(shm, name, **options)
        same_batches(over_shm, read(grpc, name, **options), what)
        middle = over_shm[len(over_shm) // 2][1]
        same_batches(read(shm, name, start_after=middle, **options), read(grpc, name, start_after=middle, **options), f"{what} after a cursor")
    check(pa.Table.from_batches([b for b, _ in read(shm, name)]).equals(make_table(rows)), "shm reads the stored table")
    passed.append("same batches, cursors and resume as gRPC")

    batch = next(iter(FlightCacheDataset(url, name, batch_size=16, transport="shm")))
    check(in_mapping(batch["id"].data_ptr()) and in_mapping(batch["x"].data_ptr()), "tensors of stored-order batches share the mapped memory")
    expected = batch["x"].clone()
    batch["x"].mul_(-1)
    check(torch.equal(batch["x"], -expected), "an in-place op on a tensor built on mapped memory works")
    stored = next(iter(FlightCacheDataset(url, name, batch_size=16, transport="grpc")))
    check(torch.equal(stored["x"], expected), "an in-place op never reaches the node's memory")
    check(regions.live() >= 1, "segments are mapped once per process")
    passed.append("tensors share mapped memory, safely")

    everything = ids_of(list(FlightCacheDataset(url, name, batch_size=16, shuffle=True, seed=9, transport="shm")))
    assert_exactly_once(everything, rows, "shuffled dataset over shm")
    passed.append("shuffled dataset")

    for shuffle in (False, True):
        batches = []
        for batch in make_dataloader(FlightCacheDataset(url, name, batch_size=16, shuffle=shuffle, transport="shm"), num_workers=2):
            # Batches within one server batch are references into the node's segments (or, shuffled, into the
            # memfd the worker gathered them into); batches spanning two server batches into the worker's copy.
            received = list(transfer._RECEIVED.values())
            for key in ("id", "x", "label"):
                check(any(_inside(batch[key], mapping) for mapping in received), f"worker tensor {key!r} arrived as a reference into a mapped region")
            batches.append(batch)
        assert_exactly_once(ids_of(batches), rows, f"2 workers, shuffle={shuffle}")
    passed.append("workers hand tensors over as references into mapped regions")
    return passed


def _inside(tensor, mapping):
    base = torch.frombuffer(mapping, dtype=torch.uint8, count=1).data_ptr()
    return base <= tensor.data_ptr() < base + len(mapping)


def dropped(url, name, rows):
    client = flightcache.Client(url, transport="grpc")
    data = FlightCacheDataset(url, name, batch_size=16, transport="shm", prefetch=1, read_ahead=1)
    batches = iter(data)
    received = [next(batches) for _ in range(3)]
    copies = [{key: value.clone() for key, value in batch.items() if isinstance(value, torch.Tensor)} for batch in received]
    client.drop(name)
    held = client.stats().get("sameHost", {}).get("heldBytes", 0)
    check(held > 0, f"stats shows the memory a reader still holds after the drop, got heldBytes {held}")
    rest = []
    try:
        for batch in batches:
            rest.append(batch)
    except (pa.ArrowKeyError, flight.FlightError) as error:
        rest.append(error)
    for batch, copy in zip(received, copies):
        for key, value in copy.items():
            check(torch.equal(batch[key], value), f"tensor {key!r} received before the drop changed after it")
    read = ids_of(received + [b for b in rest if isinstance(b, dict)])
    check(read == list(range(len(read))), "what was read is the stored order, without gaps or repeats")
    # The reader's client keeps what it mapped until it is closed; then the node stops counting it.
    data._process_client().close()
    deadline = time.monotonic() + 10
    while client.stats()["sameHost"]["heldBytes"] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    held = client.stats()["sameHost"]["heldBytes"]
    check(held == 0, f"after the reader's client closed, heldBytes is {held}")
    for batch, copy in zip(received, copies):
        for key, value in copy.items():
            check(torch.equal(batch[key], value), f"tensor {key!r} still reads its bytes after the node let go")
    return ["dropped mid-read: received tensors unchanged, memory held shown in stats until the reader closes"]


def broken(url, name, rows):
    """The process's same-host sockets shut down mid-read: the read continues over gRPC at the exact row."""
    import gc
    import socket

    data = FlightCacheDataset(url, name, batch_size=16, transport="shm", prefetch=1, read_ahead=1)
    batches = iter(data)
    received = [next(batches) for _ in range(3)]
    state = samehost._state(data._process_client().connections)
    check(not state.broke(url), "nothing broke before the sockets are shut down")
    connections = [o for o in gc.get_objects() if type(o) is samehost._Connection]
    check(connections, "the read holds a same-host connection")
    for connection in connections:
        connection.frames.sock.shutdown(socket.SHUT_RDWR)
    received += list(batches)
    check(state.broke(url), "the broken stream was noticed and the location is read over gRPC from then on")
    ids = ids_of(received)
    check(ids == list(range(rows)), f"every row once, in stored order, across the switch ({len(ids)} rows)")
    return ["broken socket: continues over gRPC at the exact row"]


def dictionaries(url, name, rows):
    """A dataset whose dictionaries change between batches: shuffled over shm it reads every row once
    with its own value; gRPC refuses such a shuffle (an IPC stream cannot send it out of order)."""
    batches = [
        pa.record_batch({"id": pa.array(range(start, start + 25)), "tag": pa.array([f"b{start // 25}-{i % 3}" for i in range(25)]).dictionary_encode()})
        for start in range(0, rows, 25)
    ]
    writer = flightcache.Client(url, transport="grpc")
    writer.put(name, pa.Table.from_batches(batches), batch_rows=None)
    expected = {i: f"b{i // 25}-{(i % 25) % 3}" for i in range(rows)}
    shm = flightcache.Client(url, transport="shm")
    read = [(i, tag) for batch, _ in shm.read_batches(name, shuffle=True, seed=4) for i, tag in zip(batch.column("id").to_pylist(), batch.column("tag").to_pylist())]
    assert_exactly_once([i for i, _ in read], rows, "shuffled dictionary batches over shm")
    wrong = [(i, tag) for i, tag in read if expected[i] != tag]
    check(not wrong, f"rows decoded with another batch's dictionary: {wrong[:3]}")
    check([i for i, _ in read] != sorted(i for i, _ in read), "the read was shuffled")
    error = raises(pa.ArrowInvalid, lambda: list(writer.read_batches(name, shuffle=True, seed=4)), "a gRPC shuffle of changing dictionaries")
    check("precondition failed" in str(error) and "dictionaries" in str(error), f"gRPC refuses with FAILED_PRECONDITION: {error}")
    return ["shuffled reads of changing dictionaries over shm; refused over gRPC"]


def auth(url, user, password):
    name = "auth-shm"
    writer = flightcache.Client(url, user=user, password=password, transport="grpc")
    writer.put(name, make_table(100))
    data = FlightCacheDataset(url, name, batch_size=10, user=user, password=password, transport="shm")
    check(data.transport == "shm", f"a reader with credentials maps shared memory, got {data.transport!r}")
    assert_exactly_once(ids_of(list(data)), 100, "authenticated shm read")
    for transport in ("auto", "shm"):
        anonymous = FlightCacheDataset(url, name, batch_size=10, transport=transport)
        raises(flight.FlightUnauthenticatedError, lambda anonymous=anonymous: list(anonymous), f"a reader without credentials ({transport})")
    wrong = FlightCacheDataset(url, name, batch_size=10, user=user, password="wrong", transport="shm")
    raises(flight.FlightUnauthenticatedError, lambda: list(wrong), "a reader with a wrong password")
    mapped = regions.live()
    node = samehost.SameHostNode(url, samehost._state(writer.connections).find(url, writer.connections)[0].socket_path, "any", None)
    raises(flight.FlightUnauthenticatedError, lambda: samehost._Connection(node), "a socket hello without credentials")
    check(regions.live() == mapped, "a refused hello maps nothing")
    writer.drop(name)
    return ["with credentials shm, without them refused"]


def main(argv):
    if argv[2] == "auth":
        finish(auth(argv[1], argv[3], argv[4]))
        return
    url, name, rows, scenario = argv[1], argv[2], int(argv[3]), argv[4]
    finish({"choice": choice, "dropped": dropped, "broken": broken, "dictionaries": dictionaries}[scenario](url, name, rows))


if __name__ == "__main__":
    main(sys.argv)
