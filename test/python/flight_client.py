"""pyarrow Flight client helpers shared by flight_probe.py and interop_scenario.py."""

import re

import pyarrow as pa
import pyarrow.flight as flight

_REUSE_CONNECTION = b"arrow-flight-reuse-connection"
_GRPC_STATUS = re.compile(r"grpc_status:(\d+)")
_MESSAGE_LIMIT = 2000


class Session:
    """A FlightClient plus the call options (bearer header, timeout) every call must carry."""

    def __init__(self, url, user=None, password=None, timeout=60.0, authenticate=True, tls=None):
        self.url = url
        self.timeout = timeout
        # pyarrow's TLS options (tls_root_certs, cert_chain, private_key) for this and every location.
        self.tls = tls or {}
        self.client = flight.connect(url, **self.tls)
        self._clients = {}
        self.headers = []
        if user is not None and authenticate:
            self.headers = [self.client.authenticate_basic_token(user, password, self.options())]

    def options(self):
        """Call options with the current headers and the session timeout."""
        return flight.FlightCallOptions(timeout=self.timeout, headers=self.headers)

    def client_for(self, endpoint):
        """The client that serves an endpoint: ours for an empty or reuse-connection location list."""
        uris = [loc.uri for loc in endpoint.locations if not loc.uri.startswith(_REUSE_CONNECTION)]
        if not uris:
            return self.client
        uri = uris[0].decode()
        if uri not in self._clients:
            self._clients[uri] = flight.connect(uri, **self.tls)
        return self._clients[uri]

    def put(self, name, table):
        """DoPut every batch of `table` (empty ones included) to dataset `name`."""
        self.put_descriptor(flight.FlightDescriptor.for_path(name), table)

    def put_descriptor(self, descriptor, table):
        """DoPut every batch of `table` to `descriptor`; server errors surface when the stream closes."""
        writer, _ = self.client.do_put(descriptor, table.schema, self.options())
        with writer:
            for batch in table.to_batches():
                writer.write_batch(batch)

    def info(self, name):
        """GetFlightInfo for dataset `name`."""
        return self.client.get_flight_info(flight.FlightDescriptor.for_path(name), self.options())

    def read_ticket(self, client, ticket):
        """DoGet one ticket; returns the batches exactly as they arrived."""
        reader = client.do_get(ticket, self.options())
        batches = []
        while True:
            try:
                batches.append(reader.read_chunk().data)
            except StopIteration:
                return reader.schema, batches

    def read(self, name):
        """GetFlightInfo then DoGet on every endpoint: (table, batch sizes, endpoint count)."""
        info = self.info(name)
        schema, batches = info.schema, []
        for endpoint in info.endpoints:
            schema, endpoint_batches = self.read_ticket(self.client_for(endpoint), endpoint.ticket)
            batches.extend(endpoint_batches)
        table = pa.Table.from_batches(batches, schema=schema)
        return table, [b.num_rows for b in batches], len(info.endpoints)

    def list(self):
        """ListFlights with empty criteria."""
        return list(self.client.list_flights(b"", self.options()))

    def schema(self, name):
        """GetSchema for dataset `name`."""
        return self.client.get_schema(flight.FlightDescriptor.for_path(name), self.options()).schema

    def action(self, action_type, body=b""):
        """DoAction; returns the result bodies."""
        results = self.client.do_action(flight.Action(action_type, body), self.options())
        return [r.body.to_pybytes() for r in results]


def error_report(exc):
    """A JSON-able description of an exception: class name, trimmed message, gRPC status if known.

    The gRPC status appears only in the client's debug context, which pyarrow omits when the
    server sent Arrow's own x-arrow-status trailers (as pyarrow servers do).
    """
    message = str(exc)
    match = _GRPC_STATUS.search(message)
    # A pyarrow server appends the Python traceback of its handler; the first part says it all.
    message = message.split(". Detail: Python exception")[0]
    return {
        "type": type(exc).__name__,
        "message": message[:_MESSAGE_LIMIT],
        "grpc_status": int(match.group(1)) if match else None,
    }


def is_flight_error(exc):
    """True for errors a server can cause (Arrow/Flight statuses), false for probe bugs."""
    return isinstance(exc, (pa.ArrowException, flight.FlightError))


def text(data):
    """Bytes as UTF-8 text, or as hex prefixed with 'hex:' when they are not valid UTF-8."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return "hex:" + data.hex()
