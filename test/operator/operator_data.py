"""The data and the pyarrow oracle of test/operator/dataset-loads.test.ts.

  operator_data.py write DIR              writes DIR/events/ (3 Parquet files, 1200 rows) and DIR/events-v2/ (1 file, 500 rows)
  operator_data.py compare URL NAME PATH  reads dataset NAME over Flight and compares it with pyarrow's read of PATH
"""

import json
import os
import sys

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq


def events(first, rows):
    ids = list(range(first, first + rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "user": pa.array([f"user-{i % 37}" for i in ids], pa.string()),
            "score": pa.array([i * 0.25 for i in ids], pa.float64()),
            "ok": pa.array([i % 3 == 0 for i in ids], pa.bool_()),
        }
    )


def write(root):
    os.makedirs(os.path.join(root, "events"))
    for part in range(3):
        pq.write_table(events(part * 400, 400), os.path.join(root, "events", f"part-{part}.parquet"), row_group_size=150)
    os.makedirs(os.path.join(root, "events-v2"))
    pq.write_table(events(10_000, 500), os.path.join(root, "events-v2", "part-0.parquet"))
    print(json.dumps({"rows": {"events": pq.read_table(os.path.join(root, "events")).num_rows, "events-v2": 500}}))


def read(url, name):
    """Every endpoint of the flight, each read from the location it names (the shards of a cluster)."""
    client = flight.connect(url)
    info = client.get_flight_info(flight.FlightDescriptor.for_path(name))
    tables = []
    for endpoint in info.endpoints:
        uris = [loc.uri.decode() for loc in endpoint.locations if not loc.uri.decode().startswith("arrow-flight-reuse-connection")]
        source = flight.connect(uris[0]) if uris else client
        tables.append(source.do_get(endpoint.ticket).read_all())
    return pa.concat_tables(tables) if tables else info.schema.empty_table()


def compare(url, name, path):
    want = pq.read_table(path).sort_by("id")
    got = read(url, name).sort_by("id")
    equal = got.schema == want.schema and got.equals(want)
    detail = "" if equal else f"got {got.num_rows} rows {got.schema}, want {want.num_rows} rows {want.schema}"
    print(json.dumps({"equal": equal, "rows": got.num_rows, "expected_rows": want.num_rows, "detail": detail}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
