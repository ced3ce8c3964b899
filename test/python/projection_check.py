"""Differential check of column projection: pyarrow asks flightcache for column subsets.

    python projection_check.py URL

Puts the all_types table (in batches of 3 rows), a table of the types all_types lacks (null,
sparse and dense unions) and one with a string_view column. Then, for each column alone, every
column reversed and the nested columns, reads GetFlightInfo(for_command(JSON with "columns")) +
do_get and compares the result with table.select(columns). Prints one JSON line.
"""

import json
import sys

import pyarrow as pa
import pyarrow.flight as flight
from all_types import all_types_table
from table_compare import compare_tables

NESTED = ["map", "struct", "large_list_utf8", "list_int32", "fixed_size_list_float32", "dictionary"]


def extras_table():
    """Columns whose buffer layouts all_types does not cover: null and both union modes."""
    types = pa.array([0, 1, 0, 1, 1, 0], type=pa.int8())
    sparse = pa.UnionArray.from_sparse(types, [pa.array([1, None, 3, 4, 5, 6], pa.int32()), pa.array(["a", "b", None, "d", "e", "f"])], ["i", "s"])
    offsets = pa.array([0, 0, 1, 1, 2, 2], type=pa.int32())
    dense = pa.UnionArray.from_dense(types, offsets, [pa.array([1, None, 3], pa.int64()), pa.array(["x", None, "z"])], ["i", "s"])
    return pa.table({
        "id": pa.array(range(6), pa.int32()),
        "nothing": pa.nulls(6),
        "sparse_union": sparse,
        "dense_union": dense,
        "name": pa.array(["p", None, "q", "r", None, "s"]),
    })


def put(client, name, table, chunk):
    """Writes `table` as dataset `name` in batches of `chunk` rows."""
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(name), table.schema)
    for batch in table.to_batches(max_chunksize=chunk):
        writer.write_batch(batch)
    writer.close()


def read(client, name, columns):
    """The table, record count, total bytes and body bytes a projected read of `columns` returns."""
    command = json.dumps({"dataset": name, "rank": 0, "world_size": 1, "columns": columns}).encode()
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command))
    batches = []
    schema = info.schema
    for endpoint in info.endpoints:
        reader = client.do_get(endpoint.ticket)
        schema = reader.schema
        batches.extend(chunk.data for chunk in reader)
    table = pa.Table.from_batches(batches, schema=schema)
    if not info.schema.equals(schema, check_metadata=True):
        raise AssertionError(f"FlightInfo.schema differs from the DoGet schema for {columns}")
    return table, info.total_records


def check(client, name, table, subsets, failures):
    """Compares each projected read with table.select; returns how many subsets were checked."""
    for columns in subsets:
        actual, records = read(client, name, columns)
        equal, detail = compare_tables(table.select(columns), actual)
        if not equal or records != table.num_rows:
            failures.append({"dataset": name, "columns": columns, "detail": detail, "records": records})
    return len(subsets)


def error_of(client, name, columns):
    """The exception type and message of a projected GetFlightInfo expected to fail."""
    command = json.dumps({"dataset": name, "rank": 0, "world_size": 1, "columns": columns}).encode()
    try:
        client.get_flight_info(flight.FlightDescriptor.for_command(command))
    except pa.ArrowException as err:
        return {"type": type(err).__name__, "message": str(err).split("with message: ", 1)[-1].split(". gRPC client debug context")[0]}
    return None


def main(url):
    client = flight.connect(url)
    failures = []
    checked = 0
    for name, table, chunk, extra in [("all_types", all_types_table(), 3, [NESTED]), ("extras", extras_table(), 4, [])]:
        put(client, name, table, chunk)
        names = table.column_names
        subsets = [[n] for n in names] + [list(reversed(names)), names[::3]] + extra
        checked += check(client, name, table, subsets, failures)
    views = pa.table({"id": pa.array([1, 2], pa.int32()), "text": pa.array(["a", "b"], pa.string_view())})
    put(client, "views", views, 2)
    print(json.dumps({
        "checked": checked,
        "failures": failures,
        "unknown": error_of(client, "all_types", ["int8", "nope"]),
        "view": error_of(client, "views", ["id"]),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
