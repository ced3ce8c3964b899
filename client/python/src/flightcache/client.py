"""flightcache.Client: a thin layer over pyarrow.flight that speaks the flightcache protocol."""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar, Union

import pyarrow as pa
import pyarrow.flight as flight

from .locations import Connections
from .query import query_table
from .readahead import DEFAULT_READ_AHEAD, check_read_ahead
from .request import Request, share_request
from .retry import retry_unavailable
from .samehost import check_transport, location_transport
from .stream import ShareStream, share_info

DEFAULT_PUT_BATCH_ROWS = 65536

T = TypeVar("T")


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset as ListFlights describes it."""

    name: str
    rows: int
    bytes: int
    schema: pa.Schema


def _table_or_reader(data: Any) -> Union[pa.Table, pa.RecordBatchReader]:
    """Accepts a Table, RecordBatch, RecordBatchReader or pandas DataFrame."""
    if isinstance(data, (pa.Table, pa.RecordBatchReader)):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(f"put takes a pyarrow Table, RecordBatch, RecordBatchReader or pandas DataFrame, got {type(data).__name__}")


class Client:
    """A connection to a flightcache server (a single node or a cluster's coordinator).

    Credentials: `token` (sent as a bearer token everywhere), or `user` and `password` (a Basic ->
    Bearer handshake with the endpoint; data locations get the Basic header, since a token is
    only known to the node that issued it). Reads stream up to `read_ahead` endpoints of a
    share at once, delivered in share order. `transport`: "auto" reads a location whose node runs
    on this host from its shared memory (flightcache.samehost), "shm" insists on that, "grpc" never.
    TLS (`grpc+tls://` endpoints and the locations they
    send readers to) takes pyarrow's options: `tls_root_certs` (PEM roots to trust; default the
    system's) and, for mTLS, `cert_chain` and `private_key` (the client certificate, PEM).
    """

    def __init__(
        self,
        endpoint: str,
        token: Optional[str] = None,
        user: Optional[str] = None,
        password: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        retry_timeout: float = 10.0,
        read_ahead: int = DEFAULT_READ_AHEAD,
        transport: Optional[str] = None,
        tls_root_certs: Optional[bytes] = None,
        cert_chain: Optional[bytes] = None,
        private_key: Optional[bytes] = None,
    ):
        if token is not None and (user is not None or password is not None):
            raise ValueError("pass either token or user and password, not both")
        if (user is None) != (password is None):
            raise ValueError("user and password go together")
        headers: list[tuple[bytes, bytes]] = []
        if token is not None:
            headers = [(b"authorization", b"Bearer " + token.encode())]
        elif user is not None and password is not None:
            headers = [(b"authorization", b"Basic " + base64.b64encode(f"{user}:{password}".encode()))]
        self.endpoint = endpoint
        self.retry_timeout = retry_timeout
        self.read_ahead = check_read_ahead(read_ahead)
        if (cert_chain is None) != (private_key is None):
            raise ValueError("cert_chain and private_key go together")
        tls = {"tls_root_certs": tls_root_certs, "cert_chain": cert_chain, "private_key": private_key}
        connect_options = {key: value for key, value in tls.items() if value is not None}
        self.transport = check_transport(transport)
        self._connections = Connections(endpoint, headers, headers, timeout, self.transport, connect_options)
        if user is not None and password is not None:
            bearer = self._flight.authenticate_basic_token(user, password)
            self._connections = Connections(endpoint, [bearer], headers, timeout, self.transport, connect_options)

    @property
    def _flight(self) -> flight.FlightClient:
        return self._connections.flight_client(self.endpoint)

    @property
    def _options(self) -> flight.FlightCallOptions:
        return self._connections.options_for(self.endpoint)

    def close(self) -> None:
        """Closes every connection this client opened."""
        self._connections.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _action(self, kind: str, body: bytes = b"") -> list[Any]:
        results = self._flight.do_action(flight.Action(kind, body), self._options)
        return [json.loads(result.body.to_pybytes()) for result in results]

    def _planning(self, call: Callable[[], T]) -> T:
        """A call that changes nothing, retried on UNAVAILABLE for retry_timeout (flightcache.retry)."""
        return retry_unavailable(call, self.retry_timeout)

    def datasets(self) -> list[DatasetInfo]:
        """Every dataset the server holds (ListFlights)."""
        return self._planning(lambda: [
            DatasetInfo(info.descriptor.path[0].decode(), info.total_records, info.total_bytes, info.schema)
            for info in self._flight.list_flights(b"", self._options)
        ])

    def schema(self, name: str) -> pa.Schema:
        """The schema of dataset `name` (GetSchema)."""
        return self._planning(lambda: self._flight.get_schema(flight.FlightDescriptor.for_path(name), self._options).schema)

    def stats(self) -> dict[str, Any]:
        """The server's `stats` action: datasets, memory and, on a cluster, members."""
        return self._planning(lambda: self._action("stats")[0])

    def health(self) -> dict[str, Any]:
        """The server's `health` action."""
        return self._planning(lambda: self._action("health")[0])

    def drop(self, name: str) -> None:
        """Drops dataset `name`; pyarrow's KeyError subclass when it does not exist."""
        self._action("drop", name.encode())

    def put(self, name: str, data: Any, *, batch_rows: Optional[int] = DEFAULT_PUT_BATCH_ROWS) -> int:
        """Writes `data` as dataset `name` (or appends when the schema is equal); returns the rows stored.

        Record batches longer than `batch_rows` are split (zero-copy slices), since batches are
        the unit the server shards, shuffles and resumes by; None keeps the batches as they are.
        """
        source = _table_or_reader(data)
        batches = source.to_batches(max_chunksize=batch_rows) if isinstance(source, pa.Table) else source
        writer, results = self._flight.do_put(flight.FlightDescriptor.for_path(name), source.schema, self._options)
        stored: list[int] = []
        failures: list[BaseException] = []

        def drain() -> None:
            # Read PutResults while writing so a long put never stalls on a full receive window.
            try:
                while (result := results.read()) is not None:
                    stored.append(json.loads(result.to_pybytes())["rows"])
            except BaseException as error:
                failures.append(error)

        reader = threading.Thread(target=drain, name="flightcache-put-results", daemon=True)
        reader.start()
        try:
            for batch in batches:
                writer.write_batch(batch)
            writer.done_writing()
            reader.join()
        except BaseException:
            try:
                writer.close()
            except Exception:
                pass
            raise
        writer.close()
        if failures:
            raise failures[0]
        return sum(stored)

    def flight_info(self, dataset: Optional[str] = None, *, start_after: Optional[str] = None, **options: Any) -> flight.FlightInfo:
        """GetFlightInfo with the JSON command: a share of `dataset` (options: those of flightcache.request.share_request)."""
        return self.request_info(share_request(dataset, **options), start_after)

    def request_info(self, request: Request, start_after: Optional[str] = None) -> flight.FlightInfo:
        """GetFlightInfo for a request built with flightcache.request.share_request."""
        return self._planning(lambda: share_info(self._connections, request, start_after))

    def read_batches(self, dataset: Optional[str] = None, *, start_after: Optional[str] = None, **options: Any) -> Iterator[tuple[pa.RecordBatch, str]]:
        """Streams a share as (record batch, cursor) pairs, failing over between replicas.

        Takes flight_info's options; pass a batch's cursor as `start_after` to continue after it.
        """
        stream = ShareStream(
            self._connections, share_request(dataset, **options), start_after=start_after, retry_timeout=self.retry_timeout,
            read_ahead=self.read_ahead,
        )
        for piece in stream:
            yield piece.rows, piece.cursor

    def read(self, dataset: Optional[str] = None, **options: Any) -> pa.Table:
        """Reads a whole share (by default the whole dataset) into a Table; takes flight_info's options."""
        batches = [batch for batch, _ in self.read_batches(dataset, **options)]
        if batches:
            return pa.Table.from_batches(batches)
        return self.request_info(share_request(dataset, **options)).schema.empty_table()

    def query(self, sql: str) -> pa.Table:
        """Runs a SQL query (Flight SQL; the dialect of docs/flight-sql.md) and returns its result."""
        return query_table(self._connections, sql)

    def location_transports(self, info: flight.FlightInfo) -> dict[str, str]:
        """How this process reads each location of a FlightInfo: "shm" or "grpc"."""
        transports: dict[str, str] = {}
        for endpoint in info.endpoints:
            for location in endpoint.locations or [flight.Location(self.endpoint)]:
                uri = self._connections.resolve(location.uri.decode())
                transports.setdefault(uri, location_transport(uri, self._connections)[0])
        return transports

    @property
    def connections(self) -> Connections:
        """The per-process Flight clients this client reads data locations with."""
        return self._connections
