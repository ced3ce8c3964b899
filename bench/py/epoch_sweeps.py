"""The sweeps of the `epoch` suite, each against several Flight servers read by pyarrow.flight clients
(servers alternate round by round). Each sweep loads its own variant datasets from the IPC file,
measures them and drops them again. Prints ONE JSON line: {"runs": [...], "datasets": [...]}.

    python epoch_sweeps.py batch-size --target NAME=URL ... --ipc FILE --rows 8192,65536,262144 --runs 3 --warmup 1
    python epoch_sweeps.py columns    --target NAME=URL ... --ipc FILE --columns 1,2,4,8 --runs 3 --warmup 1 [--pushdown NAME ...]
    python epoch_sweeps.py readers    --target NAME=URL ... --ipc FILE --readers 1,2,4 --runs 3 --warmup 1

`columns` loads the full 8-column dataset once and delivers its first k columns to the consumer:
targets named by --pushdown (flightcache) project them at the server with the JSON command; the others
(the pyarrow peer has no pushdown) send all 8 and the client selects k. Bytes are the k columns' bytes
for both, and each dataset entry carries its selectivity (projected bytes / full bytes).
`readers` runs N reader processes at once, each reading the whole dataset; a run's seconds span the
first reader's start to the last reader's end (CLOCK_MONOTONIC is shared by all processes), and its
bytes are N times the dataset's.
"""

import argparse
import multiprocessing
import sys
import time

import pyarrow.flight as flight

from epoch_common import (
    Tally,
    check_tally,
    emit,
    flight_epoch,
    parse_targets,
    read_ipc_file,
    rebatch,
    round_order,
    tally_batches,
)
from epoch_data import drop_dataset, put_batches

BASE_NAME = "epoch-sweep"


def _clock():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _alternate(targets, runs, warmup, measure):
    """Calls measure(target) for every target in every round (rotating order); drops warm-up rounds."""
    names = list(targets)
    results = []
    for round_index in range(warmup + runs):
        for target in round_order(names, round_index):
            result = measure(target)
            if round_index >= warmup:
                results.append({"target": target, **result})
    return results


def _variant_sweep(args, key, values, variant):
    """Loads variant(table, value) for each value, alternates full reads of it, drops it."""
    targets = parse_targets(args.target)
    clients = {name: flight.connect(url) for name, url in targets.items()}
    table = read_ipc_file(args.ipc)
    runs, datasets = [], []
    for value in values:
        batches = variant(table, value)
        name = f"{BASE_NAME}-{key}-{value}"
        expected = tally_batches(batches).as_dict()
        put_batches(targets, name, batches, batches[0].schema)
        datasets.append({key: value, **expected})

        def measure(target, name=name, expected=expected):
            tally = Tally()
            start = time.perf_counter()
            flight_epoch(clients[target], name, tally)
            seconds = time.perf_counter() - start
            check_tally(f"{target} {name}", tally, expected)
            return {key: value, "seconds": seconds, "rows": tally.rows, "bytes": tally.bytes}

        runs.extend(_alternate(targets, args.runs, args.warmup, measure))
        drop_dataset(targets, name)
    return {"runs": runs, "datasets": datasets}


def batch_size(args):
    """Throughput against rows per batch (same data, rebatched)."""
    return _variant_sweep(args, "batchRows", args.rows, rebatch)


