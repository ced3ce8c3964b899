"""Data of the `torch` suite: generates the dataset once, writes it as Parquet and loads the same
batches into flightcache (a cluster's coordinator) with flightcache.Client.put. Prints ONE JSON line.

    python torch_data.py --dir DIR --mib 150 --url grpc://HOST:PORT --name DATASET [--seed 42] [--parquet-files 8]
"""

import argparse
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

from torch_common import GENERATE_ROWS, MASK32, SCHEMA, generate_batches

import flightcache  # noqa: E402  (after torch_common, which puts the package on sys.path)


def _batches(parquet_dir, mib, seed, files):
    """Generates, writes DIR/part-NNN.parquet (row groups = generated batches), yields each batch."""
    generated = list(generate_batches(mib * 1024 * 1024, seed))
    files = min(files, len(generated))
    per_file = -(-len(generated) // files)
    for index in range(files):
        part = generated[index * per_file : (index + 1) * per_file]
        if not part:
            break
        table = pa.Table.from_batches([batch for batch, _ in part], schema=SCHEMA)
        # pyarrow's default writer settings (snappy); one row group per generated batch.
        pq.write_table(table, os.path.join(parquet_dir, f"part-{index:03d}.parquet"), row_group_size=GENERATE_ROWS)
    return generated


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--mib", type=int, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--parquet-files", type=int, default=8)
    args = parser.parse_args(argv)
    parquet_dir = os.path.join(args.dir, "parquet")
    os.makedirs(parquet_dir, exist_ok=True)
    generated = _batches(parquet_dir, args.mib, args.seed, args.parquet_files)
    rows = sum(batch.num_rows for batch, _ in generated)
    checksum = 0
    for _, batch_sum in generated:
        checksum = (checksum + batch_sum) & MASK32
    with flightcache.Client(args.url) as client:
        stored = client.put(args.name, pa.Table.from_batches([batch for batch, _ in generated], schema=SCHEMA))
    if stored != rows:
        raise SystemExit(f"flightcache stored {stored} rows of {args.name!r}, generated {rows}")
    names = sorted(os.listdir(parquet_dir))
    result = {
        "rows": rows,
        "bytes": sum(batch.nbytes for batch, _ in generated),
        "checksum": checksum,
        "generatedBatches": len(generated),
        "parquetDir": parquet_dir,
        "parquetFiles": len(names),
        "parquetFileBytes": sum(os.path.getsize(os.path.join(parquet_dir, name)) for name in names),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
