"""Flight SQL against a flightcache server, from the ADBC Flight SQL driver and pyarrow.flight.

Usage: flight_sql_check.py URL PART [USER PASSWORD]. PART "catalog" puts the datasets and reports
what the driver lists (get_info, get_objects, get_table_schema, get_table_types) and how commands
flightcache does not serve are refused; PART "queries" runs statements and prepared statements.
Prints one JSON report; the TypeScript test asserts its exact values.
"""

import json
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow as pa
import pyarrow.flight as flight

TRAIN = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
        "lang": pa.array(["en", "fr", None, "en", "日本"], pa.string()),
        "score": pa.array([0.5, 1.5, 2.5, None, 4.5], pa.float64()),
    }
)
VALID = pa.table({"id": pa.array([10, 11], pa.int32())})


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number, value):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(value)) + value


def any_of(name, value=b""):
    """A google.protobuf.Any of arrow.flight.protocol.sql.NAME, written by hand: pyarrow has no Flight SQL messages."""
    return field(1, f"type.googleapis.com/arrow.flight.protocol.sql.{name}".encode()) + field(2, value)


def error_of(run):
    try:
        run()
    except Exception as err:  # noqa: BLE001 - the report names whatever the client raised
        # pyarrow appends gRPC debug context after the server's message.
        return {"type": type(err).__name__, "message": str(err).split("\n")[0].split(". gRPC client debug context")[0]}
    return None


def plain_client(url, credentials):
    client = flight.connect(url)
    options = flight.FlightCallOptions()
    if credentials:
        token = client.authenticate_basic_token(*credentials)
        options = flight.FlightCallOptions(headers=[token])
    return client, options


def connect(url, credentials):
    kwargs = {"username": credentials[0], "password": credentials[1]} if credentials else {}
    return flight_sql.connect(url, db_kwargs=kwargs, autocommit=True)


def catalog(url, credentials):
    client, options = plain_client(url, credentials)
    for name, table in (("train", TRAIN), ("valid", VALID)):
        writer, _ = client.do_put(flight.FlightDescriptor.for_path(name), table.schema, options=options)
        writer.write_table(table)
        writer.close()
    with connect(url, credentials) as conn:
        info = conn.adbc_get_info()
        objects = conn.adbc_get_objects().read_all().to_pylist()
        listed = [
            {
                "catalog": c["catalog_name"],
                "schema": s["db_schema_name"],
                "table": t["table_name"],
                "type": t["table_type"],
                "columns": [[col["column_name"], col["ordinal_position"]] for col in t["table_columns"]],
            }
            for c in objects
            for s in c["catalog_db_schemas"]
            for t in s["db_schema_tables"]
        ]
        only_train = conn.adbc_get_objects(depth="tables", table_name_filter="tr%").read_all().to_pylist()
        report = {
            "info": {k: info[k] for k in ("vendor_name", "vendor_version", "vendor_arrow_version")},
            "objects": listed,
            "filtered": [t["table_name"] for c in only_train for s in c["catalog_db_schemas"] for t in s["db_schema_tables"]],
            "train_schema_equal": conn.adbc_get_table_schema("train").equals(TRAIN.schema),
            "valid_schema_equal": conn.adbc_get_table_schema("valid", catalog_filter="flightcache", db_schema_filter="public").equals(VALID.schema),
            "missing_table": error_of(lambda: conn.adbc_get_table_schema("nope")),
            "table_types": conn.adbc_get_table_types(),
            "ingest": error_of(lambda: conn.cursor().adbc_ingest("train", TRAIN, mode="append")),
        }
    update = error_of(lambda: client.do_put(flight.FlightDescriptor.for_command(any_of("CommandStatementUpdate", field(1, b"DELETE FROM train"))), TRAIN.schema, options=options)[1].read())
    substrait = error_of(lambda: client.get_flight_info(flight.FlightDescriptor.for_command(any_of("CommandStatementSubstraitPlan")), options=options))
    transaction = error_of(lambda: list(client.do_action(flight.Action("BeginTransaction", any_of("ActionBeginTransactionRequest")), options=options)))
    report["refused"] = {"update": update, "substrait": substrait, "transaction": transaction}
    report["plain_tables"] = plain_tables(client, options)
    return report


def plain_tables(client, options):
    """CommandGetTables through pyarrow.flight: FlightInfo, then DoGet of its one ticket."""
    command = any_of("CommandGetTables", varint(5 << 3) + varint(1))
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command), options=options)
    table = client.do_get(info.endpoints[0].ticket, options=options).read_all()
    return {
        "schema": [f"{f.name}: {f.type}{'' if f.nullable else ' not null'}" for f in info.schema],
        "names": table.column("table_name").to_pylist(),
        "train_schema_equal": pa.ipc.read_schema(pa.py_buffer(table.column("table_schema")[0].as_py())).equals(TRAIN.schema),
    }


def main():
    url, part = sys.argv[1], sys.argv[2]
    credentials = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
    report = catalog(url, credentials) if part == "catalog" else None
    print(json.dumps(report))


if __name__ == "__main__":
    main()
