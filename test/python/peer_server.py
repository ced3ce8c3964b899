"""A pyarrow Flight server that follows flightcache's dataset contract, as a reference peer.

Datasets are named by FlightDescriptor path[0]: DoPut creates or appends (same schema required),
GetFlightInfo returns one endpoint whose ticket is the name, DoGet streams the stored batches,
ListFlights/GetSchema describe them and DoAction 'drop' removes one. With --user/--password,
Handshake trades HTTP basic credentials for a bearer token that every other call must carry.

    python peer_server.py [--host H] [--port P] [--user U --password P] [--load name=path.arrows ...]

Prints `peer ready grpc://HOST:PORT` once it accepts calls; exits cleanly on SIGTERM/SIGINT.
"""

import argparse
import base64
import hmac
import secrets
import signal
import sys
import threading

import pyarrow as pa
import pyarrow.flight as flight
from all_types import read_ipc_stream


class _Dataset:
    def __init__(self, schema):
        self.schema = schema
        self.batches = []

    def table(self):
        return pa.Table.from_batches(self.batches, schema=self.schema)

    def info(self, name):
        descriptor = flight.FlightDescriptor.for_path(name)
        endpoint = flight.FlightEndpoint(name.encode(), [])
        rows = sum(b.num_rows for b in self.batches)
        size = sum(b.nbytes for b in self.batches)
        return flight.FlightInfo(self.schema, descriptor, [endpoint], rows, size)


def _dataset_name(descriptor):
    if descriptor.descriptor_type != flight.DescriptorType.PATH or len(descriptor.path) != 1:
        raise pa.ArrowInvalid("descriptor must be a path with exactly one element (the dataset name)")
    name = descriptor.path[0].decode()
    if not name:
        raise pa.ArrowInvalid("dataset name must not be empty")
    return name


class _BearerMiddleware(flight.ServerMiddleware):
    def __init__(self, token):
        self.token = token

    def sending_headers(self):
        return {"authorization": f"Bearer {self.token}"}


class BasicAuthFactory(flight.ServerMiddlewareFactory):
    """Checks `authorization` headers: Basic credentials on Handshake, a bearer token elsewhere."""

    def __init__(self, user, password):
        self._expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._tokens = set()
        self._lock = threading.Lock()

    def start_call(self, info, headers):
        values = headers.get("authorization", [])
        value = values[0] if values else ""
        if info.method == flight.FlightMethod.HANDSHAKE:
            if not hmac.compare_digest(value.encode(), self._expected.encode()):
                raise flight.FlightUnauthenticatedError("invalid username or password")
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._tokens.add(token)
            return _BearerMiddleware(token)
        scheme, _, token = value.partition(" ")
        with self._lock:
            known = token in self._tokens
        if scheme != "Bearer" or not known:
            raise flight.FlightUnauthenticatedError("missing or invalid bearer token")
        return None


class _AcceptHandshake(flight.ServerAuthHandler):
    """Lets Handshake through; BasicAuthFactory does the checking from the headers."""

    def authenticate(self, outgoing, incoming):
        pass

    def is_valid(self, token):
        return ""


class PeerServer(flight.FlightServerBase):
    """In-memory named datasets behind the Flight RPCs flightcache serves."""

    def __init__(self, location, user=None, password=None):
        auth = {}
        if user is not None:
            auth = {"auth_handler": _AcceptHandshake(), "middleware": {"auth": BasicAuthFactory(user, password)}}
        super().__init__(location, **auth)
        self._datasets = {}
        self._lock = threading.Lock()

    def _get(self, name):
        with self._lock:
            dataset = self._datasets.get(name)
        if dataset is None:
            raise KeyError(f"no dataset named {name!r}")
        return dataset

    def store(self, name, schema, batches):
        """Create dataset `name` or append batches to it; the schema must match an existing one."""
        with self._lock:
            dataset = self._datasets.get(name)
            if dataset is None:
                dataset = self._datasets[name] = _Dataset(schema)
            elif not dataset.schema.equals(schema, check_metadata=True):
                raise pa.ArrowInvalid(f"schema of dataset {name!r} differs from the one being appended")
            dataset.batches.extend(batches)

    def do_put(self, context, descriptor, reader, writer):
        name = _dataset_name(descriptor)
        batches = []
        while True:
            try:
                batches.append(reader.read_chunk().data)
            except StopIteration:
                break
        self.store(name, reader.schema, batches)

    def do_get(self, context, ticket):
        dataset = self._get(ticket.ticket.decode(errors="replace"))
        return flight.RecordBatchStream(dataset.table())

    def get_flight_info(self, context, descriptor):
        name = _dataset_name(descriptor)
        return self._get(name).info(name)

    def get_schema(self, context, descriptor):
        return flight.SchemaResult(self._get(_dataset_name(descriptor)).schema)

    def list_flights(self, context, criteria):
        with self._lock:
            items = list(self._datasets.items())
        for name, dataset in items:
            yield dataset.info(name)

    def list_actions(self, context):
        return [("drop", "Remove the dataset named by the action body")]

    def do_action(self, context, action):
        if action.type != "drop":
            raise NotImplementedError(f"unknown action {action.type!r}")
        name = action.body.to_pybytes().decode()
        with self._lock:
            if self._datasets.pop(name, None) is None:
                raise KeyError(f"no dataset named {name!r}")
        yield flight.Result(name.encode())


def _parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--load", action="append", default=[], metavar="NAME=PATH", help="preload an IPC stream file")
    args = parser.parse_args(argv)
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    for item in args.load:
        if "=" not in item:
            parser.error(f"--load expects NAME=PATH, got {item!r}")
    return args


def main(argv):
    args = _parse_args(argv)
    server = PeerServer(f"grpc://{args.host}:{args.port}", args.user, args.password)
    for item in args.load:
        name, path = item.split("=", 1)
        table = read_ipc_stream(path)
        server.store(name, table.schema, table.to_batches())
    # serve() blocks in C++; shutting down from another thread lets it return on a signal.
    stop = lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"peer ready grpc://{args.host}:{server.port}", flush=True)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
