"""Arrow tables that every Flight path of flightcache must round trip unchanged.

`all_types_table()` has one nullable column per supported type, with nulls at the top level and
inside nested children, plus schema and field metadata so that metadata loss is visible.
`VARIANTS` maps the names the probes and TS tests use to builders.

Run as a script to write a variant as an Arrow IPC stream file (prints one JSON line):
    python all_types.py VARIANT PATH
"""

import datetime as dt
import decimal
import json
import sys

import numpy as np
import pyarrow as pa

# Every column has BASE_ROWS rows; the value lists below are written out so the nulls sit at
# different positions in different columns (a shared null mask would hide validity bugs).
BASE_ROWS = 8
SCHEMA_METADATA = {b"flightcache.test": b"all_types", b"origin": b"test/python/all_types.py"}
FIELD_METADATA = {b"unit": b"celsius"}
LARGE_ROWS = 9_000_000  # 72 MB of int64 values: over 64 MiB in one record batch.


def _ints(lo, hi):
    return [lo, None, hi, 0, 1, None, -1 if lo < 0 else 2, hi // 2]


def _floats():
    return [1.5, None, float("nan"), float("inf"), float("-inf"), -0.0, None, 3.25]


def _half_floats():
    values = np.array([1.5, 0, np.nan, np.inf, -np.inf, -0.0, 0, 3.25], dtype=np.float16)
    mask = np.array([False, True, False, False, False, False, True, False])
    return pa.array(values, type=pa.float16(), mask=mask)


def _timestamp_columns():
    values = {
        "s": [0, None, 1_700_000_000, -86_400, 1, None, 253_402_300_799, 42],
        "ms": [0, None, 1_700_000_000_123, -1, 1, None, 2, 42],
        "us": [0, None, 1_700_000_000_123_456, -1, 1, None, 2, 42],
        "ns": [0, None, 1_700_000_000_123_456_789, -1, 1, None, 2, 42],
    }
    columns = {}
    for tz_label, tz in (("", None), ("_utc", "UTC"), ("_paris", "Europe/Paris")):
        for unit, unit_values in values.items():
            columns[f"timestamp_{unit}{tz_label}"] = pa.array(unit_values, type=pa.timestamp(unit, tz))
    return columns


def _dictionary_column():
    indices = pa.array([0, 1, None, 2, 0, 1, None, 2], type=pa.int32())
    dictionary = pa.array(["red", "green", "blue"], type=pa.utf8())
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def _columns():
    d = decimal.Decimal
    columns = {
        "int8": pa.array(_ints(-128, 127), type=pa.int8()),
        "int16": pa.array(_ints(-32768, 32767), type=pa.int16()),
        "int32": pa.array(_ints(-(2**31), 2**31 - 1), type=pa.int32()),
        "int64": pa.array(_ints(-(2**63), 2**63 - 1), type=pa.int64()),
        "uint8": pa.array(_ints(0, 255), type=pa.uint8()),
        "uint16": pa.array(_ints(0, 65535), type=pa.uint16()),
        "uint32": pa.array(_ints(0, 2**32 - 1), type=pa.uint32()),
        "uint64": pa.array(_ints(0, 2**64 - 1), type=pa.uint64()),
        "float16": _half_floats(),
        "float32": pa.array(_floats(), type=pa.float32()),
        "float64": pa.array(_floats(), type=pa.float64()),
        "bool": pa.array([True, None, False, True, False, None, True, False], type=pa.bool_()),
        "utf8": pa.array(["a", None, "", "héllo", "日本", None, "\U0001F600", "z" * 40], type=pa.utf8()),
        "large_utf8": pa.array(["x", "", None, "ü", None, "long" * 10, "y", "z"], type=pa.large_utf8()),
        "binary": pa.array([b"\x00", None, b"", b"\xff\xfe", b"abc", None, b"\x00\x01", b"q"], type=pa.binary()),
        "large_binary": pa.array([None, b"", b"\x00" * 9, b"x", None, b"yz", b"\x80", b"w"], type=pa.large_binary()),
        "fixed_size_binary": pa.array([b"abc", None, b"\x00\x00\x00", b"xyz", None, b"123", b"\xff\xff\xff", b"end"], type=pa.binary(3)),
        "date32": pa.array([dt.date(2024, 2, 29), None, dt.date(1970, 1, 1), dt.date(1, 1, 1), dt.date(9999, 12, 31), None, dt.date(1969, 12, 31), dt.date(2000, 1, 1)], type=pa.date32()),
        "date64": pa.array([dt.date(2024, 2, 29), dt.date(1970, 1, 1), None, dt.date(1900, 3, 1), None, dt.date(2038, 1, 19), dt.date(1969, 12, 31), dt.date(2000, 1, 1)], type=pa.date64()),
        "time32_s": pa.array([0, None, 86_399, 3_600, None, 1, 59, 43_200], type=pa.time32("s")),
        "time32_ms": pa.array([0, 86_399_999, None, 1, None, 2, 3, 4], type=pa.time32("ms")),
        "time64_us": pa.array([None, 0, 86_399_999_999, 1, 2, None, 3, 4], type=pa.time64("us")),
        "time64_ns": pa.array([0, None, 86_399_999_999_999, None, 1, 2, 3, 4], type=pa.time64("ns")),
        **_timestamp_columns(),
        "duration_s": pa.array(_ints(-(2**63), 2**63 - 1), type=pa.duration("s")),
        "duration_ms": pa.array([0, None, -1, 1, 1_000, None, 86_400_000, 7], type=pa.duration("ms")),
        "duration_us": pa.array([None, 0, -1, 1, 1_000_000, 2, None, 7], type=pa.duration("us")),
        "duration_ns": pa.array([0, -1, None, 1, 10**18, None, 2, 7], type=pa.duration("ns")),
        "decimal128_38_10": pa.array([d("1234567890123456789012345678.0123456789"), None, d("-0.0000000001"), d("0"), d("-9999999999999999999999999999.9999999999"), None, d("1"), d("3.1415926535")], type=pa.decimal128(38, 10)),
        "decimal128_5_2": pa.array([d("123.45"), None, d("-999.99"), d("0.01"), None, d("0"), d("1.5"), d("-0.5")], type=pa.decimal128(5, 2)),
        "list_int32": pa.array([[1, 2, 3], None, [], [None], [4, None, 5], None, [2**31 - 1], []], type=pa.list_(pa.int32())),
        "large_list_utf8": pa.array([["a", None], [], None, ["", "b", "c"], [None, None], None, ["ü"], ["x"] * 5], type=pa.large_list(pa.utf8())),
        "fixed_size_list_float32": pa.array([[1, 2, 3, 4], None, [None, 1.5, 2, 3], [0, 0, 0, 0], None, [float("nan"), -1, None, 1], [5, 6, 7, 8], [9, 10, 11, 12]], type=pa.list_(pa.float32(), 4)),
        "struct": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}, {"a": 2, "b": None}, {"a": None, "b": None}, None, {"a": -3, "b": ""}, {"a": 4, "b": "w"}], type=pa.struct([("a", pa.int32()), ("b", pa.utf8())])),
        "map": pa.array([[("k", 1), ("j", None)], None, [], [("a", -1)], None, [("x", 2**62), ("y", 0)], [("z", None)], []], type=pa.map_(pa.utf8(), pa.int64())),
        "dictionary": _dictionary_column(),
    }
    for name, column in columns.items():
        if column.null_count == 0 or len(column) != BASE_ROWS:
            raise AssertionError(f"column {name} must have {BASE_ROWS} rows and at least one null")
    return columns


