"""Driver of the `doget` benchmark suite: loads a generated table into Flight servers, then times
full-table DoGet reads against them, alternating servers run by run. Prints ONE JSON line.

    python doget_client.py load --target NAME=URL ... --name DATASET --mib 1024 [--seed 42] [--batch-rows 65536]
    python doget_client.py read --target NAME=URL ... --name DATASET --runs 7 --warmup 2 [--server-pid NAME=PID ...] [--cpus LIST]

Reads never build a Table: each chunk's buffers are counted and dropped, so the client's cost per
byte stays what pyarrow's stream reader costs. Each read also records the CPU it took, from the
scheduler's exact run time of every thread (/proc/PID/task/*/schedstat): the client's (this
process: all threads and the busiest one) and, given --server-pid, the server's, in cores and in
CPU-seconds (the server's bytes per CPU-second is its serving efficiency). --cpus pins the reader
to those CPUs (sched_setaffinity, as taskset does) before it connects.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight

INT_COLUMNS = 4
FLOAT_COLUMNS = 4
ROW_BYTES = INT_COLUMNS * 8 + FLOAT_COLUMNS * 4
SCHEMA = pa.schema(
    [pa.field(f"i{i}", pa.int64(), nullable=False) for i in range(INT_COLUMNS)]
    + [pa.field(f"f{i}", pa.float32(), nullable=False) for i in range(FLOAT_COLUMNS)]
)


def generate_batches(total_bytes, batch_rows, seed):
    """Yield full batches of random int64/float32 columns until about total_bytes are produced."""
    rng = np.random.default_rng(seed)
    batch_count = max(1, -(-total_bytes // (ROW_BYTES * batch_rows)))
    for _ in range(batch_count):
        ints = [pa.array(rng.integers(-(2**62), 2**62, batch_rows, dtype=np.int64)) for _ in range(INT_COLUMNS)]
        floats = [pa.array(rng.random(batch_rows, dtype=np.float32)) for _ in range(FLOAT_COLUMNS)]
        yield pa.record_batch(ints + floats, schema=SCHEMA)


def parse_targets(items, flag="--target", value="URL"):
    """NAME=VALUE arguments (--target NAME=URL by default) as an ordered dict."""
    targets = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise SystemExit(f"{flag} expects NAME={value}, got {item!r}")
        targets[name] = url
    return targets


def load(args):
    """DoPut the same generated batches into every target, one stream per target opened side by side."""
    clients = {name: flight.connect(url) for name, url in parse_targets(args.target).items()}
    descriptor = flight.FlightDescriptor.for_path(args.name)
    writers = {name: client.do_put(descriptor, SCHEMA)[0] for name, client in clients.items()}
    seconds = dict.fromkeys(writers, 0.0)
    rows = data_bytes = batches = 0
    for batch in generate_batches(args.mib * 1024 * 1024, args.batch_rows, args.seed):
        for name, writer in writers.items():
            start = time.perf_counter()
            writer.write_batch(batch)
            seconds[name] += time.perf_counter() - start
        rows += batch.num_rows
        data_bytes += batch.nbytes
        batches += 1
    for name, writer in writers.items():
        start = time.perf_counter()
        writer.close()
        seconds[name] += time.perf_counter() - start
    return {"rows": rows, "bytes": data_bytes, "batches": batches, "put_seconds": seconds}


def flight_batches(client, info):
    """Every record batch of every endpoint of info, in order; closing the generator early cancels
    the open DoGet stream."""
    for endpoint in info.endpoints:
        stream = client.do_get(endpoint.ticket)
        finished = False
        try:
            while True:
                try:
                    chunk = stream.read_chunk()
                except StopIteration:
                    finished = True
                    break
                yield chunk.data
        finally:
            if not finished:
                stream.cancel()


def thread_run_ns(pid):
    """Nanoseconds each live thread of pid has run, by thread id (a thread that ends meanwhile is skipped)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def _cores(before, after, seconds):
    """(all threads, busiest thread) in cores between two thread_run_ns snapshots."""
    deltas = [ns - before.get(tid, 0) for tid, ns in after.items()]
    return sum(deltas) / 1e9 / seconds, max(deltas, default=0) / 1e9 / seconds


def _read_once(client, info, server_pid):
    rows = data_bytes = batches = 0
    me = os.getpid()
    client_before = thread_run_ns(me)
    server_before = thread_run_ns(server_pid) if server_pid else {}
    start = time.perf_counter()
    for batch in flight_batches(client, info):
        rows += batch.num_rows
        data_bytes += batch.nbytes
        batches += 1
    seconds = time.perf_counter() - start
    client_cores, busiest = _cores(client_before, thread_run_ns(me), seconds)
    cpu = {"client_cores": client_cores, "client_busiest_thread_cores": busiest}
    if server_pid:
        server_after = thread_run_ns(server_pid)
        cpu["server_cpu_seconds"] = sum(ns - server_before.get(tid, 0) for tid, ns in server_after.items()) / 1e9
        cpu["server_cores"] = cpu["server_cpu_seconds"] / seconds
    return seconds, rows, data_bytes, batches, cpu


def read(args):
    """Alternate full DoGet reads between targets (order flipped each round); warm-up rounds are dropped."""
    if args.cpus:
        # Before any client exists: the gRPC threads the clients start inherit this thread's CPUs.
        os.sched_setaffinity(0, {int(cpu) for cpu in args.cpus.split(",")})
    targets = parse_targets(args.target)
    clients = {name: flight.connect(url) for name, url in targets.items()}
    infos = {name: client.get_flight_info(flight.FlightDescriptor.for_path(args.name)) for name, client in clients.items()}
    server_pids = {name: int(pid) for name, pid in parse_targets(args.server_pid or [], "--server-pid", "PID").items()}
    order = list(targets)
    runs = []
    for round_index in range(args.warmup + args.runs):
        for name in order if round_index % 2 == 0 else reversed(order):
            seconds, rows, data_bytes, batches, cpu = _read_once(clients[name], infos[name], server_pids.get(name))
            expected = infos[name].total_records
            if expected >= 0 and rows != expected:
                raise SystemExit(f"{name} returned {rows} rows, its FlightInfo says {expected}")
            if round_index >= args.warmup:
                runs.append({"target": name, "seconds": seconds, "rows": rows, "bytes": data_bytes, "batches": batches, **cpu})
    return {"runs": runs, "warmup": args.warmup}


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ops = parser.add_subparsers(dest="op", required=True)
    for op in ("load", "read"):
        sub = ops.add_parser(op)
        sub.add_argument("--target", action="append", required=True, metavar="NAME=URL")
        sub.add_argument("--name", required=True, help="dataset name (FlightDescriptor path)")
        if op == "load":
            sub.add_argument("--mib", type=int, required=True, help="approximate data size in MiB")
            sub.add_argument("--seed", type=int, default=42)
            sub.add_argument("--batch-rows", type=int, default=65536)
        else:
            sub.add_argument("--runs", type=int, required=True)
            sub.add_argument("--warmup", type=int, default=1)
            sub.add_argument("--server-pid", action="append", metavar="NAME=PID", help="a target's server process, for its CPU per read")
            sub.add_argument("--cpus", default=None, metavar="LIST", help="comma-separated CPUs this reader runs on (as taskset -c)")
    return parser


def main(argv):
    args = _parser().parse_args(argv)
    result = load(args) if args.op == "load" else read(args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
