"""A long-lived contender of the `epoch` suite: sets up once (connects, opens, starts Ray), prints
{"ready": ...}, then runs one full epoch per `run` line on stdin and prints its result as one JSON
line: {"seconds", "rows", "bytes", "batches", "checksum"}. `exit` or end of input stops it.

    python epoch_worker.py flight --url grpc://HOST:PORT --name DATASET
    python epoch_worker.py parquet --path DIR
    python epoch_worker.py ipc --path FILE
    python epoch_worker.py ray --path DIR --temp-dir DIR [--object-store-mib 512]
    python epoch_worker.py redis --port PORT --prefix KEY [--pipeline 8]

Set-up time (connecting, Ray's start) is never part of an epoch; everything an epoch needs to find
its data again (GetFlightInfo, opening the file, planning the Ray dataset) is.
"""

import argparse
import sys

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.flight as flight

from epoch_common import Tally, flight_epoch
from worker_protocol import add_ray_parser, serve, start_ray


def flight_contender(args):
    """pyarrow.flight client of any Flight server (flightcache or the pyarrow peer)."""
    client = flight.connect(args.url)
    client.get_flight_info(flight.FlightDescriptor.for_path(args.name))
    return lambda tally: flight_epoch(client, args.name, tally)


def parquet_contender(args):
    """pyarrow.dataset over the Parquet files (multi-threaded decoding, as pyarrow does by default)."""
    dataset = ds.dataset(args.path, format="parquet")

    def epoch(tally):
        for batch in dataset.to_batches():
            tally.add_batch(batch)

    return epoch


def ipc_contender(args):
    """The Arrow IPC file, memory-mapped and read batch by batch (no copy; pages fault in on first touch)."""

    def epoch(tally):
        with pa.memory_map(args.path) as source:
            reader = pa.ipc.open_file(source)
            for index in range(reader.num_record_batches):
                tally.add_batch(reader.get_batch(index))

    return epoch


def ray_contender(args):
    """Ray Data streaming read_parquet; blocks are consumed whole (batch_size=None) as pyarrow Tables."""
    ray_data = start_ray(args)

    def epoch(tally):
        batches = ray_data.read_parquet(args.path).iter_batches(batch_format="pyarrow", batch_size=None)
        for table in batches:
            tally.add_table(table)

    return epoch


def redis_contender(args):
    """redis-py (with hiredis) GETs pipelined `--pipeline` at a time, each blob read with pyarrow.ipc."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=args.port)
    schema = pa.ipc.read_schema(pa.py_buffer(client.get(f"{args.prefix}:schema")))

    def epoch(tally):
        count = int(client.get(f"{args.prefix}:count"))
        keys = [f"{args.prefix}:{index:06d}" for index in range(count)]
        for first in range(0, count, args.pipeline):
            pipe = client.pipeline(transaction=False)
            for key in keys[first : first + args.pipeline]:
                pipe.get(key)
            for blob in pipe.execute():
                tally.add_batch(pa.ipc.read_record_batch(pa.py_buffer(blob), schema))

    return epoch


CONTENDERS = {
    "flight": flight_contender,
    "parquet": parquet_contender,
    "ipc": ipc_contender,
    "ray": ray_contender,
    "redis": redis_contender,
}


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    fl = kinds.add_parser("flight")
    fl.add_argument("--url", required=True)
    fl.add_argument("--name", required=True)
    for kind in ("parquet", "ipc"):
        kinds.add_parser(kind).add_argument("--path", required=True)
    add_ray_parser(kinds)
    red = kinds.add_parser("redis")
    red.add_argument("--port", type=int, required=True)
    red.add_argument("--prefix", required=True)
    red.add_argument("--pipeline", type=int, default=8)
    return parser


def main(argv):
    return serve(_parser().parse_args(argv), CONTENDERS, Tally)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
