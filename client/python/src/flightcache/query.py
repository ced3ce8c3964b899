"""SQL queries over Flight SQL: a CommandStatementQuery (google.protobuf.Any, hand-encoded: pyarrow
has no Flight SQL messages) sent with GetFlightInfo, whose endpoints are read in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.flight as flight

if TYPE_CHECKING:
    from .locations import Connections

FLIGHT_SQL_TYPE_PREFIX = "type.googleapis.com/arrow.flight.protocol.sql."


def varint(n: int) -> bytes:
    """A protobuf varint."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def bytes_field(number: int, value: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(value)) + value


def flight_sql_any(name: str, value: bytes = b"") -> bytes:
    """A google.protobuf.Any of the Flight SQL message `name` whose fields are `value`."""
    return bytes_field(1, (FLIGHT_SQL_TYPE_PREFIX + name).encode()) + bytes_field(2, value)


def statement_command(sql: str) -> bytes:
    """The Any(CommandStatementQuery{query: sql}) bytes of a GetFlightInfo command descriptor."""
    return flight_sql_any("CommandStatementQuery", bytes_field(1, sql.encode()))


def query_table(connections: Connections, sql: str) -> pa.Table:
    """Runs `sql` at the connections' endpoint and reads every endpoint of its result, each from the first location that answers."""
    head = connections.endpoint
    info = connections.flight_client(head).get_flight_info(flight.FlightDescriptor.for_command(statement_command(sql)), connections.options_for(head))
    batches: list[pa.RecordBatch] = []
    for endpoint in info.endpoints:
        uris = [connections.resolve(location.uri.decode()) for location in endpoint.locations] or [head]
        for i, uri in enumerate(uris):
            try:
                batches.extend(connections.flight_client(uri).do_get(endpoint.ticket, connections.options_for(uri)).read_all().to_batches())
                break
            except flight.FlightUnavailableError:
                if i == len(uris) - 1:
                    raise
    return pa.Table.from_batches(batches, schema=info.schema)
