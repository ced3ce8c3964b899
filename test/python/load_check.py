"""Fixtures and the oracle for `load`: pyarrow and DuckDB write the sources, and
pyarrow's own read of a source is what flightcache must serve after loading it.

    python load_check.py write DIR
        writes every fixture under DIR; prints {"written": [...]}
    python load_check.py compare URL NAME KIND PATH [--columns a,b] [--split S] [--snapshot ID] [--where EXPR] [--keep JSON]
        reads dataset NAME through pyarrow.flight and compares it with pyarrow's read of PATH as
        KIND (parquet, ipc, csv, jsonl, hf, iceberg: pyiceberg's scan of the snapshot, filtered by
        the row filter EXPR), keeping with --keep only the rows where every [column, op, value] of
        JSON holds (pyarrow.compute; op: <, >, =, starts_with; a null drops the row) before
        --columns; prints {"equal", "detail", "rows", "columns"}
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import shutil
import sys

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(__file__))
import all_types  # noqa: E402
from flight_client import Session  # noqa: E402
from table_compare import compare_tables  # noqa: E402

CODECS = ["snappy", "zstd", "gzip", "lz4", "brotli", "none"]


def parquet_types_table():
    """all_types' columns that Parquet stores, repeated to 3 row groups, plus nested shapes it lacks."""
    table = all_types.all_types_table().drop_columns(["fixed_size_list_float32"])
    n = table.num_rows
    extra = {
        "decimal256_60_5": pa.array([1, None, -2, 3, None, 4, 5, 6], type=pa.decimal256(60, 5)),
        "large_list_int64": pa.array([[1], None, [], [2, 3], None, [4], [], [5]], type=pa.large_list(pa.int64())),
        "list_struct": pa.array(
            [[{"a": 1, "b": "x"}], None, [], [{"a": None, "b": "y"}, {"a": 2, "b": None}], None, [], [{"a": 3, "b": "z"}], []],
            type=pa.list_(pa.struct([("a", pa.int32()), ("b", pa.utf8())])),
        ),
        "map_list": pa.array(
            [[("k", [1, 2])], None, [], [("a", None), ("b", [])], None, [], [("z", [3])], []],
            type=pa.map_(pa.utf8(), pa.list_(pa.int16())),
        ),
        "struct_nested": pa.array(
            [{"s": {"x": 1.5}, "l": [1]}, None, {"s": None, "l": None}, {"s": {"x": None}, "l": []}, None, {"s": {"x": 2.5}, "l": [2, 3]}, {"s": None, "l": [4]}, {"s": {"x": 0.0}, "l": []}],
            type=pa.struct([("s", pa.struct([("x", pa.float64())])), ("l", pa.list_(pa.int8()))]),
        ),
    }
    for name, array in extra.items():
        assert len(array) == n
        table = table.append_column(name, array)
    return pa.concat_tables([table, table, table])


