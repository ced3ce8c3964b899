"""Reader process of the `scale` benchmark suite: one per reader, pinned to a core by the parent.

    python scale_reader.py --url grpc://HOST:PORT --name DATASET

On start it connects, calls GetFlightInfo, reads the whole dataset once to check the row count,
and prints {"ready": true, "rows": R, "bytes": B}. It then answers one JSON line per command
read from stdin, so the parent can start every reader's timed window at the same moment:

    read SECONDS   read full tables back to back for SECONDS; a read still running at the deadline
                   is cancelled and its bytes so far count -> {"bytes", "rows", "seconds", "reads"}
    info COUNT     time COUNT sequential GetFlightInfo calls -> {"info_seconds": [...]}
    quit           exit 0

Chunks are counted (RecordBatch.nbytes) and dropped, never assembled into a Table.
"""

import argparse
import json
import sys
import time

import pyarrow.flight as flight

from doget_client import flight_batches
from reader_protocol import positive, read_window, serve_commands


def _reply(value):
    print(json.dumps(value), flush=True)


class Reader:
    """A connection to one server and the FlightInfo of the dataset it reads."""

    def __init__(self, url, name):
        self.client = flight.connect(url)
        self.descriptor = flight.FlightDescriptor.for_path(name)
        self.info = self.client.get_flight_info(self.descriptor)

    def read_until(self, deadline):
        """One full read, cut short at deadline; returns (rows, bytes, finished)."""
        rows = data_bytes = 0
        batches = flight_batches(self.client, self.info)
        for batch in batches:
            rows += batch.num_rows
            data_bytes += batch.nbytes
            if time.perf_counter() >= deadline:
                batches.close()
                return rows, data_bytes, False
        expected = self.info.total_records
        if expected >= 0 and rows != expected:
            raise SystemExit(f"a full read returned {rows} rows, FlightInfo says {expected}")
        return rows, data_bytes, True

    def window(self, seconds):
        """Full reads back to back for `seconds`; the last one is cut at the deadline."""
        return read_window(self.read_until, seconds)[0]

    def time_info(self, count):
        """Wall seconds of each of `count` sequential GetFlightInfo calls."""
        out = []
        for _ in range(count):
            start = time.perf_counter()
            self.client.get_flight_info(self.descriptor)
            out.append(time.perf_counter() - start)
        return out


def commands(reader):
    """The read and info commands (see the module's doc)."""
    return {
        "read": (1, lambda seconds: reader.window(positive(float, seconds))),
        "info": (1, lambda count: {"info_seconds": reader.time_info(positive(int, count))}),
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--name", required=True, help="dataset name (FlightDescriptor path)")
    args = parser.parse_args(argv)
    reader = Reader(args.url, args.name)
    rows, data_bytes, _ = reader.read_until(float("inf"))
    _reply({"ready": True, "rows": rows, "bytes": data_bytes})
    serve_commands(sys.stdin, commands(reader), _reply)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
