"""The Flight RPCs the interop scenario does not cover, driven by pyarrow against one server.

    python rpc_extras.py URL

Prints one JSON line: the action types, the stats and health results, and the error class and
message pyarrow reports for DoExchange, an unknown action and a command descriptor that is not JSON.
"""

import json
import sys

import pyarrow as pa
import pyarrow.flight as flight


def error_of(fn):
    """Call fn and return {type, message} of the error it raises (None if it succeeds)."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the server's error is the result
        return {"type": type(exc).__name__, "message": str(exc).split("\n")[0]}
    return None


def main(url):
    client = flight.connect(url)
    table = pa.table({"x": pa.array([1, 2, 3], pa.int64())})
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("extras"), table.schema)
    writer.write_table(table)
    writer.close()

    def exchange():
        writer, reader = client.do_exchange(flight.FlightDescriptor.for_path("extras"))
        writer.done_writing()
        reader.read_all()

    result = {
        "actions": [a.type for a in client.list_actions()],
        "stats": json.loads(next(iter(client.do_action(flight.Action("stats", b"")))).body.to_pybytes()),
        "health": json.loads(next(iter(client.do_action(flight.Action("health", b"")))).body.to_pybytes()),
        "exchange": error_of(exchange),
        "unknown_action": error_of(lambda: list(client.do_action(flight.Action("explode", b"")))),
        "command": error_of(lambda: client.get_flight_info(flight.FlightDescriptor.for_command(b"SELECT 1"))),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
