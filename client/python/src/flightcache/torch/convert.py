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

from typing import Any, Callable, Optional

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


def _row_independent(kind: pa.DataType) -> bool:
    """Whether any rows' form of a column of this type are those rows of the whole column's form (padded sequences are not)."""
    if pt.is_dictionary(kind):
        return _row_independent(kind.value_type)
    while pt.is_fixed_size_list(kind):
        kind = kind.value_type
    return _is_numeric(kind) or pt.is_string(kind) or pt.is_large_string(kind) or pt.is_binary(kind) or pt.is_large_binary(kind)


def combine(batches: list[pa.RecordBatch], place: Optional[Callable[[pa.RecordBatch], pa.RecordBatch]] = None) -> pa.RecordBatch:
    """Consecutive rows of one or more server batches as one record batch: the batch itself when one,
    else a copy, which `place` (when given) puts where it must live."""
    if len(batches) == 1:
        return batches[0]
    combined = pa.concat_batches(batches)
    return combined if place is None else place(combined)


class BatchRows:
    """Rows of a server batch that become tensors. Where every column's form is row-independent and
    the whole batch converts, it is converted once and each batch cut from it is a slice of those
    tensors: a few microseconds instead of a conversion per batch of a few rows. Otherwise (nulls,
    padded sequences) each batch is converted on its own rows, failing where it would anyway."""

    __slots__ = ("batch", "offset", "num_rows", "_columns", "_sequences", "_pad_value")

    def __init__(self, batch: pa.RecordBatch, sequences: str = "padded", pad_value: Any = 0):
        self.batch = batch
        self.offset = 0
        self.num_rows = batch.num_rows
        self._sequences = sequences
        self._pad_value = pad_value
        self._columns: Optional[dict[str, Any]] = None
        if all(_row_independent(field.type) for field in batch.schema):
            try:
                self._columns = batch_to_tensors(batch, sequences, pad_value)
            except TypeError:
                self._columns = None

    def slice(self, offset: int, length: int) -> BatchRows:
        """Rows offset..offset+length-1 of these rows (no copy)."""
        # Built without __init__ (copy.copy costs more than the rest of a small batch's way).
        part = BatchRows.__new__(BatchRows)
        part.batch, part._columns, part._sequences, part._pad_value = self.batch, self._columns, self._sequences, self._pad_value
        part.offset = self.offset + offset
        part.num_rows = min(length, self.num_rows - offset)
        return part

    def record_batch(self) -> pa.RecordBatch:
        """The rows as Arrow (a zero-copy slice)."""
        return self.batch.slice(self.offset, self.num_rows)

    def tensors(self) -> dict[str, Any]:
        """The rows' columns as batch_to_tensors gives them."""
        if self._columns is None:
            return batch_to_tensors(self.record_batch(), self._sequences, self._pad_value)
        start, rows = self.offset, self.num_rows
        return {name: value.narrow(0, start, rows) if isinstance(value, torch.Tensor) else value[start : start + rows] for name, value in self._columns.items()}

    @staticmethod
    def join(parts: list[BatchRows], place: Optional[Callable[[pa.RecordBatch], pa.RecordBatch]] = None) -> dict[str, Any]:
        """Consecutive rows from one or more server batches as one batch of tensors (a copy when several);
        `place` puts a batch combined from several where it must live (e.g. memory another process maps)."""
        if len(parts) == 1:
            return parts[0].tensors()
        first = parts[0]
        if place is not None or any(part._columns is None for part in parts):
            return batch_to_tensors(combine([part.record_batch() for part in parts], place), first._sequences, first._pad_value)
        pieces = [part.tensors() for part in parts]
        return {
            name: torch.cat([piece[name] for piece in pieces]) if isinstance(value, torch.Tensor) else [v for piece in pieces for v in piece[name]]
            for name, value in pieces[0].items()
        }
