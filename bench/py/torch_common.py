"""Shared pieces of the `torch` suite's Python side: the generated data (bench/gpu/gpu_feed.py
loads the same) and the tensor consumer.

The data is numeric training-style rows: `id` int64, `features` fixed_size_list<float32>[16] and
`label` int32 (76 bytes per row), generated in 65,536-row batches from a numpy seed.

Every consumer touches every byte of every tensor it receives: it makes the tensor contiguous and
sums it as int32 words into an int64 (exact, so independent of the order batches arrive in), and
folds the sums modulo 2**32 into a checksum. The harness compares each epoch's rows, tensor bytes
and checksum with the generator's, so a lazy or lossy path cannot pass.
"""

import os
import sys

import numpy as np
import pyarrow as pa

# The flightcache package is imported from the working tree, as the interop tests do.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "client", "python", "src"))

MASK32 = 0xFFFFFFFF
FEATURES = 16
CLASSES = 1000
ROW_BYTES = 8 + FEATURES * 4 + 4
GENERATE_ROWS = 65_536
SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("features", pa.list_(pa.field("item", pa.float32(), nullable=False), FEATURES), nullable=False),
        pa.field("label", pa.int32(), nullable=False),
    ]
)


def words_sum(values):
    """Sum of a numpy array's bytes as int32 words (an exact Python int)."""
    return int(np.add.reduce(np.ascontiguousarray(values).view(np.int32), dtype=np.int64))


def _generate_columns(total_bytes, seed):
    """Yields (ids, features, labels) numpy arrays of GENERATE_ROWS rows each until about total_bytes exist."""
    rng = np.random.default_rng(seed)
    count = max(1, -(-total_bytes // (ROW_BYTES * GENERATE_ROWS)))
    for index in range(count):
        ids = np.arange(index * GENERATE_ROWS, (index + 1) * GENERATE_ROWS, dtype=np.int64)
        features = rng.standard_normal(GENERATE_ROWS * FEATURES, dtype=np.float32)
        labels = rng.integers(0, CLASSES, GENERATE_ROWS, dtype=np.int32)
        yield ids, features, labels


def _record_batch(ids, features, labels):
    return pa.record_batch(
        [pa.array(ids), pa.FixedSizeListArray.from_arrays(pa.array(features), FEATURES), pa.array(labels)], schema=SCHEMA
    )


def generate_batches(total_bytes, seed):
    """Yields (RecordBatch, checksum) of GENERATE_ROWS rows each until about total_bytes exist."""
    for ids, features, labels in _generate_columns(total_bytes, seed):
        checksum = (words_sum(ids) + words_sum(features) + words_sum(labels)) & MASK32
        yield _record_batch(ids, features, labels), checksum


def generate_record_batches(total_bytes, seed):
    """The record batches of generate_batches, without computing checksums."""
    for columns in _generate_columns(total_bytes, seed):
        yield _record_batch(*columns)


class TensorTally:
    """What one epoch delivered: rows, tensor bytes, batches and the checksum of every tensor."""

    def __init__(self):
        self.rows = 0
        self.bytes = 0
        self.batches = 0
        self.checksum = 0

    def add(self, tensors):
        """Touches every tensor of a batch (a dict of name -> tensor) and counts it."""
        import torch

        rows = None
        for name, tensor in tensors.items():
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"column {name!r} arrived as {type(tensor).__name__}, not a tensor")
            if rows is not None and tensor.shape[0] != rows:
                raise ValueError(f"column {name!r} has {tensor.shape[0]} rows, the batch {rows}")
            rows = tensor.shape[0]
            dense = tensor.contiguous()
            self.bytes += dense.numel() * dense.element_size()
            total = int(dense.view(torch.int32).sum(dtype=torch.int64))
            self.checksum = (self.checksum + total) & MASK32
        self.rows += rows or 0
        self.batches += 1

    def as_dict(self):
        """The tally as the JSON the TypeScript side reads."""
        return {"rows": self.rows, "bytes": self.bytes, "batches": self.batches, "checksum": self.checksum}