def all_types_schema():
    """The schema of `all_types_table()`, metadata included."""
    return all_types_table().schema


def all_types_table():
    """One nullable column per type, nulls everywhere (nested children too), with metadata."""
    columns = _columns()
    fields = [
        pa.field(name, column.type, nullable=True, metadata=FIELD_METADATA if name == "float64" else None)
        for name, column in columns.items()
    ]
    schema = pa.schema(fields, metadata=SCHEMA_METADATA)
    return pa.Table.from_arrays(list(columns.values()), schema=schema)


def empty_table():
    """A table with the all_types schema and no batches: a DoPut of it carries only the schema."""
    schema = all_types_schema()
    return pa.Table.from_batches([], schema=schema)


def batches_table():
    """The all_types rows repeated 4 times, split into batches of 10, 0, 12 and 10 rows.

    The batches are slices, so they start at non-zero offsets inside shared buffers.
    """
    base = all_types_table().combine_chunks().to_batches()[0]
    combined = pa.Table.from_batches([base] * 4).combine_chunks().to_batches()[0]
    sizes = [10, 0, 12, 10]
    offsets = np.cumsum([0] + sizes)
    parts = [combined.slice(int(start), size) for start, size in zip(offsets, sizes)]
    return pa.Table.from_batches(parts, schema=base.schema)


def large_table():
    """A single record batch over 64 MiB: int64 values with a null every 1000 rows, and a float32 column."""
    values = np.arange(LARGE_ROWS, dtype=np.int64) * 2_654_435_761
    mask = np.zeros(LARGE_ROWS, dtype=bool)
    mask[::1000] = True
    floats = (np.arange(LARGE_ROWS, dtype=np.float32) / 7).astype(np.float32)
    batch = pa.record_batch(
        [pa.array(values, mask=mask), pa.array(floats)],
        schema=pa.schema([("id", pa.int64()), ("score", pa.float32())], metadata={b"flightcache.test": b"large"}),
    )
    return pa.Table.from_batches([batch])


VARIANTS = {
    "all_types": all_types_table,
    "empty": empty_table,
    "batches": batches_table,
    "large": large_table,
}


def build(variant):
    """The table for a variant name; ValueError names the known variants."""
    try:
        return VARIANTS[variant]()
    except KeyError:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}") from None


def write_ipc_stream(table, path):
    """Write a table as an IPC stream, one message per chunk, empty chunks included."""
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches():
            writer.write_batch(batch)


def read_ipc_stream(path):
    """Read an IPC stream file back into a Table, keeping its batch boundaries."""
    with pa.OSFile(path, "rb") as source:
        return pa.ipc.open_stream(source).read_all()


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} VARIANT PATH  (variants: {', '.join(VARIANTS)})", file=sys.stderr)
        return 2
    table = build(argv[1])
    write_ipc_stream(table, argv[2])
    batches = [b.num_rows for b in table.to_batches()]
    print(json.dumps({"variant": argv[1], "path": argv[2], "rows": table.num_rows, "batches": batches}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
