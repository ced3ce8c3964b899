"""Data of the `feed` suite: generates each shape once, writes it as an Arrow IPC file (the stored
batches) and as Parquet (one row group per stored batch), and loads the same batches into
flightcache. Prints ONE JSON line: {shape: {rows, bytes, checksum, ipcPath, parquetDir, ...}}.

    python feed_data.py --dir DIR --mib 400 --url grpc://HOST:PORT [--seed 42] [--parquet-files 8]
"""

import argparse
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

from feed_common import SHAPES, generate
from torch_common import MASK32

import flightcache  # noqa: E402  (torch_common puts the package on sys.path)


def _write(shape, directory, batches, files):
    spec = SHAPES[shape]
    ipc_path = os.path.join(directory, f"{shape}.arrow")
    with pa.OSFile(ipc_path, "wb") as sink, pa.ipc.new_file(sink, spec["schema"]) as writer:
        for batch in batches:
            writer.write_batch(batch)
    parquet_dir = os.path.join(directory, f"{shape}-parquet")
    os.makedirs(parquet_dir, exist_ok=True)
    per_file = -(-len(batches) // min(files, len(batches)))
    for index in range(0, len(batches), per_file):
        table = pa.Table.from_batches(batches[index : index + per_file], schema=spec["schema"])
        pq.write_table(table, os.path.join(parquet_dir, f"part-{index // per_file:03d}.parquet"), row_group_size=spec["stored_rows"])
    names = sorted(os.listdir(parquet_dir))
    return ipc_path, parquet_dir, len(names), sum(os.path.getsize(os.path.join(parquet_dir, name)) for name in names)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--mib", type=int, required=True, help="MiB of each shape")
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--parquet-files", type=int, default=8)
    args = parser.parse_args(argv)
    result = {}
    with flightcache.Client(args.url) as client:
        for shape, spec in SHAPES.items():
            generated = list(generate(shape, args.mib * 1024 * 1024, args.seed))
            batches = [batch for batch, _ in generated]
            ipc_path, parquet_dir, files, file_bytes = _write(shape, args.dir, batches, args.parquet_files)
            rows = sum(batch.num_rows for batch in batches)
            stored = client.put(shape, pa.Table.from_batches(batches, schema=spec["schema"]), batch_rows=spec["stored_rows"])
            if stored != rows:
                raise SystemExit(f"flightcache stored {stored} rows of {shape!r}, generated {rows}")
            checksum = 0
            for _, batch_sum in generated:
                checksum = (checksum + batch_sum) & MASK32
            result[shape] = {
                "rows": rows,
                "bytes": sum(batch.nbytes for batch in batches),
                "checksum": checksum,
                "storedBatches": len(batches),
                "ipcPath": ipc_path,
                "parquetDir": parquet_dir,
                "parquetFiles": files,
                "parquetFileBytes": file_bytes,
            }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
