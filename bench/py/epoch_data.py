"""Data preparation of the `epoch` suite: generates the dataset once, as an Arrow IPC file and as
Parquet, and loads it (or a rebatched / column-subset variant of it) into Flight servers and Redis.
Every command prints ONE JSON line.

    python epoch_data.py generate --dir DIR --mib 200 [--seed 42] [--batch-rows 65536] [--parquet-files 4]
    python epoch_data.py load-flight --target NAME=URL ... --ipc FILE --name DATASET [--batch-rows N] [--columns K]
    python epoch_data.py drop-flight --target NAME=URL ... --name DATASET
    python epoch_data.py load-redis --port PORT --ipc FILE --prefix KEY
"""

import argparse
import os
import sys
import time

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq

from epoch_common import (
    SCHEMA,
    descriptor,
    emit,
    generate_batches,
    parse_targets,
    read_ipc_file,
    rebatch,
    select_columns,
    tally_batches,
)

IPC_FILE = "data.arrow"
PARQUET_DIR = "parquet"


def generate(args):
    """Writes DIR/data.arrow (one IPC file) and DIR/parquet/part-NNN.parquet from the same batches."""
    batches = list(generate_batches(args.mib * 1024 * 1024, args.batch_rows, args.seed))
    tally = tally_batches(batches)
    ipc_path = os.path.join(args.dir, IPC_FILE)
    with pa.OSFile(ipc_path, "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
        for batch in batches:
            writer.write_batch(batch)
    parquet_dir = os.path.join(args.dir, PARQUET_DIR)
    os.makedirs(parquet_dir, exist_ok=True)
    files = min(args.parquet_files, len(batches))
    per_file = -(-len(batches) // files)
    parquet_bytes = 0
    for index in range(files):
        part = batches[index * per_file : (index + 1) * per_file]
        if not part:
            break
        path = os.path.join(parquet_dir, f"part-{index:03d}.parquet")
        # pyarrow's default writer settings (snappy, dictionary attempted); row groups match the batches.
        pq.write_table(pa.Table.from_batches(part, schema=SCHEMA), path, row_group_size=args.batch_rows)
        parquet_bytes += os.path.getsize(path)
    return {
        **tally.as_dict(),
        "ipcPath": ipc_path,
        "ipcFileBytes": os.path.getsize(ipc_path),
        "parquetDir": parquet_dir,
        "parquetFileBytes": parquet_bytes,
        "parquetFiles": files,
    }


def variant_batches(ipc_path, batch_rows, columns):
    """The IPC file's batches, or a column subset and/or a rebatching of them."""
    table = read_ipc_file(ipc_path)
    if columns is not None:
        table = select_columns(table, columns)
    if batch_rows is not None:
        return rebatch(table, batch_rows), table.schema
    return table.to_batches(), table.schema


def put_batches(targets, name, batches, schema):
    """DoPuts the same batches into every target (NAME -> URL), one stream per target, side by side;
    returns the seconds each target's writes took."""
    clients = {target: flight.connect(url) for target, url in targets.items()}
    writers = {target: client.do_put(descriptor(name), schema)[0] for target, client in clients.items()}
    seconds = dict.fromkeys(writers, 0.0)
    for batch in batches:
        for target, writer in writers.items():
            start = time.perf_counter()
            writer.write_batch(batch)
            seconds[target] += time.perf_counter() - start
    for target, writer in writers.items():
        start = time.perf_counter()
        writer.close()
        seconds[target] += time.perf_counter() - start
    return seconds


def drop_dataset(targets, name):
    """Drops the dataset from every target (the 'drop' action of flightcache and the peer)."""
    for url in targets.values():
        list(flight.connect(url).do_action(flight.Action("drop", name.encode())))


def load_flight(args):
    """Loads the IPC file (or a variant of it) into every target."""
    batches, schema = variant_batches(args.ipc, args.batch_rows, args.columns)
    seconds = put_batches(parse_targets(args.target), args.name, batches, schema)
    return {**tally_batches(batches).as_dict(), "putSeconds": seconds}


def drop_flight(args):
    """Drops the dataset from every target."""
    drop_dataset(parse_targets(args.target), args.name)
    return {"dropped": args.name}


def load_redis(args):
    """Stores PREFIX:schema, PREFIX:count and one PREFIX:NNNNNN key per batch (RecordBatch.serialize)."""
    import redis

    batches, schema = variant_batches(args.ipc, None, None)
    client = redis.Redis(host="127.0.0.1", port=args.port)
    pipe = client.pipeline(transaction=False)
    pipe.set(f"{args.prefix}:schema", schema.serialize().to_pybytes())
    pipe.set(f"{args.prefix}:count", len(batches))
    for index, batch in enumerate(batches):
        pipe.set(f"{args.prefix}:{index:06d}", batch.serialize().to_pybytes())
        if index % 32 == 31:
            pipe.execute()
    pipe.execute()
    return {**tally_batches(batches).as_dict(), "usedMemory": client.info("memory")["used_memory"]}


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ops = parser.add_subparsers(dest="op", required=True)
    gen = ops.add_parser("generate")
    gen.add_argument("--dir", required=True)
    gen.add_argument("--mib", type=int, required=True)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--batch-rows", type=int, default=65536)
    gen.add_argument("--parquet-files", type=int, default=4)
    for op in ("load-flight", "drop-flight"):
        sub = ops.add_parser(op)
        sub.add_argument("--target", action="append", required=True, metavar="NAME=URL")
        sub.add_argument("--name", required=True)
        if op == "load-flight":
            sub.add_argument("--ipc", required=True)
            sub.add_argument("--batch-rows", type=int)
            sub.add_argument("--columns", type=int)
    red = ops.add_parser("load-redis")
    red.add_argument("--port", type=int, required=True)
    red.add_argument("--ipc", required=True)
    red.add_argument("--prefix", required=True)
    return parser


OPS = {"generate": generate, "load-flight": load_flight, "drop-flight": drop_flight, "load-redis": load_redis}


def main(argv):
    args = _parser().parse_args(argv)
    emit(sys.stdout, OPS[args.op](args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
