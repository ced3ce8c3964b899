"""A rank of the locality test (test/cluster/locality.test.ts), run inside a network namespace that
stands for a host. Prints one JSON line.

    locality_read.py host
    locality_read.py put --url grpc://H:P --dataset NAME --batches N --rows R [--members M]
    locality_read.py held --url grpc://SHARD:P
    locality_read.py read --url grpc://H:P --dataset NAME --rank R --world W --address IP [--hosts JSON] [--shuffle]
    locality_read.py dataset --url grpc://H:P --dataset NAME --rank R --world W [--hosts JSON] [--shuffle]

`read` asks for its share with flightcache's request builder (which sends this process's host id),
reads each endpoint at its first location with pyarrow and reports the ids it read and the bytes
read from a location at --address (this namespace's own shard) and elsewhere. `dataset` reads the
share with FlightCacheDataset (transport auto) and reports the ids and how this process reads the
first location of each endpoint ("shm" where the shard shares its host id).
"""
import argparse
import json
import sys
import time
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.flight as flight
from flightcache.host import host_id
from flightcache.request import descriptor, share_request


def wait_for_members(client: flight.FlightClient, members: int) -> None:
    """Waits until the coordinator has `members` live members, so the put is placed over all of them."""
    deadline = time.monotonic() + 60
    while True:
        stats = json.loads(list(client.do_action(flight.Action("stats", b"")))[0].body.to_pybytes())
        if sum(1 for member in stats.get("members", []) if member.get("live")) >= members:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {members} live members after 60 s: {stats.get('members')}")
        time.sleep(0.1)


def put(args: argparse.Namespace) -> dict:
    batches = [
        pa.record_batch({"id": pa.array(range(b * args.rows, (b + 1) * args.rows), pa.int64())})
        for b in range(args.batches)
    ]
    client = flight.connect(args.url)
    wait_for_members(client, args.members)
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(args.dataset), batches[0].schema)
    for batch in batches:
        writer.write_batch(batch)
    writer.close()
    return {"put": args.batches * args.rows}


def held(args: argparse.Namespace) -> dict:
    """The rows of every partition the shard at --url stores."""
    stats = json.loads(list(flight.connect(args.url).do_action(flight.Action("stats", b"")))[0].body.to_pybytes())
    return {"rows": sum(dataset["rows"] for dataset in stats["datasets"])}


def read(args: argparse.Namespace) -> dict:
    hosts = json.loads(args.hosts) if args.hosts else None
    request = share_request(args.dataset, rank=args.rank, world_size=args.world, shuffle=args.shuffle, seed=3, hosts=hosts)
    client = flight.connect(args.url)
    info = client.get_flight_info(descriptor(request))
    ids: list = []
    local = remote = 0
    for endpoint in info.endpoints:
        location = endpoint.locations[0].uri.decode()
        table = flight.connect(location).do_get(endpoint.ticket).read_all()
        ids.extend(table.column("id").to_pylist())
        if urlparse(location).hostname == args.address:
            local += table.nbytes
        else:
            remote += table.nbytes
    return {"host": host_id(), "ids": ids, "localBytes": local, "remoteBytes": remote}


def dataset_read(args: argparse.Namespace) -> dict:
    from flightcache import Client
    from flightcache.torch import FlightCacheDataset

    hosts = json.loads(args.hosts) if args.hosts else None
    data = FlightCacheDataset(args.url, args.dataset, batch_size=1000, rank=args.rank, world_size=args.world, hosts=hosts, shuffle=args.shuffle, seed=3)
    ids = [int(i) for batch in data for i in batch["id"].tolist()]
    with Client(args.url) as client:
        info = client.flight_info(args.dataset, rank=args.rank, world_size=args.world)
        transports = client.location_transports(info)
        first = [transports[client.connections.resolve(e.locations[0].uri.decode())] for e in info.endpoints]
    return {"ids": ids, "firstTransports": sorted(set(first)), "transport": data.transport}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["host", "put", "held", "read", "dataset"])
    parser.add_argument("--url")
    parser.add_argument("--dataset")
    parser.add_argument("--batches", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--rank", type=int)
    parser.add_argument("--world", type=int)
    parser.add_argument("--address")
    parser.add_argument("--hosts")
    parser.add_argument("--shuffle", action="store_true")
    parser.add_argument("--members", type=int, default=1)
    args = parser.parse_args()
    modes = {"host": lambda _: {"host": host_id()}, "put": put, "held": held, "read": read, "dataset": dataset_read}
    result = modes[args.mode](args)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
