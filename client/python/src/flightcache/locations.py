"""Reading one endpoint's ticket at one location, with a pluggable strategy per URI scheme.

Every location a server lists is read through a LocationReader chosen by the location's scheme.
gRPC (`grpc`, `grpc+tcp`, `grpc+tls`, `grpc+unix`) is built in; a same-host shared-memory reader
is one more strategy registered with `register_location_reader`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Callable, Optional, Protocol
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.flight as flight

from . import _process

REUSE_CONNECTION = "arrow-flight-reuse-connection"


class BatchStream(Protocol):
    """An open DoGet stream: record batches with their resume cursors, cancellable from any thread."""

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, Optional[str]]]: ...

    def cancel(self) -> None: ...


class LocationReader(Protocol):
    """Opens streams of tickets at one location."""

    def stream(self, ticket: flight.Ticket) -> BatchStream: ...


LocationFactory = Callable[[str, "Connections"], LocationReader]

_STRATEGIES: dict[str, LocationFactory] = {}


def register_location_reader(scheme: str, factory: LocationFactory) -> None:
    """Makes `factory(uri, connections)` the reader of locations whose URI scheme is `scheme`."""
    _STRATEGIES[scheme.lower()] = factory


class FlightBatchStream:
    """A pyarrow DoGet reader as a BatchStream; app_metadata is the batch's cursor."""

    def __init__(self, reader: flight.FlightStreamReader):
        self._reader = reader

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, Optional[str]]]:
        while True:
            try:
                chunk = self._reader.read_chunk()
            except StopIteration:
                return
            if chunk.data is None:
                continue
            metadata = chunk.app_metadata
            yield chunk.data, metadata.to_pybytes().decode("ascii") if metadata else None

    def cancel(self) -> None:
        self._reader.cancel()


class GrpcLocationReader:
    """Reads a location over Arrow Flight (gRPC)."""

    def __init__(self, uri: str, connections: Connections):
        self._uri = uri
        self._connections = connections

    def stream(self, ticket: flight.Ticket) -> BatchStream:
        client = self._connections.flight_client(self._uri)
        return FlightBatchStream(client.do_get(ticket, self._connections.options_for(self._uri)))


for _scheme in ("grpc", "grpc+tcp", "grpc+tls", "grpc+unix"):
    register_location_reader(_scheme, GrpcLocationReader)


class Connections:
    """The Flight clients of one process: the server's endpoint plus one per data location.

    Clients are opened on first use and belong to the process that opened them; a copy of this
    object in another process (a DataLoader worker) opens its own.
    """

    def __init__(
        self,
        endpoint: str,
        endpoint_headers: list[tuple[bytes, bytes]],
        location_headers: list[tuple[bytes, bytes]],
        timeout: Optional[float] = None,
        transport: str = "auto",
        connect_options: Optional[dict[str, Any]] = None,
    ):
        self.endpoint = endpoint
        self.transport = transport
        """"auto", "shm" or "grpc": how grpc locations on this host are read (flightcache.samehost)."""
        # pyarrow.flight.FlightClient options of every connection (TLS roots and client certificate).
        self._connect_options = connect_options or {}
        self._endpoint_headers = endpoint_headers
        self._location_headers = location_headers
        self._endpoint_options = flight.FlightCallOptions(headers=endpoint_headers, timeout=timeout)
        self._location_options = flight.FlightCallOptions(headers=location_headers, timeout=timeout)
        self._clients: dict[str, flight.FlightClient] = {}
        self._lock = threading.Lock()
        self.resources: dict[str, Any] = {}
        """State of location readers (e.g. same-host connections), closed with these connections."""

    def resolve(self, uri: str) -> str:
        """The URI to read a listed location at: the endpoint itself for Flight's reuse-connection form."""
        return self.endpoint if urlsplit(uri).scheme.lower() == REUSE_CONNECTION else uri

    def options_for(self, uri: str) -> flight.FlightCallOptions:
        """Call options (credentials, timeout) for calls to `uri`."""
        return self._endpoint_options if uri == self.endpoint else self._location_options

    def authorization_for(self, uri: str) -> Optional[str]:
        """The authorization header value calls to `uri` carry (None without credentials)."""
        headers = self._endpoint_headers if uri == self.endpoint else self._location_headers
        return next((value.decode() for key, value in headers if key.lower() == b"authorization"), None)

    def flight_client(self, uri: str) -> flight.FlightClient:
        """This process's client for `uri`, opened on first use."""
        with self._lock:
            client = self._clients.get(uri)
            if client is None:
                client = _process.connect(uri, **self._connect_options)
                self._clients[uri] = client
            return client

    def reader(self, uri: str) -> LocationReader:
        """The strategy that reads location `uri`."""
        resolved = self.resolve(uri)
        scheme = urlsplit(resolved).scheme.lower()
        factory = _STRATEGIES.get(scheme)
        if factory is None:
            raise ValueError(f"no location reader for scheme {scheme!r} of location {uri!r}; known: {sorted(_STRATEGIES)}")
        return factory(resolved, self)

    def close(self) -> None:
        """Closes every client this process opened."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            resources, self.resources = list(self.resources.values()), {}
        for client in clients:
            client.close()
        for resource in resources:
            resource.close()
