"""Reading one share (one GetFlightInfo request) as a sequence of row pieces, with failover.

A share is read endpoint by endpoint, each from the first location that has not failed. When a
location fails (connection refused, the stream breaks, a replica that no longer has the data),
the share is asked for again with `start_after` set to the last cursor received, so no row is
delivered twice or skipped; the failed locations go last. Failures are retried until
`retry_timeout` seconds pass without progress, which covers the time a coordinator needs to notice
a dead shard and stop listing it.

Up to `read_ahead` endpoints stream at once (flightcache.readahead), but they are delivered
strictly in share order, so the last cursor received is always the last one delivered: a failure
in an endpoint read ahead surfaces only when the reader reaches it, and everything read after it
is discarded and read again from the new plan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import pyarrow as pa
import pyarrow.flight as flight

from .locations import BatchStream, Connections
from .readahead import DEFAULT_READ_AHEAD, ReadAhead, Source, check_read_ahead
from .request import Request, descriptor

# Errors after which another location, or the same one a little later, may succeed.
RETRYABLE = (flight.FlightUnavailableError, flight.FlightTimedOutError, flight.FlightInternalError, ConnectionError)
# NOT_FOUND from a location (not from the coordinator): a replica that lost its data, e.g. a restarted shard.
LOCATION_GONE = (pa.ArrowKeyError,)


def share_info(connections: Connections, request: Request, start_after: Optional[str] = None) -> flight.FlightInfo:
    """GetFlightInfo of a request (continuing after `start_after` when given) at the connections' endpoint."""
    client = connections.flight_client(connections.endpoint)
    if connections.transport == "shm":
        # Tickets for same-host readers: shuffles of datasets whose dictionaries change are then allowed.
        request = {**request, "transport": "same-host"}
    return client.get_flight_info(descriptor(request, start_after), connections.options_for(connections.endpoint))


class CursorMissingError(RuntimeError):
    """The server sent a record batch without a resume cursor in its app_metadata."""


@dataclass(frozen=True)
class Piece:
    """Rows of one server batch, with where that batch sits in the share."""

    rows: pa.RecordBatch
    cursor: str
    """The server batch's cursor."""
    before: Optional[str]
    """The cursor of the batch before it (None: it is the first batch after the request's start_after)."""
    base: int
    """Rows between the request's start_after and the start of this server batch."""
    offset: int
    """Index of rows[0] within the server batch."""
    batch_rows: int
    """Rows in the server batch."""


class ShareStream:
    """Iterates a share's rows from `skip` to `stop` (counted after `start_after`) as Pieces, failing over.

    `read_ahead` endpoints stream concurrently on daemon threads (1: one at a time, in the
    iterating thread); the threads start when iteration starts and end when it ends or is closed.
    """

    def __init__(
        self,
        connections: Connections,
        request: Request,
        *,
        start_after: Optional[str] = None,
        skip: int = 0,
        stop: Optional[int] = None,
        retry_timeout: float = 10.0,
        read_ahead: int = DEFAULT_READ_AHEAD,
        sleep: Callable[[float], None] = time.sleep,
        info: Optional[flight.FlightInfo] = None,
    ):
        """`info`: the FlightInfo of `request` after `start_after` when the caller already asked for it (read first)."""
        self._connections = connections
        self._request = request
        self._info = info
        self._start_after = start_after
        self._skip = skip
        self._stop = stop
        self._retry_timeout = retry_timeout
        self._read_ahead = check_read_ahead(read_ahead)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._window: Optional[ReadAhead] = None
        self._cancelled = False
        self.failovers = 0
        """How many times a failed read was retried."""

    def cancel(self) -> None:
        """Stops the stream from any thread; the iterator then ends with FlightCancelledError or returns."""
        with self._lock:
            self._cancelled = True
            window = self._window
        if window is not None:
            window.close()

    def _sources(self, endpoints: list[flight.FlightEndpoint], failed: dict[str, float]) -> Iterator[Source]:
        for endpoint in endpoints:
            listed = [loc.uri.decode() for loc in endpoint.locations] or [self._connections.endpoint]
            # Live locations in placement order first, then failed ones, longest-failed first.
            locations = sorted(listed, key=lambda uri: failed.get(uri, float("-inf")))
            try:
                reader = self._connections.reader(locations[0])
            except Exception as error:
                # Raised when the endpoint is reached (as opening it would be), so it fails over from there.
                yield locations, partial(_raise, error), False
                continue
            yield locations, partial(reader.stream, endpoint.ticket), bool(getattr(reader, "pipelined", False))

    def _window_for(self, info: flight.FlightInfo, failed: dict[str, float]) -> ReadAhead:
        window = ReadAhead(self._sources(info.endpoints, failed), self._read_ahead)
        with self._lock:
            self._window = window
            cancelled = self._cancelled
        if cancelled:
            window.close()
        return window

    def __iter__(self) -> Generator[Piece, None, None]:
        last = self._start_after
        base = 0
        failed: dict[str, float] = {}
        deadline: Optional[float] = None
        backoff = 0.05
        while self._stop is None or base < self._stop:
            locations: list[str] = []
            location: Optional[str] = None
            try:
                info, self._info = self._info, None
                window = self._window_for(info if info is not None else share_info(self._connections, self._request, last), failed)
                try:
                    # Endpoints are drained in share order however far ahead they are read, so `last`
                    # is always the last cursor delivered and a failure re-plans from exactly there.
                    for fetch in window:
                        locations, location = fetch.locations, fetch.location
                        for batch, cursor in fetch:
                            if cursor is None:
                                raise CursorMissingError(f"{location} sent a record batch without a cursor in app_metadata")
                            deadline, backoff = None, 0.05
                            failed.pop(location, None)
                            rows = batch.num_rows
                            start = min(max(self._skip - base, 0), rows)
                            end = rows if self._stop is None else min(max(self._stop - base, 0), rows)
                            piece = Piece(batch.slice(start, end - start), cursor, last, base, start, rows) if end > start else None
                            last, base = cursor, base + rows
                            if piece is not None:
                                yield piece
                            if self._stop is not None and base >= self._stop:
                                return
                        location = None
                finally:
                    # Abandons the endpoints read ahead of a failure (or of an early stop); their threads end.
                    window.close()
                return
            except Exception as error:
                if self._cancelled or not (isinstance(error, RETRYABLE) or (location is not None and isinstance(error, LOCATION_GONE))):
                    raise
                now = time.monotonic()
                if location is not None:
                    failed[location] = now
                deadline = deadline if deadline is not None else now + self._retry_timeout
                if now >= deadline:
                    raise
                self.failovers += 1
                # Another listed location may be live right away; otherwise wait for the coordinator.
                if not locations or all(uri in failed for uri in locations):
                    self._sleep(backoff)
                    backoff = min(backoff * 2, 1.0)


def _raise(error: Exception) -> BatchStream:
    raise error
