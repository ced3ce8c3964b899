"""Flight SQL against a flightcache server, from the ADBC Flight SQL driver and pyarrow.flight.

Usage (PYTHONPATH=client/python/src): flight_sql_check.py URL PART [USER PASSWORD]. PART "catalog" puts the datasets and reports
what the driver lists (get_info, get_objects, get_table_schema, get_table_types) and how commands
flightcache does not serve are refused; PART "queries" runs statements and prepared statements.
Prints one JSON report; the TypeScript test asserts its exact values.
"""

import datetime
import json
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
from flightcache import Client
from flightcache.query import bytes_field as field
from flightcache.query import flight_sql_any as any_of
from flightcache.query import statement_command, varint

TRAIN = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
        "lang": pa.array(["en", "fr", None, "en", "日本"], pa.string()),
        "score": pa.array([0.5, 1.5, 2.5, None, 4.5], pa.float64()),
    }
)
VALID = pa.table({"id": pa.array([10, 11], pa.int32())})


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


def table_report(table):
    return {"schema": [f"{f.name}: {f.type}" for f in table.schema], "rows": table.to_pylist()}


def queries(url, credentials):
    """Statements and prepared statements, each result compared with the same selection made by pyarrow."""
    score_over_1 = TRAIN.filter(pc.greater(TRAIN["score"], 1)).select(["id", "lang"])
    en_cheap = TRAIN.filter(pc.and_(pc.equal(TRAIN["lang"], "en"), pc.less(TRAIN["score"], 1.0))).select(["id"])
    report = {}
    client, options = plain_client(url, credentials)
    days = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "day": pa.array([datetime.date(2024, 1, d) for d in (1, 2, 3)], pa.date32())})
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("days"), days.schema, options=options)
    writer.write_table(days)
    writer.close()
    with connect(url, credentials) as conn:
        cursor = conn.cursor()

        def run(sql, parameters=None):
            cursor.execute(sql, parameters)
            return cursor.fetch_arrow_table()

        report["statement_equal"] = run("SELECT id, lang FROM train WHERE score > 1").equals(score_over_1)
        report["limit"] = table_report(run("SELECT id FROM train WHERE lang IS NOT NULL LIMIT 2"))
        report["alias"] = table_report(run("SELECT lang AS language, id FROM train WHERE split_hash(id) >= 0 AND id IN (2, 5)"))
        report["computed"] = table_report(run("SELECT id, score * 2 AS twice, upper(lang), id % 2 = 1 AS odd FROM train WHERE id IN (2, 4, 5)"))
        report["star_equal"] = run("SELECT * FROM train WHERE lang LIKE 'e%'").equals(TRAIN.filter(pc.equal(TRAIN["lang"], "en")))
        report["parameters_equal"] = run("SELECT id FROM train WHERE lang = ? AND score < ?", ("en", 1.0)).equals(en_cheap)
        # The same statement again with other values: the prepared statement is bound anew.
        report["rebound"] = table_report(run("SELECT id FROM train WHERE lang = ? AND score < ?", ("fr", 2.0)))
        report["numbered"] = table_report(run("SELECT id FROM train WHERE id > $1 AND id < $2", (1, 4)))
        report["quote_in_parameter"] = table_report(run("SELECT id FROM train WHERE lang = ?", ("x' OR 'a' = 'a",)))
        report["unicode_parameter"] = table_report(run("SELECT id, lang FROM train WHERE lang = ?", ("日本",)))
        report["date_parameter"] = table_report(run("SELECT id FROM days WHERE day >= ?", (datetime.date(2024, 1, 2),)))
        report["empty_equal"] = run("SELECT id, lang FROM train WHERE id > 100").equals(score_over_1.schema.empty_table())
        prepared = conn.cursor()
        report["parameter_schema"] = [
            f"{f.name}: {f.type}" for f in prepared.adbc_prepare("SELECT id FROM train WHERE lang = ? AND ? < score OR id IN (?, 7) OR ? > 1")
        ]
        prepared.close()
        report["bad_column"] = error_of(lambda: run("SELECT nope FROM train"))
        report["aggregate"] = error_of(lambda: run("SELECT count(*) FROM train"))
        report["missing_dataset"] = error_of(lambda: run("SELECT id FROM missing"))
        report["parameter_count"] = error_of(lambda: run("SELECT id FROM train WHERE id = ? OR id = ?", (1,)))
    info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_command("SELECT id, lang FROM train WHERE score > 1")), options=options)
    # Each endpoint from its first location (a coordinator's are its shards), or from the head.
    readers = [flight.connect(e.locations[0].uri.decode()) if e.locations else client for e in info.endpoints]
    plain = pa.concat_tables([r.do_get(e.ticket, options=options).read_all() for r, e in zip(readers, info.endpoints)], promote_options="none") if info.endpoints else info.schema.empty_table()
    report["plain_equal"] = plain.equals(score_over_1)
    report["plain_total_records"] = info.total_records
    report["plain_bad_sql"] = error_of(lambda: client.get_flight_info(flight.FlightDescriptor.for_command(statement_command("SELECT nope FROM train")), options=options))
    package = Client(url, user=credentials[0], password=credentials[1]) if credentials else Client(url)
    report["package_equal"] = package.query("SELECT id, lang FROM train WHERE score > 1").equals(score_over_1)
    package.close()
    return report


def main():
    url, part = sys.argv[1], sys.argv[2]
    credentials = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
    report = catalog(url, credentials) if part == "catalog" else queries(url, credentials)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
