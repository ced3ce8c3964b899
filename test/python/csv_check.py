"""Compares CSV files read by flightcache with pyarrow's read of them.

    python csv_check.py DIR COUNT   for i < COUNT: DIR/case-i.csv as pyarrow.csv.read_csv reads it
                                    (newlines_in_values=True) against DIR/case-i.arrows, the Arrow
                                    IPC stream flightcache read (or DIR/case-i.error: it failed).
                                    Prints {"cases": COUNT, "failures": [{"case", "detail"}]}.

Columns are compared by name and type, then as strings (cast; exact for doubles, NaN as "nan").
"""

import json
import os
import sys

import pyarrow as pa
import pyarrow.csv as pa_csv


def compare(directory, case):
    path = os.path.join(directory, f"case-{case}")
    try:
        theirs = pa_csv.read_csv(path + ".csv", parse_options=pa_csv.ParseOptions(newlines_in_values=True))
    except pa.ArrowInvalid as err:
        theirs = err
    if os.path.exists(path + ".error"):
        with open(path + ".error") as f:
            ours_error = f.read()
        if isinstance(theirs, Exception):
            return None
        return f"flightcache failed ({ours_error}) where pyarrow read {theirs.schema}"
    with pa.ipc.open_stream(path + ".arrows") as reader:
        ours = reader.read_all()
    if isinstance(theirs, Exception):
        return f"pyarrow failed ({theirs}) where flightcache read {ours.num_rows} rows of {ours.schema}"
    if ours.schema.names != theirs.schema.names or ours.schema.types != theirs.schema.types:
        return f"schema {ours.schema.types} {ours.schema.names}, pyarrow {theirs.schema.types} {theirs.schema.names}"
    for name in theirs.schema.names:
        left = ours.column(name).cast(pa.string()).to_pylist()
        right = theirs.column(name).cast(pa.string()).to_pylist()
        if left != right:
            row = next(i for i, (a, b) in enumerate(zip(left, right)) if a != b) if len(left) == len(right) else -1
            return f"column {name!r} row {row}: {left[row] if row >= 0 else len(left)!r}, pyarrow {right[row] if row >= 0 else len(right)!r}"
    return None


def main(argv):
    directory, count = argv[0], int(argv[1])
    failures = []
    for case in range(count):
        detail = compare(directory, case)
        if detail is not None:
            failures.append({"case": case, "detail": detail})
    print(json.dumps({"cases": count, "failures": failures}))


if __name__ == "__main__":
    main(sys.argv[1:])