def write(root):
    written = []
    os.makedirs(root, exist_ok=True)
    types = parquet_types_table()
    for codec in CODECS:
        path = os.path.join(root, "types", f"{codec}.parquet")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pq.write_table(types, path, compression=codec, row_group_size=8)
        written.append(path)
    # A directory of row-grouped files with the same schema, and a hive tree.
    simple = pa.table({"id": pa.array(range(1000), pa.int64()), "text": [f"row {i}" for i in range(1000)], "score": [i / 7 for i in range(1000)]})
    for i in range(3):
        path = os.path.join(root, "dir", f"part-{i}.parquet")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pq.write_table(simple.slice(i * 300, 300 + i * 50), path, row_group_size=100)
        written.append(path)
    for year in (2023, 2024):
        for lang in ("en", "fr"):
            path = os.path.join(root, "hive", f"year={year}", f"lang={lang}", "part-0.parquet")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pq.write_table(simple.slice(year - 2023, 40 + len(lang)), path)
            written.append(path)
    # Hugging Face layout: data/{split}-0000i-of-00002.parquet
    for split in ("train", "test"):
        for i in range(2):
            path = os.path.join(root, "hf", "data", f"{split}-{i:05d}-of-00002.parquet")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pq.write_table(simple.slice(i * 100 + (0 if split == "train" else 500), 100), path)
            written.append(path)
    # Arrow IPC: file and stream, uncompressed and with LZ4/ZSTD bodies; types pyarrow's IPC keeps.
    ipc_types = all_types.all_types_table()
    for kind in ("file", "stream"):
        for codec in (None, "lz4", "zstd"):
            path = os.path.join(root, "ipc", f"{kind}-{codec or 'none'}.arrow")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            options = pa.ipc.IpcWriteOptions(compression=codec)
            opener = pa.ipc.new_file if kind == "file" else pa.ipc.new_stream
            with opener(path, ipc_types.schema, options=options) as writer:
                for batch in pa.concat_tables([ipc_types, ipc_types]).to_batches(max_chunksize=5):
                    writer.write_batch(batch)
            written.append(path)
    # CSV and JSON Lines.
    csv_path = os.path.join(root, "text", "table.csv")
    os.makedirs(os.path.dirname(csv_path), exist_ok=True)
    with open(csv_path, "w") as f:
        f.write("id,name,price,flag,day,at,empty,note\n")
        for i in range(70_000):
            name = f'"quoted, ""{i}"""' if i % 7 == 0 else f"name{i}"
            price = "" if i % 11 == 0 else f"{i * 0.25}"
            f.write(f"{i},{name},{price},{'true' if i % 2 else 'false'},2024-01-{1 + i % 28:02d},2024-02-03 04:05:{i % 60:02d},,\"multi\nline {i % 3}\"\n")
    written.append(csv_path)
    jsonl_path = os.path.join(root, "text", "table.jsonl")
    with open(jsonl_path, "w") as f:
        for i in range(70_000):
            row = {"id": i, "name": f"n{i}", "score": i / 4, "ok": i % 3 == 0, "tags": [f"t{j}" for j in range(i % 3)], "pos": {"x": i, "y": None if i % 5 == 0 else i * 0.5}}
            if i % 13 == 0:
                row["name"] = None
            f.write(json.dumps(row) + "\n")
    written.append(jsonl_path)
    # Bad input.
    bad = os.path.join(root, "bad")
    os.makedirs(bad, exist_ok=True)
    good = open(os.path.join(root, "dir", "part-0.parquet"), "rb").read()
    with open(os.path.join(bad, "footer.parquet"), "wb") as f:
        f.write(good[:-12] + b"\x00" * 8 + good[-4:])
    with open(os.path.join(bad, "truncated.parquet"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(os.path.join(bad, "notparquet.parquet"), "wb") as f:
        f.write(b"id,name\n1,a\n")
    stream = open(os.path.join(root, "ipc", "stream-none.arrow"), "rb").read()
    with open(os.path.join(bad, "truncated.arrow"), "wb") as f:
        f.write(stream[: len(stream) * 2 // 3])
    written += [os.path.join(bad, n) for n in ("footer.parquet", "truncated.parquet", "notparquet.parquet", "truncated.arrow")]
    written += write_iceberg(os.path.join(root, "iceberg"), simple)
    path = os.path.join(root, "duckdb", "duck.parquet")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    duckdb.sql(
        "SELECT i::BIGINT AS id, 'v' || i AS s, [i, i + 1] AS l, {'a': i, 'b': 'x'} AS st, MAP {'k': i} AS m, "
        "(i * 1.5)::DECIMAL(18, 3) AS d, TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) SECOND AS ts "
        "FROM range(5000) t(i)"
    ).write_parquet(path, compression="zstd")
    written.append(path)
    return written


def write_iceberg(warehouse, table):
    """A table written by pyiceberg (a SQLite catalog under `warehouse`): two appends, so two snapshots."""
    from pyiceberg.catalog.sql import SqlCatalog

    os.makedirs(warehouse, exist_ok=True)
    catalog = SqlCatalog("load", uri=f"sqlite:///{warehouse}/catalog.db", warehouse=f"file://{warehouse}")
    catalog.create_namespace("db")
    events = catalog.create_table("db.events", schema=table.schema)
    events.append(table.slice(0, 600))
    events.append(table.slice(600))
    return [events.metadata_location, write_iceberg_evolved(catalog), write_iceberg_partitioned(catalog), write_iceberg_transforms(catalog)]


def write_iceberg_evolved(catalog):
    """db.evolved: 500 rows, then a column renamed, one dropped, one added, int and float promoted,
    500 more rows, then position deletes (in a snapshot of their own) of rows of the first file."""
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record
    from pyiceberg.types import DoubleType, LongType, StringType

    n = 500
    first = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "name": [f"n{i}" for i in range(n)],
        "qty": pa.array([i % 17 for i in range(n)], pa.int32()),
        "score": pa.array([i / 8 for i in range(n)], pa.float32()),
        "dropped": [f"d{i}" for i in range(n)],
    })
    table = catalog.create_table("db.evolved", schema=first.schema)
    table.append(first)
    data_path = next(iter(table.scan().plan_files())).file.file_path
    with table.update_schema() as update:
        update.rename_column("name", "label")
        update.delete_column("dropped")
        update.update_column("qty", LongType())
        update.update_column("score", DoubleType())
        update.add_column("extra", StringType())
    second = pa.table({
        "id": pa.array(range(n, 2 * n), pa.int64()),
        "label": [f"l{i}" for i in range(n, 2 * n)],
        "qty": pa.array([i * 1000003 for i in range(n)], pa.int64()),
        "score": pa.array([i / 3 for i in range(n)], pa.float64()),
        "extra": [None if i % 4 else f"e{i}" for i in range(n)],
    })
    table.append(second)
    positions = [0, 3, 4, 5, 250, 499]
    deletes_path = data_path.removeprefix("file://").replace(".parquet", "-deletes.parquet")
    deletes = pa.table({"file_path": [data_path] * len(positions), "pos": pa.array(positions, pa.int64())})
    fields = [pa.field("file_path", pa.string(), False, {b"PARQUET:field_id": b"2147483546"}), pa.field("pos", pa.int64(), False, {b"PARQUET:field_id": b"2147483545"})]
    pq.write_table(deletes.cast(pa.schema(fields)), deletes_path)
    delete_file = DataFile.from_args(
        content=DataFileContent.POSITION_DELETES, file_path=f"file://{deletes_path}", file_format=FileFormat.PARQUET,
        partition=Record(), record_count=len(positions), file_size_in_bytes=os.path.getsize(deletes_path),
    )
    delete_file.spec_id = table.spec().spec_id
    with table.transaction() as tx, tx.update_snapshot().fast_append() as append:
        append.append_data_file(delete_file)
    return table.metadata_location


def write_iceberg_partitioned(catalog):
    """db.regions: identity-partitioned by region, one append (so one manifest) per region."""
    from pyiceberg.transforms import IdentityTransform

    rows = pa.table({"id": pa.array(range(300), pa.int64()), "region": [("eu", "us", "ap")[i // 100] for i in range(300)], "v": [i * 0.5 for i in range(300)]})
    table = catalog.create_table("db.regions", schema=rows.schema)
    with table.update_spec() as spec:
        spec.add_field("region", IdentityTransform(), "region")
    for region in ("eu", "us", "ap"):
        table.append(rows.filter(pa.compute.equal(rows["region"], region)))
    # A copy whose manifest of region "us" is garbage: a load pruned to other regions never reads it.
    root = table.metadata_location.removeprefix("file://").split("/metadata/")[0]
    damaged = root + "_damaged"
    shutil.copytree(root, damaged)
    for manifest in table.current_snapshot().manifests(table.io):
        if any(e.data_file.partition[0] == "us" for e in manifest.fetch_manifest_entry(table.io)):
            with open(damaged + manifest.manifest_path.removeprefix("file://")[len(root):], "wb") as f:
                f.write(b"not avro")
    return table.metadata_location


def write_iceberg_transforms(catalog):
    """db.transforms: partitioned by day(ts), bucket[4](id) and truncate[2](name), with column bounds
    on every file; four appends of 50 rows (one day each, ids and names spread over buckets and
    prefixes). A copy, db.transforms_damaged, has every data file of a day other than 2024-03-02 and
    of a name prefix other than "ca" overwritten with garbage: only a load that reads them fails."""
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import BucketTransform, DayTransform, TruncateTransform
    from pyiceberg.types import LongType, NestedField, StringType, TimestamptzType

    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "name", StringType(), required=False),
        NestedField(3, "ts", TimestamptzType(), required=False),
        NestedField(4, "score", LongType(), required=False),
    )
    table = catalog.create_table("db.transforms", schema=schema)
    with table.update_spec() as spec:
        spec.add_field("ts", DayTransform(), "ts_day")
        spec.add_field("id", BucketTransform(4), "id_bucket")
        spec.add_field("name", TruncateTransform(2), "name_trunc")
    names = ["cat", "car", "dog", "dot", "émile", None]
    start = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
    for day in range(4):
        ids = range(day * 50, day * 50 + 50)
        table.append(pa.table({
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([names[i % len(names)] for i in ids], pa.string()),
            "ts": pa.array([start + datetime.timedelta(days=day, minutes=7 * (i % 50)) for i in ids], pa.timestamp("us", tz="UTC")),
            "score": pa.array([None if i % 11 == 0 else (i * 37) % 1000 for i in ids], pa.int64()),
        }))
    root = table.metadata_location.removeprefix("file://").split("/metadata/")[0]
    damaged = root + "_damaged"
    shutil.copytree(root, damaged)
    for task in table.scan().plan_files():
        day, _, prefix = task.file.partition
        if day != 19784 or prefix != "ca":
            with open(damaged + task.file.file_path.removeprefix("file://")[len(root):], "wb") as f:
                f.write(b"not parquet")
    return table.metadata_location


def expected(kind, path, columns, split, snapshot=None, where=None):
    if kind == "parquet":
        return pq.read_table(path, columns=columns)
    if kind == "hf":
        files = sorted(
            os.path.join(d, n) for d, _, names in os.walk(path) for n in names if n.endswith(".parquet") and n.startswith(f"{split}-")
        )
        return pa.concat_tables([pq.read_table(f, columns=columns) for f in files])
    if kind == "ipc":
        with open(path, "rb") as f:
            head = f.read(6)
        reader = pa.ipc.open_file(path) if head == b"ARROW1" else pa.ipc.open_stream(path)
        table = reader.read_all()
        return table.select(columns) if columns else table
    if kind == "iceberg":
        return iceberg_table(path, snapshot, where)
    if kind == "csv":
        convert = pa_csv.ConvertOptions(include_columns=columns) if columns else None
        return pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(newlines_in_values=True), convert_options=convert)
    if kind == "jsonl":
        table = pa_json.read_json(path)
        return table.select(columns) if columns else table
    raise ValueError(kind)


def iceberg_table(table_dir, snapshot=None, where=None):
    """pyiceberg's scan of a local table's snapshot (the current one, or id `snapshot`; a path
    ending in .metadata.json: that metadata's current one), with the row filter `where`. Equality deletes, which pyiceberg refuses, are applied by equality_deleted. Its metadata names files under the
    location it was written at (relative, e.g. data/persistent/NAME): that location is linked to
    the table in a scratch directory, which becomes the working directory."""
    import glob
    import gzip
    import tempfile

    from pyiceberg.table import StaticTable

    candidates = []
    if table_dir.endswith(".metadata.json"):
        # A metadata file given: the table as it describes it.
        candidates = [table_dir]
        table_dir = os.path.dirname(os.path.dirname(table_dir))
    metadata_dir = os.path.join(table_dir, "metadata")
    hint = os.path.join(metadata_dir, "version-hint.text")
    if not candidates and os.path.exists(hint):
        version = open(hint).read().strip()
        candidates = [p for p in (os.path.join(metadata_dir, f"v{version}.metadata.json"), os.path.join(metadata_dir, f"v{version}.gz.metadata.json")) if os.path.exists(p)]
    if not candidates:
        def number(p):
            name = os.path.basename(p)
            return int(name[1:].split(".")[0]) if name.startswith("v") else int(name.split("-")[0])
        found = glob.glob(os.path.join(metadata_dir, "*.metadata.json"))
        versioned = [p for p in found if re.match(r"^(v\d+|\d+-)", os.path.basename(p))]
        others = [p for p in found if p not in versioned]
        # Beside files of other names (vfinal.metadata.json), the current one is the one updated last.
        candidates = sorted(versioned, key=number)[-1:] + others
        if len(candidates) > 1:
            candidates = [max(candidates, key=lambda p: json.loads(pathlib.Path(p).read_bytes())["last-updated-ms"])]
    metadata_path = os.path.abspath(candidates[0])
    raw = open(metadata_path, "rb").read()
    location = json.loads(gzip.decompress(raw) if metadata_path.endswith(".gz.metadata.json") else raw)["location"]
    scratch = tempfile.mkdtemp()
    if not location.startswith(("file:", "/")):
        link = os.path.join(scratch, location.removeprefix("./"))
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.abspath(table_dir), link)
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        table = StaticTable.from_metadata(metadata_path)
        options = {"snapshot_id": int(snapshot)} if snapshot else {}
        if where:
            options["row_filter"] = where
        try:
            return table.scan(**options).to_arrow()
        except ValueError as err:
            if "equality deletes" not in str(err):
                raise
            return equality_deleted(table)
    finally:
        os.chdir(cwd)


def equality_deleted(table):
    """The current snapshot of a table whose only deletes are equality deletes (unevolved schema):
    each data file read by pyarrow, minus the rows matching (a left anti join on the delete file's
    columns) each equality delete of a higher sequence number in its partition (any, when unpartitioned)."""
    io = table.io
    entries = [e for m in table.current_snapshot().manifests(io) for e in m.fetch_manifest_entry(io, discard_deleted=True)]
    schema = table.schema().as_arrow()
    def path(f):
        return f.file_path.removeprefix("file://")

    out = []
    for data in (e for e in entries if e.data_file.content == 0):
        rows = pq.read_table(path(data.data_file))
        rows = rows.select([n for n in schema.names if n in rows.column_names])
        for delete in (e for e in entries if e.data_file.content == 2):
            same = len(table.specs()[delete.data_file.spec_id].fields) == 0 or delete.data_file.partition == data.data_file.partition
            if delete.sequence_number > data.sequence_number and same:
                names = [table.schema().find_field(i).name for i in delete.data_file.equality_ids]
                keys = pq.read_table(path(delete.data_file)).select(names)
                rows = rows.join(keys, names, join_type="left anti", coalesce_keys=True).select(rows.column_names)
        out.append(rows.cast(schema))
    return pa.concat_tables(out)


def without_metadata(table):
    """The table with no schema or field metadata (Iceberg writers add field ids and table JSON)."""
    return table.cast(pa.schema([pa.field(f.name, f.type, f.nullable) for f in table.schema]))


def through_ipc(table):
    """The table as any Arrow IPC (so Flight) transfer delivers it: pyarrow's IPC reader names every
    map's entries field "entries", whatever the Parquet reader named it."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


KEEP_OPS = {"<": pc.less, ">": pc.greater, "=": pc.equal, "starts_with": lambda a, v: pc.starts_with(a, pattern=v)}


def kept(table, conditions):
    """The rows of `table` where every [column, op, value] condition holds; a null drops the row."""
    mask = None
    for column, op, value in conditions:
        holds = KEEP_OPS[op](table[column], value)
        mask = holds if mask is None else pc.and_kleene(mask, holds)
    return table.filter(mask)


def compare(args):
    columns = args.columns.split(",") if args.columns else None
    if args.keep:
        table = kept(expected(args.kind, args.path, None, args.split, args.snapshot, args.where), json.loads(args.keep))
        want = through_ipc(table.select(columns) if columns else table)
    else:
        want = through_ipc(expected(args.kind, args.path, columns, args.split, args.snapshot, args.where))
    got, _, _ = Session(args.url).read(args.name)
    if args.kind == "iceberg":
        # pyiceberg types columns from the Iceberg schema (large strings, required fields); the load
        # keeps the data files' Arrow types: values are compared after casting to the loaded types.
        got = without_metadata(got)
        want = without_metadata(want).cast(got.schema)
    equal, detail = compare_tables(want, got)
    return {"equal": equal, "detail": detail, "rows": got.num_rows, "columns": got.column_names}


def main(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    c = sub.add_parser("compare")
    for name in ("url", "name", "kind", "path"):
        c.add_argument(name)
    c.add_argument("--columns")
    c.add_argument("--split")
    c.add_argument("--snapshot")
    c.add_argument("--where")
    c.add_argument("--keep")
    args = parser.parse_args(argv)
    result = {"written": write(args.dir)} if args.command == "write" else compare(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