def columns(args):
    """Throughput of the bytes delivered against selectivity: the first k of the 8 columns, k in --columns."""
    targets = parse_targets(args.target)
    unknown = sorted(set(args.pushdown) - set(targets))
    if unknown:
        raise SystemExit(f"--pushdown names no --target: {', '.join(unknown)}")
    clients = {name: flight.connect(url) for name, url in targets.items()}
    table = read_ipc_file(args.ipc)
    names = table.schema.names
    too_many = [k for k in args.columns if k > len(names)]
    if too_many:
        raise SystemExit(f"--columns {too_many} exceed the dataset's {len(names)} columns")
    batches = table.to_batches()
    full_bytes = tally_batches(batches).bytes
    name = f"{BASE_NAME}-columns"
    put_batches(targets, name, batches, table.schema)
    runs, datasets = [], []
    for k in args.columns:
        projection = names[:k]
        expected = tally_batches(table.select(projection).to_batches()).as_dict()
        selectivity = expected["bytes"] / full_bytes
        datasets.append({"columns": k, "names": projection, "fullBytes": full_bytes, "selectivity": selectivity, **expected})

        def measure(target, projection=projection, expected=expected, k=k):
            tally = Tally()
            start = time.perf_counter()
            flight_epoch(clients[target], name, tally, projection, pushdown=target in args.pushdown)
            seconds = time.perf_counter() - start
            check_tally(f"{target} {name} columns {projection}", tally, expected)
            if tally.bytes != expected["bytes"]:
                raise SystemExit(
                    f"{target} {name} columns {projection}: delivered {tally.bytes} bytes, expected {expected['bytes']}"
                )
            return {"columns": k, "seconds": seconds, "rows": tally.rows, "bytes": tally.bytes}

        runs.extend(_alternate(targets, args.runs, args.warmup, measure))
    drop_dataset(targets, name)
    return {"runs": runs, "datasets": datasets}


def _reader_process(conn, targets, name):
    """A reader process: connects once, then reads the whole dataset from the target it is sent."""
    clients = {target: flight.connect(url) for target, url in targets.items()}
    conn.send("ready")
    while (target := conn.recv()) is not None:
        tally = Tally()
        start = _clock()
        flight_epoch(clients[target], name, tally)
        conn.send({"start": start, "end": _clock(), **tally.as_dict()})


def _receive(conn, what):
    try:
        return conn.recv()
    except EOFError:
        raise SystemExit(f"{what} died; its traceback is on stderr above") from None


def readers(args):
    """Aggregate throughput of N concurrent reader processes, N in --readers."""
    targets = parse_targets(args.target)
    batches = read_ipc_file(args.ipc).to_batches()
    expected = tally_batches(batches).as_dict()
    put_batches(targets, BASE_NAME, batches, batches[0].schema)
    context = multiprocessing.get_context("spawn")
    runs = []
    for count in args.readers:
        pipes = [context.Pipe() for _ in range(count)]
        processes = [context.Process(target=_reader_process, args=(child, targets, BASE_NAME)) for _, child in pipes]
        for process in processes:
            process.start()
        try:
            for index, (conn, _) in enumerate(pipes):
                _receive(conn, f"reader {index}")

            def measure(target, pipes=pipes, count=count):
                for conn, _ in pipes:
                    conn.send(target)
                results = [_receive(conn, f"reader {index} of {count}") for index, (conn, _) in enumerate(pipes)]
                for result in results:
                    tally = Tally()
                    tally.rows, tally.checksum = result["rows"], result["checksum"]
                    check_tally(f"{target} with {count} readers", tally, expected)
                seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
                return {
                    "readers": count,
                    "seconds": seconds,
                    "rows": sum(r["rows"] for r in results),
                    "bytes": sum(r["bytes"] for r in results),
                }

            runs.extend(_alternate(targets, args.runs, args.warmup, measure))
        finally:
            for conn, _ in pipes:
                try:
                    conn.send(None)
                except OSError:
                    pass  # that reader already died; its error is what gets reported
            for process in processes:
                process.join()
    drop_dataset(targets, BASE_NAME)
    return {"runs": runs, "datasets": [expected]}


def _ints(text):
    values = [int(item) for item in text.split(",") if item]
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ops = parser.add_subparsers(dest="op", required=True)
    for op, flag in (("batch-size", "--rows"), ("columns", "--columns"), ("readers", "--readers")):
        sub = ops.add_parser(op)
        sub.add_argument("--target", action="append", required=True, metavar="NAME=URL")
        sub.add_argument("--ipc", required=True)
        sub.add_argument(flag, type=_ints, required=True)
        sub.add_argument("--runs", type=int, required=True)
        sub.add_argument("--warmup", type=int, default=1)
        if op == "columns":
            sub.add_argument(
                "--pushdown", action="append", default=[], metavar="NAME", help="a target that projects columns at the server"
            )
    return parser


OPS = {"batch-size": batch_size, "columns": columns, "readers": readers}


def main(argv):
    args = _parser().parse_args(argv)
    emit(sys.stdout, OPS[args.op](args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
