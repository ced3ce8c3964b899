"""One process of the `soak` benchmark suite: reader or writer threads against a flightcache cluster
while the parent injects faults (kills, freezes, restarts).

    python soak_worker.py readers --url URL --dataset NAME --rows N --kinds K[,K...] --threads T
    python soak_worker.py writers --url URL --prefix P --threads T --dir DIR

Thread i of a reader process reads with kind kinds[i % len(kinds)]:

    pyarrow          plain pyarrow.flight: GetFlightInfo at the coordinator, DoGet at each endpoint's
                     first location; no failover, so a fault fails the pass
    client           flightcache.Client.read_batches (failover from the last cursor)
    client-shuffle   the same, shuffled on the server (a new epoch every pass)
    dataset          flightcache.torch.FlightCacheDataset over gRPC
    dataset-shuffle  the same, shuffled
    dataset-shm      FlightCacheDataset with transport="shm" (the shards' shared memory on this host)

A reader thread reads the whole dataset (rank 0 of 1) pass after pass until the parent writes `stop`
on stdin. A pass that ends without an error must deliver every id in [0, N) exactly once: the rows it
misses count as lost, the ones it repeats (or outside the range) as duplicated. A pass that raises
counts as a failed call under its gRPC code. The thread records the seconds from the start of each
pass to its first batch, and every delivered row in the second (of Unix time) it arrived in.

A writer thread repeats a cycle on datasets of its own (PREFIX-THREAD-CYCLE): put 1,000 ids, append
500, check that a read returns exactly ids [0, 1500); `load` a Parquet file of 700 ids as a second
dataset and check it the same way; drop both. A step that raises counts under its gRPC code and the
cycle goes on with the drops, which are made again while they are UNAVAILABLE (a dataset that is
not found is gone).

After `stop` the process prints one JSON line: {"threads": [...], "buckets": {unix second: rows}, "hung": n},
n counting threads still inside a pass JOIN_SECONDS later.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
from collections import Counter

import flightcache
import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq

READER_KINDS = ("pyarrow", "client", "client-shuffle", "dataset", "dataset-shuffle", "dataset-shm")
# pyarrow's exception classes for the gRPC codes it maps to its own (arrow/flight/transport/grpc).
CODES = (
    (flight.FlightUnavailableError, "UNAVAILABLE"),
    (flight.FlightTimedOutError, "DEADLINE_EXCEEDED"),
    (flight.FlightCancelledError, "CANCELLED"),
    (flight.FlightUnauthenticatedError, "UNAUTHENTICATED"),
    (flight.FlightUnauthorizedError, "PERMISSION_DENIED"),
    (flight.FlightInternalError, "INTERNAL"),
    (KeyError, "NOT_FOUND"),
    (pa.ArrowInvalid, "INVALID_ARGUMENT"),
    (pa.ArrowNotImplementedError, "UNIMPLEMENTED"),
)
# The other codes reach Python as an ArrowException whose message names the gRPC status.
GRPC_NAMED = re.compile(r"gRPC returned ([a-z ]+) error", re.IGNORECASE)
PUT_ROWS = 1000
APPEND_ROWS = 500
LOAD_ROWS = 700
# A plain pyarrow call to a frozen shard would wait forever; it fails with DEADLINE_EXCEEDED instead.
CALL_TIMEOUT_SECONDS = 30
# How long a thread may take to finish its pass after `stop` before it counts as hung.
JOIN_SECONDS = 90
# A failed call is retried after this pause, as a client backing off would, not in a busy loop.
FAILED_PAUSE_SECONDS = 0.2
# A drop answered UNAVAILABLE (no coordinator serving, or one still learning what its shards hold)
# is made again for up to this long: a put cut short by the coordinator's loss may have left copies
# that the next coordinator adopts, and only a drop that succeeds or finds nothing clears them.
DROP_RETRY_SECONDS = 60


def code_of(error):
    """The gRPC code name of an exception raised by a Flight call, else its class name."""
    for kind, code in CODES:
        if isinstance(error, kind):
            return code
    named = GRPC_NAMED.search(str(error))
    if named:
        return named.group(1).upper().replace(" ", "_")
    return type(error).__name__


class Tally:
    """What one thread saw; `buckets` is shared by the process and guarded by `lock`."""

    def __init__(self, role, kind, buckets, lock):
        self.role = role
        self.kind = kind
        self.passes = 0
        self.rows_delivered = 0
        self.rows_expected = 0
        self.lost = 0
        self.duplicated = 0
        self.first_batch = []
        self.errors = Counter()
        self.samples = {}
        self.ops = Counter()
        self.buckets = buckets
        self.lock = lock

    def delivered(self, rows):
        second = int(time.time())
        with self.lock:
            self.buckets[second] = self.buckets.get(second, 0) + rows

    def check(self, ids, expected):
        """Counts a finished pass: ids against exactly [0, expected) once each."""
        ids = np.asarray(ids, dtype=np.int64)
        inside = ids[(ids >= 0) & (ids < expected)]
        counts = np.bincount(inside, minlength=expected)
        self.passes += 1
        self.rows_delivered += int(ids.size)
        self.rows_expected += expected
        self.lost += int(np.count_nonzero(counts == 0))
        self.duplicated += int(np.sum(np.maximum(counts - 1, 0))) + int(ids.size - inside.size)

    def failed(self, error, op=None):
        code = code_of(error)
        key = code if op is None else f"{op} {code}"
        self.errors[key] += 1
        self.samples.setdefault(key, str(error).splitlines()[0][:300] if str(error) else type(error).__name__)

    def as_json(self):
        return {
            "role": self.role,
            "kind": self.kind,
            "passes": self.passes,
            "rowsDelivered": self.rows_delivered,
            "rowsExpected": self.rows_expected,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "firstBatchSeconds": self.first_batch,
            "errors": dict(self.errors),
            "errorSamples": self.samples,
            "ops": dict(self.ops),
        }


def pyarrow_pass(url, dataset):
    """Yields id arrays of one plain pyarrow read of the whole dataset (no failover)."""
    coordinator = flight.connect(url)
    options = flight.FlightCallOptions(timeout=CALL_TIMEOUT_SECONDS)
    try:
        info = coordinator.get_flight_info(flight.FlightDescriptor.for_path(dataset), options)
        for endpoint in info.endpoints:
            shard = flight.connect(endpoint.locations[0].uri) if endpoint.locations else coordinator
            try:
                for chunk in shard.do_get(endpoint.ticket, options):
                    yield chunk.data.column("id").to_numpy()
            finally:
                if shard is not coordinator:
                    shard.close()
    finally:
        coordinator.close()


def client_pass(client, dataset, shuffle, epoch):
    """Yields id arrays of one flightcache.Client read (failover from the last cursor)."""
    options = {"shuffle": True, "seed": 7, "epoch": epoch} if shuffle else {}
    for batch, _ in client.read_batches(dataset, **options):
        yield batch.column("id").to_numpy()


def dataset_pass(data, epoch):
    """Yields id arrays of one epoch of a FlightCacheDataset."""
    data.set_epoch(epoch)
    for batch in data:
        yield batch["id"].numpy()


def reader_thread(args, kind, tally, stop):
    """Reads the dataset pass after pass with `kind` until stop is set."""
    client = flightcache.Client(args.url) if kind.startswith("client") else None
    data = None
    if kind.startswith("dataset"):
        from flightcache.torch import FlightCacheDataset  # loaded by main() before the threads start

        transport = "shm" if kind == "dataset-shm" else "grpc"
        data = FlightCacheDataset(args.url, args.dataset, batch_size=1000, shuffle=kind == "dataset-shuffle", seed=7, rank=0, world_size=1, transport=transport)
    epoch = 0
    while not stop.is_set():
        epoch += 1
        started = time.perf_counter()
        if kind == "pyarrow":
            pieces = pyarrow_pass(args.url, args.dataset)
        elif client is not None:
            pieces = client_pass(client, args.dataset, kind == "client-shuffle", epoch)
        else:
            pieces = dataset_pass(data, epoch)
        ids = []
        try:
            for piece in pieces:
                if not ids:
                    tally.first_batch.append(time.perf_counter() - started)
                ids.append(np.array(piece, dtype=np.int64))
                tally.delivered(len(piece))
        except Exception as error:  # noqa: BLE001 - every failure is tallied by its gRPC code
            tally.failed(error)
            time.sleep(FAILED_PAUSE_SECONDS)
            continue
        tally.check(np.concatenate(ids) if ids else np.empty(0, dtype=np.int64), args.rows)
    if client is not None:
        client.close()


def id_table(start, rows):
    ids = np.arange(start, start + rows, dtype=np.int32)
    return pa.table({"id": ids, "value": ids.astype(np.float64) * 0.5})


class Writer:
    """One writer thread's client, Parquet file and tally."""

    def __init__(self, args, index, tally):
        self.client = flightcache.Client(args.url)
        self.tally = tally
        self.prefix = f"{args.prefix}-{os.getpid()}-{index}"
        self.source = os.path.join(args.dir, f"writer-{os.getpid()}-{index}.parquet")
        pq.write_table(id_table(0, LOAD_ROWS), self.source, row_group_size=200)

    def step(self, op, run, *args):
        """Runs one step; a failure is tallied as "OP CODE" and followed by a pause. True when it succeeded."""
        try:
            run(*args)
            self.tally.ops[op] += 1
            return True
        except Exception as error:  # noqa: BLE001 - every failure is tallied by its gRPC code
            self.tally.failed(error, op)
            time.sleep(FAILED_PAUSE_SECONDS)
            return False

    def put_rows(self, name, start, rows):
        stored = self.client.put(name, id_table(start, rows), batch_rows=250)
        if stored != rows:
            raise RuntimeError(f"put of {rows} rows stored {stored}")

    def read_check(self, name, rows):
        ids = [batch.column("id").to_numpy() for batch, _ in self.client.read_batches(name)]
        self.tally.check(np.concatenate(ids) if ids else np.empty(0, dtype=np.int64), rows)

    def drop(self, name):
        """Drops NAME; UNAVAILABLE is retried (DROP_RETRY_SECONDS), and NOT_FOUND means it is gone."""
        deadline = time.monotonic() + DROP_RETRY_SECONDS
        while True:
            try:
                self.client.drop(name)
                return
            except flight.FlightUnavailableError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(FAILED_PAUSE_SECONDS)
            except KeyError:
                return

    def load(self, name):
        body = json.dumps({"name": name, "source": self.source, "format": "parquet"}).encode()
        self.client._action("load", body)  # noqa: SLF001 - the Python client has no load method; this is its action

    def cycle(self, number):
        """Put, append, check, load, check, drop, on datasets named after this cycle."""
        name = f"{self.prefix}-{number}"
        loaded = f"{name}-load"
        if self.step("put", self.put_rows, name, 0, PUT_ROWS) and self.step("append", self.put_rows, name, PUT_ROWS, APPEND_ROWS):
            self.step("read", self.read_check, name, PUT_ROWS + APPEND_ROWS)
        if self.step("load", self.load, loaded):
            self.step("read", self.read_check, loaded, LOAD_ROWS)
        for dataset in (name, loaded):
            self.step("drop", self.drop, dataset)


