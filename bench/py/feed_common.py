"""Shared pieces of the `feed` suite's Python side: the two data shapes, their generator, and the
CPU time of a process tree.

Shapes (every tensor of every batch is touched by torch_common.TensorTally):
- `rows76`: `id` int64, `features` fixed_size_list<float32>[16], `label` int32 (76 bytes per row),
  stored in 16,384-row batches and delivered in 16,384-row batches;
- `tokens`: `input_ids` fixed_size_list<int32>[2048] (an LLM pretraining sample, 8 KiB per row),
  stored in 256-row batches (2 MiB) and delivered in 8-row batches.
"Shuffled" permutes the stored batches and the rows within each batch by a seed, as the server does.
"""

import os

import numpy as np
import pyarrow as pa

from torch_common import MASK32, words_sum

ROWS76 = "rows76"
TOKENS = "tokens"
VOCABULARY = 50_257
CONTEXT = 2_048

SHAPES = {
    ROWS76: {
        "schema": pa.schema(
            [
                pa.field("id", pa.int64(), nullable=False),
                pa.field("features", pa.list_(pa.field("item", pa.float32(), nullable=False), 16), nullable=False),
                pa.field("label", pa.int32(), nullable=False),
            ]
        ),
        "row_bytes": 76,
        "stored_rows": 16_384,
        "batch_rows": 16_384,
    },
    TOKENS: {
        "schema": pa.schema(
            [pa.field("input_ids", pa.list_(pa.field("item", pa.int32(), nullable=False), CONTEXT), nullable=False)]
        ),
        "row_bytes": 4 * CONTEXT,
        "stored_rows": 256,
        "batch_rows": 8,
    },
}


def _columns(shape, index, rows, rng):
    if shape == ROWS76:
        ids = np.arange(index * rows, (index + 1) * rows, dtype=np.int64)
        return [ids, rng.standard_normal(rows * 16, dtype=np.float32), rng.integers(0, 1000, rows, dtype=np.int32)]
    return [rng.integers(0, VOCABULARY, rows * CONTEXT, dtype=np.int32)]


def generate(shape, total_bytes, seed):
    """Yields (RecordBatch, checksum) of the shape's stored batch size until about total_bytes exist."""
    spec = SHAPES[shape]
    rows = spec["stored_rows"]
    rng = np.random.default_rng(seed)
    for index in range(max(1, -(-total_bytes // (spec["row_bytes"] * rows)))):
        columns = _columns(shape, index, rows, rng)
        arrays = []
        for field, values in zip(spec["schema"], columns):
            if pa.types.is_fixed_size_list(field.type):
                arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(values), field.type.list_size))
            else:
                arrays.append(pa.array(values))
        checksum = sum(words_sum(values) for values in columns) & MASK32
        yield pa.record_batch(arrays, schema=spec["schema"]), checksum


def _children():
    """pid -> child pids of every process visible in /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    return children


def tree_cpu_seconds(pid=None):
    """CPU seconds (user + system) of a process, its live descendants and the children they reaped.

    DataLoader workers started by a forkserver are reaped by it, so their time shows in its
    cutime/cstime once they exit; live workers count through their own utime/stime.
    """
    root = os.getpid() if pid is None else pid
    children = _children()
    ticks = 0
    pending = [root]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields after the command: utime, stime, cutime, cstime are the 12th-15th.
        ticks += sum(int(value) for value in fields[11:15])
        pending.extend(children.get(current, []))
    return ticks / os.sysconf("SC_CLK_TCK")
