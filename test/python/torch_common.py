"""Shared helpers of the flightcache Python package tests (test/python/torch_*.py).

As a script it writes a test dataset from its own process, so that the process reading it with
forked DataLoader workers has never opened a Flight connection:

    python torch_common.py URL put NAME ROWS BATCH_ROWS
"""

import json
import sys

import numpy as np
import pyarrow as pa


def make_table(rows, seed=0):
    """ids 0..rows-1, a float32 vector of 4 per row, a 0/1 label and a token list of length id % 5."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "id": pa.array(np.arange(rows, dtype=np.int64)),
            "x": pa.FixedSizeListArray.from_arrays(pa.array(rng.standard_normal(rows * 4).astype(np.float32)), 4),
            "label": pa.array(rng.integers(0, 2, rows)),
            "tokens": pa.array([[i % 1000] * (i % 5) for i in range(rows)], pa.list_(pa.int32())),
        }
    )


def put(url, name, rows, batch_rows):
    """Writes make_table(rows) as `name` in batches of batch_rows rows, replacing an existing one."""
    import flightcache

    with flightcache.Client(url) as client:
        if name in [d.name for d in client.datasets()]:
            client.drop(name)
        return client.put(name, make_table(rows), batch_rows=batch_rows)


def ids_of(batches):
    """The ids of a list of batches (dicts with an "id" tensor), flattened in order."""
    return [i for batch in batches for i in batch["id"].tolist()]


def assert_rows_match(batch, reference, what):
    """A batch's columns hold exactly the reference table's rows for its ids (padded tokens)."""
    import torch

    ids = batch["id"]
    x = torch.from_numpy(reference.column("x").combine_chunks().flatten().to_numpy().reshape(-1, 4).copy())
    labels = torch.from_numpy(reference.column("label").to_numpy().copy())
    check(torch.equal(batch["x"], x[ids]), f"{what}: x differs")
    check(torch.equal(batch["label"], labels[ids]), f"{what}: label differs")
    tokens = batch["tokens"]
    width = tokens.shape[1]
    expected = torch.where(torch.arange(width) < (ids % 5).unsqueeze(1), (ids % 1000).unsqueeze(1), 0).to(torch.int32)
    check(int((ids % 5).max()) == width, f"{what}: tokens padded to {width}")
    check(torch.equal(tokens, expected), f"{what}: tokens differ")


def assert_exactly_once(ids, rows, what):
    """Every id of 0..rows-1 appears exactly once."""
    check(len(ids) == len(set(ids)), f"{what}: {len(ids) - len(set(ids))} duplicated rows")
    missing = set(range(rows)) - set(ids)
    check(not missing, f"{what}: {len(missing)} rows missing, e.g. {sorted(missing)[:5]}")
    check(len(ids) == rows, f"{what}: {len(ids)} rows, expected {rows}")


def check(condition, message):
    """Raises AssertionError(message) unless condition holds (unlike assert, kept under python -O)."""
    if not condition:
        raise AssertionError(message)


def raises(kind, call, what):
    """Calls call() and returns the `kind` exception it raises; fails naming `what` when it raises none."""
    try:
        call()
    except kind as error:
        return error
    raise AssertionError(f"{what}: no {kind.__name__} raised")


def finish(passed):
    """Prints the names of the scenarios that passed as the JSON last line."""
    print(json.dumps({"passed": passed}))


if __name__ == "__main__":
    url, mode, name, rows, batch_rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    check(mode == "put", f"unknown mode {mode}")
    print(json.dumps({"put": put(url, name, rows, batch_rows)}))
