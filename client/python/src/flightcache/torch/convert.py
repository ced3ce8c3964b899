"""Arrow record batch -> dict of torch tensors, without copying where Arrow's layout allows.

- integer, floating-point, temporal (as their integer representation) columns without nulls:
  1-D tensors sharing Arrow's buffer (DLPack);
- booleans: bool tensors (a copy: Arrow packs bits);
- fixed_size_list (nested any depth) of those: N-D tensors, rows first, sharing the buffer;
- list / large_list of numbers (token sequences): a padded 2-D tensor (`sequences="padded"`,
  filled with `pad_value`) or a jagged nested tensor (`sequences="nested"`, sharing the values);
- string / binary: Python lists; dictionary-encoded columns are decoded first.
Nulls in a numeric column and other types raise TypeError naming the column: pass `columns` to
leave it out or a `transform` to convert it yourself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.types as pt
import torch

SEQUENCES = ("padded", "nested")


def _numeric(array: pa.Array, name: str) -> torch.Tensor:
    if array.null_count:
        raise TypeError(f"column {name!r} has {array.null_count} nulls; fill them or convert it in a transform")
    if pt.is_boolean(array.type):
        return torch.from_numpy(array.to_numpy(zero_copy_only=False))
    if pt.is_temporal(array.type):
        array = array.view(pa.int32() if array.type.bit_width == 32 else pa.int64())
    return torch.from_dlpack(array)


def _is_numeric(kind: pa.DataType) -> bool:
    return pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind) or pt.is_temporal(kind)


def _fixed_shape(array: pa.Array, name: str) -> torch.Tensor:
    shape = [len(array)]
    while pt.is_fixed_size_list(array.type):
        if array.null_count:
            raise TypeError(f"column {name!r} has null lists; fill them or convert it in a transform")
        size = array.type.list_size
        shape.append(size)
        # The values of exactly these lists (what flatten() returns, without a compute call per batch).
        array = array.values.slice(array.offset * size, len(array) * size)
    if not _is_numeric(array.type):
        raise TypeError(f"column {name!r}: fixed_size_list of {array.type} has no tensor form; use a transform")
    return _numeric(array, name).reshape(shape)


def _sequences(array: pa.Array, name: str, sequences: str, pad_value: Any) -> torch.Tensor:
    if array.null_count:
        raise TypeError(f"column {name!r} has null lists; fill them or convert it in a transform")
    values = array.flatten()
    if not _is_numeric(values.type) or pt.is_boolean(values.type):
        raise TypeError(f"column {name!r}: {array.type} has no tensor form; use a transform")
    offsets = array.offsets.to_numpy().astype(np.int64)
    offsets -= offsets[0]
    flat = _numeric(values, name)
    if sequences == "nested":
        return torch.nested.nested_tensor_from_jagged(flat, offsets=torch.from_numpy(offsets))
    lengths = torch.from_numpy(np.diff(offsets))
    width = int(lengths.max()) if len(lengths) else 0
    padded = torch.full((len(array), width), pad_value, dtype=flat.dtype)
    padded[torch.arange(width).unsqueeze(0) < lengths.unsqueeze(1)] = flat
    return padded


def column_to_tensor(array: pa.Array, name: str, sequences: str = "padded", pad_value: Any = 0) -> Any:
    """One column as a tensor (or a list for strings/binary); see the module doc for the rules."""
    kind = array.type
    if pt.is_dictionary(kind):
        return column_to_tensor(array.dictionary_decode(), name, sequences, pad_value)
    if _is_numeric(kind):
        return _numeric(array, name)
    if pt.is_fixed_size_list(kind):
        return _fixed_shape(array, name)
    if pt.is_list(kind) or pt.is_large_list(kind):
        return _sequences(array, name, sequences, pad_value)
    if pt.is_string(kind) or pt.is_large_string(kind) or pt.is_binary(kind) or pt.is_large_binary(kind):
        return array.to_pylist()
    raise TypeError(f"column {name!r} of type {kind} has no tensor form; leave it out with columns=[...] or use a transform")


def batch_to_tensors(batch: pa.RecordBatch, sequences: str = "padded", pad_value: Any = 0) -> dict[str, Any]:
    """Every column of a record batch, by name."""
    return {name: column_to_tensor(column, name, sequences, pad_value) for name, column in zip(batch.schema.names, batch.columns)}
