"""Shared pieces of the epoch suite's Python side: the consumer every contender runs on each batch,
column subsets, Flight reads (whole or projected to some columns), and round-robin alternation.

Every consumer touches every byte: besides counting rows and Arrow buffer bytes it sums all values of
every column as little-endian uint32 words modulo 2**32 (the "checksum"). The harness checks each
epoch's rows and checksum against the generated data, so a reader that skips or garbles data fails,
and a memory-mapped reader cannot finish without faulting in every page.
"""

import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

from doget_client import SCHEMA, flight_batches, generate_batches, parse_targets  # noqa: F401  (re-exported: the epoch data is doget's)

MASK32 = 0xFFFFFFFF

# k of the 8 columns for epoch_data.py --columns, chosen so that bytes per row grow with k: 8, 12, 24 and 48 bytes.
COLUMN_SETS = {
    1: ["i0"],
    2: ["i0", "f0"],
    4: ["i0", "i1", "f0", "f1"],
    8: [field.name for field in SCHEMA],
}


def array_checksum(array):
    """Sum of the array's values as uint32 words, mod 2**32 (numpy wraps uint32 addition)."""
    if array.null_count:
        raise ValueError("the epoch data has no nulls; a reader produced some")
    words = array.to_numpy(zero_copy_only=True).view(np.uint32)
    return int(np.add.reduce(words, dtype=np.uint32))


class Tally:
    """What one epoch saw: rows, Arrow buffer bytes, batches and the checksum of every value."""

    def __init__(self):
        self.rows = 0
        self.bytes = 0
        self.batches = 0
        self.checksum = 0

    def add_batch(self, batch):
        """Counts a RecordBatch and folds all its columns into the checksum."""
        self.rows += batch.num_rows
        self.bytes += batch.nbytes
        self.batches += 1
        for column in batch.columns:
            self.checksum = (self.checksum + array_checksum(column)) & MASK32

    def add_table(self, table):
        """Counts a Table chunk by chunk, without combining chunks."""
        for batch in table.to_batches():
            self.add_batch(batch)

    def as_dict(self):
        """The tally as the JSON the TypeScript side reads."""
        return {"rows": self.rows, "bytes": self.bytes, "batches": self.batches, "checksum": self.checksum}


def tally_batches(batches):
    """A Tally of an iterable of record batches."""
    tally = Tally()
    for batch in batches:
        tally.add_batch(batch)
    return tally


def descriptor(name):
    """The PATH descriptor naming a dataset."""
    return flight.FlightDescriptor.for_path(name)


def projected_descriptor(name, columns):
    """flightcache's JSON command descriptor: the whole dataset (one share) projected to columns at the server."""
    command = {"dataset": name, "rank": 0, "world_size": 1, "columns": list(columns)}
    return flight.FlightDescriptor.for_command(json.dumps(command).encode())


def flight_epoch(client, name, tally, columns=None, pushdown=False):
    """One epoch over Flight: GetFlightInfo, then DoGet every endpoint, chunk by chunk. With columns,
    the consumer sees only those columns: projected by the server (pushdown) or selected client side."""
    projected = columns is not None and pushdown
    info = client.get_flight_info(projected_descriptor(name, columns) if projected else descriptor(name))
    for batch in flight_batches(client, info):
        if columns is not None and not projected:
            batch = batch.select(columns)
        elif projected and batch.schema.names != list(columns):
            raise SystemExit(f"{name!r} projected to {columns} came back with columns {batch.schema.names}")
        tally.add_batch(batch)
    if info.total_records >= 0 and tally.rows != info.total_records:
        raise SystemExit(f"read {tally.rows} rows of {name!r}, its FlightInfo says {info.total_records}")


def round_order(names, round_index):
    """Round r starts at contender r mod n, so every contender runs in every position."""
    shift = round_index % len(names)
    return names[shift:] + names[:shift]


def check_tally(what, tally, expected):
    """Exits with a message when an epoch's rows or checksum differ from the loaded data."""
    if tally.rows != expected["rows"] or tally.checksum != expected["checksum"]:
        raise SystemExit(
            f"{what}: read {tally.rows} rows with checksum {tally.checksum}, "
            f"expected {expected['rows']} rows with checksum {expected['checksum']}"
        )


def protocol_stream():
    """The real stdout for protocol lines; fd 1 is pointed at stderr so library chatter cannot corrupt it."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def emit(stream, value):
    """Writes one JSON protocol line."""
    stream.write(json.dumps(value) + "\n")
    stream.flush()


def select_columns(table, k):
    """The table restricted to the k-column subset of COLUMN_SETS."""
    if k not in COLUMN_SETS:
        raise SystemExit(f"column count must be one of {sorted(COLUMN_SETS)}, got {k}")
    return table.select(COLUMN_SETS[k])


def rebatch(table, batch_rows):
    """The table as batches of batch_rows rows (the last may be shorter)."""
    return table.combine_chunks().to_batches(max_chunksize=batch_rows)


def read_ipc_file(path):
    """The whole IPC file as a Table over a memory map (no copy)."""
    return pa.ipc.open_file(pa.memory_map(path)).read_all()
