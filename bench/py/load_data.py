"""Data and the pyarrow peer of the `load` suite.

    python load_data.py write DIR ROWS    8 snappy Parquet files under DIR/parquet and the same rows as
                                          8 CSV files under DIR/csv; prints {"rows", "parquet_bytes", "csv_bytes"}
    python load_data.py read FORMAT DIR   times pyarrow reading DIR/FORMAT into one table (pq.read_table,
                                          pyarrow.csv.read_csv per file then concat_tables); prints
                                          {"seconds", "cpu_seconds" (all its threads), "rows"}
"""

import json
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FILES = 8


def table(start, rows, rng):
    ids = np.arange(start, start + rows, dtype=np.int64)
    words = np.array([f"token{i:04d}" for i in range(4096)])
    text = pa.array([" ".join(w) for w in words[rng.integers(0, 4096, size=(rows, 3))]])
    return pa.table(
        {
            "id": ids,
            "a": rng.standard_normal(rows),
            "b": rng.standard_normal(rows),
            "c": rng.random(rows),
            "label": rng.integers(0, 1000, rows, dtype=np.int32),
            "flag": rng.random(rows) < 0.5,
            "text": text,
        }
    )


def write(root, rows):
    rng = np.random.default_rng(42)
    sizes = {"parquet": 0, "csv": 0}
    per_file = rows // FILES
    for kind in sizes:
        os.makedirs(os.path.join(root, kind), exist_ok=True)
    for i in range(FILES):
        part = table(i * per_file, per_file, rng)
        parquet = os.path.join(root, "parquet", f"part-{i}.parquet")
        pq.write_table(part, parquet, compression="snappy", row_group_size=128 * 1024)
        csv = os.path.join(root, "csv", f"part-{i}.csv")
        pa_csv.write_csv(part, csv)
        sizes["parquet"] += os.path.getsize(parquet)
        sizes["csv"] += os.path.getsize(csv)
    return {"rows": per_file * FILES, "parquet_bytes": sizes["parquet"], "csv_bytes": sizes["csv"]}


def read(kind, root):
    folder = os.path.join(root, kind)
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder))
    start = time.perf_counter()
    cpu = time.process_time()
    if kind == "parquet":
        result = pq.read_table(folder)
    else:
        result = pa.concat_tables([pa_csv.read_csv(f) for f in files])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": time.process_time() - cpu, "rows": result.num_rows}


def main(argv):
    if argv[0] == "write":
        print(json.dumps(write(argv[1], int(argv[2]))))
    elif argv[0] == "read":
        print(json.dumps(read(argv[1], argv[2])))
    else:
        raise SystemExit(f"unknown command {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
