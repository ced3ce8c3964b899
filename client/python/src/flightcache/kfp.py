"""Kubeflow Pipelines component that loads a source into a flightcache cache (extra `kfp`).

`load_dataset` asks the cache (a DataCache's coordinator, or one `flightcache serve` node) to read the
source itself with the Flight `load` action: the pipeline step moves no data, needs no Kubernetes API
access, and succeeds only once the whole source is loaded (a load is all or nothing). Its function body
is self-contained, as KFP runs it in `BASE_IMAGE` with only pyarrow installed.
"""

from typing import NamedTuple

from kfp import dsl

BASE_IMAGE = "python:3.11-slim"
PYARROW = "pyarrow==25.0.1"


@dsl.component(base_image=BASE_IMAGE, packages_to_install=[PYARROW])
def load_dataset(
    endpoint: str,
    name: str,
    source: str,
    format: str = "",
    columns: str = "",
    token: str = "",
    timeout_seconds: float = 3600.0,
) -> NamedTuple("Loaded", [("rows", int), ("bytes", int), ("files", int)]):  # type: ignore[valid-type]  # noqa: UP014 (KFP's output form; a class would be undefined where KFP runs the body alone)
    """Loads `source` (a path or URI the cache reads: s3://, a directory, a glob) as dataset `name`.

    `format`: parquet, ipc, csv, jsonl, ... (empty: from the file names); `columns`: comma-separated
    names to keep (empty: all); `token`: a bearer token for a cache with auth on. Fails with the
    cache's gRPC status when the load fails or takes longer than `timeout_seconds`.
    """
    import json
    from collections import namedtuple

    import pyarrow.flight as flight

    body: dict = {"name": name, "source": source}
    if format:
        body["format"] = format
    if columns:
        body["options"] = {"columns": [column.strip() for column in columns.split(",") if column.strip()]}
    headers = [(b"authorization", b"Bearer " + token.encode())] if token else []
    options = flight.FlightCallOptions(timeout=timeout_seconds, headers=headers)
    client = flight.FlightClient(endpoint)
    try:
        results = list(client.do_action(flight.Action("load", json.dumps(body).encode()), options))
    finally:
        client.close()
    loaded = json.loads(results[0].body.to_pybytes())
    print(f"loaded {source} into {name} at {endpoint}: {loaded['rows']} rows, {loaded['bytes']} bytes from {loaded['files']} files")
    return namedtuple("Loaded", ["rows", "bytes", "files"])(loaded["rows"], loaded["bytes"], loaded["files"])  # type: ignore[call-arg]