def writer_thread(args, index, tally, stop):
    """Writer cycles until stop is set."""
    writer = Writer(args, index, tally)
    number = 0
    while not stop.is_set():
        number += 1
        writer.cycle(number)
    writer.client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["readers", "writers"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--dataset")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--kinds", default=",".join(READER_KINDS))
    parser.add_argument("--prefix", default="soak-writer")
    parser.add_argument("--dir")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    unknown = [k for k in kinds if k not in READER_KINDS]
    if unknown:
        raise SystemExit(f"unknown reader kinds {unknown}; known: {READER_KINDS}")
    if args.role == "readers" and (args.dataset is None or args.rows is None):
        raise SystemExit("readers need --dataset and --rows")
    if args.role == "writers" and args.dir is None:
        raise SystemExit("writers need --dir")
    if args.role == "readers" and any(kind.startswith("dataset") for kind in kinds[: args.threads]):
        # torch takes seconds to import: before `started`, so that the run's first second already reads.
        # Imported only here so that writers and soak_partition.py never load it.
        import flightcache.torch  # noqa: F401
    stop = threading.Event()
    buckets = {}
    lock = threading.Lock()
    tallies = []
    threads = []
    for i in range(args.threads):
        if args.role == "readers":
            tally = Tally("reader", kinds[i % len(kinds)], buckets, lock)
            thread = threading.Thread(target=reader_thread, args=(args, tally.kind, tally, stop), daemon=True)
        else:
            tally = Tally("writer", "writer", buckets, lock)
            thread = threading.Thread(target=writer_thread, args=(args, i, tally, stop), daemon=True)
        tallies.append(tally)
        threads.append(thread)
        thread.start()
    print(json.dumps({"started": args.threads}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    hung = sum(thread.is_alive() for thread in threads)
    with lock:
        report = {"threads": [t.as_json() for t in tallies], "buckets": dict(buckets), "hung": hung}
    print(json.dumps(report), flush=True)
    # A hung thread is a daemon: exiting ends it.


if __name__ == "__main__":
    main()
