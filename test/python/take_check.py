"""Differential check of the row-take kernel (cache-server/engine/ipc-take.ts) against pyarrow's Table.take.

    python take_check.py write PATH COMPRESSED_PATH
    python take_check.py check PATH OUT ROWS_JSON

`write` writes the all_types table plus the layouts it lacks (null, decimal256, month-day-nano
interval, sparse and dense unions), twice over, in batches of 3 rows (pyarrow slices, so list
offsets and bitmaps start mid-buffer) as an IPC stream to PATH, and an lz4-compressed copy to
COMPRESSED_PATH. `check` compares the stream OUT, written from the kernel's output, with
table.take(rows) of PATH, rows being a JSON list of global row indices. Prints one JSON line.
"""

import decimal
import json
import sys

import pyarrow as pa
from all_types import all_types_table
from table_compare import compare_tables


def extra_columns():
    """Eight-row columns whose buffer layouts all_types does not cover."""
    types = pa.array([0, 1, 0, 1, 1, 0, 0, 1], type=pa.int8())
    sparse = pa.UnionArray.from_sparse(types, [pa.array([1, None, 3, 4, 5, 6, None, 8], pa.int32()), pa.array(["a", "b", None, "d", "e", "f", "g", None])], ["i", "s"])
    offsets = pa.array([0, 0, 1, 1, 2, 2, 3, 3], type=pa.int32())
    dense = pa.UnionArray.from_dense(types, offsets, [pa.array([1, None, 3, 4], pa.int64()), pa.array(["x", None, "z", "w"])], ["i", "s"])
    d = decimal.Decimal
    return {
        "nothing": pa.nulls(8),
        "decimal256": pa.array([d("1.5"), None, d("-2.25"), d("0"), d("123456789012345678901234567890.5"), None, d("7"), d("-1")], type=pa.decimal256(50, 2)),
        "interval_mdn": pa.array([(1, 2, 3), None, (0, 0, 0), (-1, -2, -3), None, (12, 30, 10**12), (5, 5, 5), (0, 1, 0)], type=pa.month_day_nano_interval()),
        "sparse_union": sparse,
        "dense_union": dense,
    }


def source_table():
    """all_types with the extra columns, repeated twice (16 rows)."""
    table = all_types_table()
    for name, column in extra_columns().items():
        table = table.append_column(name, column)
    return pa.concat_tables([table, table])


def write(path, compressed_path):
    table = source_table()
    batches = table.to_batches(max_chunksize=3)
    for target, options in ((path, None), (compressed_path, pa.ipc.IpcWriteOptions(compression="lz4"))):
        with pa.OSFile(target, "wb") as sink, pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            for batch in batches:
                writer.write_batch(batch)
    return {"rows": table.num_rows, "batches": [b.num_rows for b in batches]}


def read(path):
    with pa.OSFile(path, "rb") as source:
        return pa.ipc.open_stream(source).read_all()


def check(path, out, rows_path):
    with open(rows_path, encoding="utf-8") as f:
        rows = json.load(f)
    expected = read(path).take(pa.array(rows, type=pa.int64()))
    actual = read(out)
    equal, detail = compare_tables(expected, actual)
    return {"equal": equal, "detail": detail, "rows": actual.num_rows}


def main(argv):
    if len(argv) == 4 and argv[1] == "write":
        print(json.dumps(write(argv[2], argv[3])))
        return 0
    if len(argv) == 5 and argv[1] == "check":
        print(json.dumps(check(argv[2], argv[3], argv[4])))
        return 0
    print(f"usage: {argv[0]} write PATH COMPRESSED_PATH | check PATH OUT ROWS_JSON", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
