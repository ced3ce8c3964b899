"""Reader process of the `cluster` benchmark suite: one rank of a flightcache cluster, read the way a
trainer reads it. GetFlightInfo goes to the coordinator with the path [name, RANK, WORLD]; every
endpoint is then read with DoGet at its (single) location, a shard. Connections to the coordinator
and to every shard stay open for the life of the process.

    python cluster_reader.py --url grpc://COORDINATOR --name DATASET --rank R --world W

On start it reads its share once and prints {"ready": true, "rows", "bytes", "endpoints",
"locations"} so the parent can check that the ranks together cover the dataset. Then one JSON line
per command read from stdin:

    read SECONDS        share reads (GetFlightInfo + every endpoint's DoGet) back to back for SECONDS;
                        a read still running at the deadline is cancelled and its bytes so far count
                        -> {"bytes", "rows", "seconds", "reads", "plans"}
    first COUNT R W     COUNT sequential times from GetFlightInfo of share R of W to the first record
                        batch of its first endpoint, and of the GetFlightInfo call alone
                        -> {"first_seconds": [...], "plan_seconds": [...]}
    quit                exit 0

Batches are counted (RecordBatch.nbytes) and dropped, never assembled into a Table.
"""

import argparse
import sys
import time

import pyarrow.flight as flight

from epoch_common import emit, protocol_stream
from reader_protocol import positive, read_window, serve_commands


def share_descriptor(name, rank, world):
    """The path form [name, RANK, WORLD] of a rank's share."""
    return flight.FlightDescriptor.for_path(name, str(rank), str(world))


class ClusterReader:
    """Open connections to the coordinator and to each shard location it has named so far."""

    def __init__(self, url, name, rank, world):
        self.coordinator = flight.connect(url)
        self.name = name
        self.descriptor = share_descriptor(name, rank, world)
        self.shards = {}

    def shard(self, location):
        """The kept-open client of a location URI."""
        client = self.shards.get(location)
        if client is None:
            client = self.shards[location] = flight.connect(location)
        return client

    def endpoint_stream(self, endpoint):
        """DoGet of an endpoint at its first location."""
        if not endpoint.locations:
            raise SystemExit("the coordinator sent an endpoint without a location")
        return self.shard(endpoint.locations[0].uri).do_get(endpoint.ticket)

    def read_share(self, deadline):
        """One share read, cut short at deadline; returns (rows, bytes, finished, info)."""
        info = self.coordinator.get_flight_info(self.descriptor)
        rows = data_bytes = 0
        for endpoint in info.endpoints:
            stream = self.endpoint_stream(endpoint)
            for chunk in stream:
                rows += chunk.data.num_rows
                data_bytes += chunk.data.nbytes
                if time.perf_counter() >= deadline:
                    stream.cancel()
                    return rows, data_bytes, False, info
        if info.total_records >= 0 and rows != info.total_records:
            raise SystemExit(f"a share read returned {rows} rows, FlightInfo says {info.total_records}")
        return rows, data_bytes, True, info

    def window(self, seconds):
        """Share reads back to back for `seconds`; the last one is cut at the deadline."""
        result, plans = read_window(lambda deadline: self.read_share(deadline)[:3], seconds)
        return {**result, "plans": plans}

    def first_batch(self, count, rank, world):
        """Seconds from GetFlightInfo to the first record batch of the first endpoint, and of the
        GetFlightInfo call alone, `count` times."""
        descriptor = share_descriptor(self.name, rank, world)
        first = []
        plan = []
        for _ in range(count):
            start = time.perf_counter()
            info = self.coordinator.get_flight_info(descriptor)
            planned = time.perf_counter()
            stream = self.endpoint_stream(info.endpoints[0])
            stream.read_chunk()
            first.append(time.perf_counter() - start)
            plan.append(planned - start)
            stream.cancel()
        return {"first_seconds": first, "plan_seconds": plan}


def _positive_int(text):
    return positive(int, text)


def commands(reader):
    """The read and first commands (see the module's doc)."""
    return {
        "read": (1, lambda seconds: reader.window(positive(float, seconds))),
        "first": (3, lambda count, rank, world: reader.first_batch(_positive_int(count), int(rank), _positive_int(world))),
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the coordinator")
    parser.add_argument("--name", required=True, help="dataset name")
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--world", type=_positive_int, required=True)
    args = parser.parse_args(argv)
    out = protocol_stream()
    reader = ClusterReader(args.url, args.name, args.rank, args.world)
    rows, data_bytes, _, info = reader.read_share(float("inf"))
    locations = sorted({e.locations[0].uri.decode() for e in info.endpoints})
    emit(out, {"ready": True, "rows": rows, "bytes": data_bytes, "endpoints": len(info.endpoints), "locations": locations})
    serve_commands(sys.stdin, commands(reader), lambda value: emit(out, value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
