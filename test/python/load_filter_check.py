"""The oracle of `load --filter`: pyarrow reading the same Parquet files with the same predicate.

    python load_filter_check.py write DIR
        writes DIR/part-0.parquet .. part-3.parquet (id int64, lang dictionary<string> with nulls,
        score float64 with nulls, text string; 5,000 rows each, row groups of 1,000); prints {"rows": N}
    python load_filter_check.py compare URL NAME DIR EXPR [--columns a,b]
        compares dataset NAME at URL with pq.read_table(DIR, filters=EXPR, columns=...), EXPR a
        pyarrow.compute expression in Python (pc in scope); with --sort COL both sides are ordered by
        COL first (a cluster's rows come in partition order); prints {"equal", "detail", "rows"}
"""

import argparse
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(__file__))
from flight_client import Session  # noqa: E402
from load_check import through_ipc  # noqa: E402
from table_compare import compare_tables  # noqa: E402


def write(root):
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(14)
    langs = ["en", "de", "fr", "ja", None]
    words = ["alpha", "beta", "apple", "zeta", "été", "日本語", ""]
    for part in range(4):
        n = 5_000
        lang = pa.array([langs[i] for i in rng.integers(0, len(langs), n)], pa.string()).dictionary_encode()
        score = rng.random(n)
        table = pa.table(
            {
                "id": pa.array(np.arange(part * n, (part + 1) * n), pa.int64()),
                "lang": lang,
                "score": pa.array(score, mask=rng.random(n) < 0.1),
                "text": pa.array([f"{words[i]} {j}" for j, i in enumerate(rng.integers(0, len(words), n))]),
            }
        )
        pq.write_table(table, os.path.join(root, f"part-{part}.parquet"), row_group_size=1_000)
    print(json.dumps({"rows": 4 * 5_000}))


def compare(args):
    columns = args.columns.split(",") if args.columns else None
    want = through_ipc(pq.read_table(args.dir, filters=eval(args.expr, {"pc": pc}), columns=columns))
    got, _, _ = Session(args.url).read(args.name)
    if args.sort:
        want, got = want.sort_by(args.sort), got.sort_by(args.sort)
    equal, detail = compare_tables(want, got)
    return {"equal": equal, "detail": detail, "rows": got.num_rows}


def main(argv):
    if argv[0] == "write":
        write(argv[1])
        return
    parser = argparse.ArgumentParser()
    for name in ("command", "url", "name", "dir", "expr"):
        parser.add_argument(name)
    parser.add_argument("--columns")
    parser.add_argument("--sort")
    print(json.dumps(compare(parser.parse_args(argv))))


if __name__ == "__main__":
    main(sys.argv[1:])
