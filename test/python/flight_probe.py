"""One Flight operation per run against a server, reported as ONE JSON line on stdout.

    python flight_probe.py --url grpc://127.0.0.1:PORT [--user U --password P]
        [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] OPERATION ...

Operations: put, get, roundtrip, list, info, schema, action, handshake, doget, interop
(`--help` on each). A server-side failure prints {"error": {"type", "message", "grpc_status"}}
and exits 0, since it is a result; a failure of the probe itself prints the same and exits 1.
"""

import argparse
import json
import os
import sys

import pyarrow as pa
import pyarrow.flight as flight
from all_types import VARIANTS, build, read_ipc_stream
from flight_client import Session, error_report, is_flight_error, text
from interop_scenario import Scenario
from table_compare import compare_tables, schema_text, table_digest


def _source_table(args):
    return read_ipc_stream(args.file) if args.file else build(args.variant)


def _expected_table(args):
    if args.expect_file:
        return read_ipc_stream(args.expect_file)
    return build(args.expect) if args.expect else None


def _table_summary(table, batch_rows):
    return {"rows": table.num_rows, "batches": batch_rows, "bytes": table.nbytes, "digest": table_digest(table)}


def op_put(session, args):
    table = _source_table(args)
    session.put(args.name, table)
    return {"name": args.name, **_table_summary(table, [b.num_rows for b in table.to_batches()])}


def op_get(session, args):
    table, batch_rows, endpoints = session.read(args.name)
    result = {"name": args.name, "endpoints": endpoints, **_table_summary(table, batch_rows)}
    expected = _expected_table(args)
    if expected is not None:
        result["equal"], result["detail"] = compare_tables(expected, table)
    return result


def op_roundtrip(session, args):
    name = args.name or f"roundtrip-{args.variant}-{os.getpid()}"
    expected = build(args.variant)
    session.put(name, expected)
    actual, batch_rows, endpoints = session.read(name)
    equal, detail = compare_tables(expected, actual)
    return {
        "variant": args.variant,
        "name": name,
        "equal": equal,
        "detail": detail,
        "rows": actual.num_rows,
        "sent_batches": [b.num_rows for b in expected.to_batches()],
        "received_batches": batch_rows,
        "endpoints": endpoints,
    }


def _info_json(info):
    return {
        "path": [text(p) for p in info.descriptor.path],
        "total_records": info.total_records,
        "total_bytes": info.total_bytes,
        "endpoints": [
            {"ticket": text(e.ticket.ticket), "locations": [text(loc.uri) for loc in e.locations]} for e in info.endpoints
        ],
    }


def op_list(session, args):
    return {"flights": [_info_json(info) for info in session.list()]}


def op_info(session, args):
    info = session.info(args.name)
    return {**_info_json(info), "schema": schema_text(info.schema)}


def op_schema(session, args):
    schema = session.schema(args.name)
    metadata = {text(k): text(v) for k, v in (schema.metadata or {}).items()}
    return {"schema": schema_text(schema), "fields": schema.names, "metadata": metadata}


def op_action(session, args):
    return {"type": args.type, "results": [text(body) for body in session.action(args.type, args.body.encode())]}


def op_handshake(session, args):
    if args.user is None:
        raise ValueError("handshake needs --user and --password")
    name, value = session.client.authenticate_basic_token(args.user, args.password, session.options())
    return {"header": text(name), "value": text(value)}


def op_doget(session, args):
    ticket = bytes.fromhex(args.ticket) if args.hex else args.ticket.encode()
    schema, batches = session.read_ticket(session.client, flight.Ticket(ticket))
    return _table_summary(pa.Table.from_batches(batches, schema=schema), [b.num_rows for b in batches])


def op_interop(session, args):
    return Scenario(session, args.user, args.password, args.prefix, args.large).run()


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="grpc://HOST:PORT")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    parser.add_argument("--tls-ca", help="PEM roots to trust (grpc+tls://)")
    parser.add_argument("--tls-cert", help="PEM client certificate (mTLS)")
    parser.add_argument("--tls-key", help="PEM key of --tls-cert")
    ops = parser.add_subparsers(dest="op", required=True)

    put = ops.add_parser("put", help="DoPut a table to dataset NAME")
    put.add_argument("name")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--variant", choices=VARIANTS)
    source.add_argument("--file", help="an Arrow IPC stream file")

    get = ops.add_parser("get", help="GetFlightInfo + DoGet dataset NAME: rows, batches, digest")
    get.add_argument("name")
    expect = get.add_mutually_exclusive_group()
    expect.add_argument("--expect", choices=VARIANTS, help="compare with this all_types variant")
    expect.add_argument("--expect-file", help="compare with this IPC stream file")

    roundtrip = ops.add_parser("roundtrip", help="put a variant, read it back, compare")
    roundtrip.add_argument("variant", choices=VARIANTS)
    roundtrip.add_argument("--name", help="dataset name (default roundtrip-VARIANT-PID)")

    ops.add_parser("list", help="ListFlights")
    for op in ("info", "schema"):
        ops.add_parser(op, help=f"Get{'FlightInfo' if op == 'info' else 'Schema'} of dataset NAME").add_argument("name")

    action = ops.add_parser("action", help="DoAction TYPE with a UTF-8 BODY")
    action.add_argument("type")
    action.add_argument("body", nargs="?", default="")

    ops.add_parser("handshake", help="basic -> bearer handshake with --user/--password")

    doget = ops.add_parser("doget", help="DoGet a raw ticket")
    doget.add_argument("ticket")
    doget.add_argument("--hex", action="store_true", help="the ticket is hex-encoded bytes")

    interop = ops.add_parser("interop", help="run the conformance scenario, print a report")
    interop.add_argument("--prefix", help="dataset name prefix (default interop-PID)")
    interop.add_argument("--large", action="store_true", help="also round trip the >64 MiB batch")
    return parser


OPERATIONS = {
    "put": op_put,
    "get": op_get,
    "roundtrip": op_roundtrip,
    "list": op_list,
    "info": op_info,
    "schema": op_schema,
    "action": op_action,
    "handshake": op_handshake,
    "doget": op_doget,
    "interop": op_interop,
}


def _tls_options(args):
    """pyarrow's TLS connect options from the --tls-* files."""
    files = {"tls_root_certs": args.tls_ca, "cert_chain": args.tls_cert, "private_key": args.tls_key}
    options = {}
    for option, path in files.items():
        if path is not None:
            with open(path, "rb") as pem:
                options[option] = pem.read()
    return options


def main(argv):
    args = _parser().parse_args(argv)
    if (args.user is None) != (args.password is None):
        print(json.dumps({"error": {"type": "UsageError", "message": "--user and --password go together", "grpc_status": None}}))
        return 1
    try:
        # handshake performs the handshake itself; every other operation runs with a bearer session.
        session = Session(args.url, args.user, args.password, args.timeout, authenticate=args.op != "handshake", tls=_tls_options(args))
        result = OPERATIONS[args.op](session, args)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the one JSON line
        print(json.dumps({"error": error_report(exc)}))
        return 0 if is_flight_error(exc) else 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
