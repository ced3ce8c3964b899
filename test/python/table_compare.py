"""Content equality for Arrow tables that ignores batch boundaries and treats NaN as a value.

`Table.equals` says NaN != NaN, so a float column holding NaN never equals its round-tripped
copy; these helpers hash values instead: fixed-width columns by their bits (null slots zeroed),
everything else by the repr of each row's Python value. Each row is hashed on its own, so the
digest does not depend on how the rows are split into batches.
"""

import hashlib

import pyarrow as pa

# Types hashed through numpy by bit pattern; temporal types are viewed as their integer storage
# because to_pylist truncates nanoseconds when pandas is absent.
_INT_STORAGE_BITS = {32: pa.int32(), 64: pa.int64()}


def _numeric_view(array):
    t = array.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return array
    if pa.types.is_temporal(t) and not pa.types.is_interval(t):
        return array.view(_INT_STORAGE_BITS[t.bit_width])
    return None


def column_digest(column):
    """sha256 hex digest of a ChunkedArray's type and values, independent of chunking."""
    validity = hashlib.sha256()
    values = hashlib.sha256()
    for chunk in column.chunks:
        validity.update(chunk.is_valid().to_numpy(zero_copy_only=False).tobytes())
        numeric = _numeric_view(chunk)
        if numeric is not None:
            filled = numeric.fill_null(False if pa.types.is_boolean(numeric.type) else 0)
            values.update(filled.to_numpy(zero_copy_only=False).tobytes())
        else:
            for value in chunk.to_pylist():
                values.update(repr(value).encode() + b"\x1e")
    outer = hashlib.sha256(str(column.type).encode())
    outer.update(validity.digest())
    outer.update(values.digest())
    return outer.hexdigest()


def schema_text(schema):
    """The schema rendered with all field and schema metadata, untruncated."""
    return schema.to_string(show_field_metadata=True, show_schema_metadata=True, truncate_metadata=False)


def table_digest(table):
    """sha256 hex digest of a table's schema (metadata included), row count and column contents."""
    h = hashlib.sha256(schema_text(table.schema).encode())
    h.update(str(table.num_rows).encode())
    for column in table.columns:
        h.update(column_digest(column).encode())
    return h.hexdigest()


def compare_tables(expected, actual):
    """(equal, detail): equal when schemas (with metadata) and all column contents match."""
    if not expected.schema.equals(actual.schema, check_metadata=True):
        return False, f"schema differs: expected\n{schema_text(expected.schema)}\ngot\n{schema_text(actual.schema)}"
    if expected.num_rows != actual.num_rows:
        return False, f"row count differs: expected {expected.num_rows}, got {actual.num_rows}"
    if expected.equals(actual, check_metadata=True):
        return True, "equal"
    differing = [
        name
        for name, left, right in zip(expected.column_names, expected.columns, actual.columns)
        if not left.equals(right) and column_digest(left) != column_digest(right)
    ]
    if differing:
        return False, "columns differ: " + ", ".join(differing)
    return True, "equal (NaN compared by value)"
