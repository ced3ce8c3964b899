"""flightcache.Client against a real server: put (Table, RecordBatch, RecordBatchReader, pandas),
datasets, schema, stats, flight_info shares, reads with columns and start_after, drop; the Basic ->
Bearer handshake, a wrong password and a bearer token."""

from typing import Callable

import flightcache
import pandas
import pyarrow as pa
import pyarrow.flight as flight
from conftest import Server
from torch_common import make_table


def test_put_datasets_schema_stats_shares_reads_and_drop(server: Server) -> None:
    url = server.url
    client = flightcache.Client(url)
    for stale in {"api-table", "api-batch", "api-reader", "api-pandas"} & {d.name for d in client.datasets()}:
        client.drop(stale)
    table = make_table(100)
    assert client.put("api-table", table, batch_rows=30) == 100
    assert client.put("api-batch", table.to_batches()[0]) == 100
    assert client.put("api-reader", pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=40))) == 100
    frame = pandas.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    assert client.put("api-pandas", frame) == 3
    names = {d.name: d for d in client.datasets()}
    assert {"api-table", "api-batch", "api-reader", "api-pandas"} <= set(names), names
    assert names["api-table"].rows == 100 and names["api-table"].schema == table.schema
    schema = client.schema("api-pandas")
    assert schema.names == ["a", "b"] and schema.field("a").type == pa.int64(), schema
    stats = client.stats()
    assert {d["name"]: d["rows"] for d in stats["datasets"]}["api-table"] == 100, stats
    assert client.health()["status"] == "ok"
    shares = [client.flight_info("api-table", rank=r, world_size=3) for r in range(3)]
    assert sum(info.total_records for info in shares) == 100
    assert client.read("api-table").equals(table)
    assert client.read("api-table", columns=["label", "id"]).equals(table.select(["label", "id"]))
    batches = list(client.read_batches("api-table", rank=1, world_size=2))
    rest = list(client.read_batches("api-table", rank=1, world_size=2, start_after=batches[0][1]))
    assert [b.num_rows for b, _ in rest] == [b.num_rows for b, _ in batches[1:]]
    assert pa.Table.from_batches([b for b, _ in batches]).equals(table.slice(60, 40))
    try:
        client.put("api-table", frame)
        raise AssertionError("append with another schema succeeded")
    except pa.ArrowInvalid as error:
        assert "differs" in str(error), str(error)
    for name in ("api-table", "api-batch", "api-reader", "api-pandas"):
        client.drop(name)
    assert not {d.name for d in client.datasets()} & {"api-table", "api-batch", "api-reader", "api-pandas"}
    try:
        client.drop("api-table")
        raise AssertionError("dropping an unknown dataset succeeded")
    except KeyError:
        pass


def test_basic_and_bearer_credentials(serve: Callable[..., Server]) -> None:
    user, password = "trainer", "secret"
    url = serve("--user", user, "--password", password).url
    client = flightcache.Client(url, user=user, password=password)
    assert client.put("api-auth", make_table(10)) == 10
    assert client.read("api-auth").num_rows == 10
    try:
        flightcache.Client(url, user=user, password="wrong")
        raise AssertionError("a wrong password was accepted")
    except flight.FlightUnauthenticatedError:
        pass
    token = flight.connect(url).authenticate_basic_token(user, password)[1].decode().split(" ", 1)[1]
    assert [d.name for d in flightcache.Client(url, token=token).datasets()] == ["api-auth"]
    client.drop("api-auth")
