"""Same-host reads (docs/same-host.md): a grpc location whose node runs on this host is read from the
node's shared memory instead of over gRPC.

Discovery, once per location per process: DoAction `same-host` at the location (with the client's
credentials), the node's boot id against ours, then a Unix-socket connection whose `hello` (with the
same credentials) must name the same node instance. Any step failing means gRPC for that location
(or, with transport="shm", an error naming the step). A same-host stream yields exactly DoGet's
(batch, cursor) pairs: stored messages are decoded in place from read-only mappings (one per
segment per process, alive as long as any batch or tensor built on it), and shuffled or re-chunked
batches are gathered with Arrow's take (C++, outside the GIL). When a stream breaks, the location is
read over gRPC from then on in this process, and the share's failover continues after the last
cursor delivered, so no row is read twice or skipped.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import mmap
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight

from . import regions
from .host import host_id
from .locations import BatchStream, Connections, GrpcLocationReader, LocationReader, register_location_reader
from .shm_wire import FrameError, FrameSocket

TRANSPORTS = ("auto", "shm", "grpc")
PROTOCOL_VERSION = 1
SCHEMES = ("grpc", "grpc+tcp", "grpc+tls")

# gRPC status codes of error frames -> the exception pyarrow raises for the same status of DoGet.
_ERRORS: dict[int, type[Exception]] = {
    1: flight.FlightCancelledError,
    3: pa.ArrowInvalid,
    4: flight.FlightTimedOutError,
    5: pa.ArrowKeyError,
    7: flight.FlightUnauthorizedError,
    12: pa.ArrowNotImplementedError,
    13: flight.FlightInternalError,
    14: flight.FlightUnavailableError,
    16: flight.FlightUnauthenticatedError,
}


class SameHostUnavailableError(RuntimeError):
    """transport="shm" was asked for, but a location cannot be read from shared memory (the reason says why)."""


def check_transport(transport: Optional[str]) -> str:
    """A transport name: "auto" (shared memory when the node is on this host), "shm" or "grpc";
    None takes the FLIGHTCACHE_TRANSPORT environment variable, else "auto"."""
    chosen = transport if transport is not None else os.environ.get("FLIGHTCACHE_TRANSPORT", "auto")
    if chosen not in TRANSPORTS:
        where = "transport" if transport is not None else "FLIGHTCACHE_TRANSPORT"
        raise ValueError(f"{where} must be one of {TRANSPORTS}, got {chosen!r}")
    return chosen


def _error(message: dict[str, Any]) -> Exception:
    kind = _ERRORS.get(int(message.get("status", 2)), flight.FlightServerError)
    return kind(f"{message.get('code', 'UNKNOWN')}: {message.get('message', '')}")


# One mapping per (node instance, segment id) per process (flightcache.regions: private copy-on-write,
# so an in-place op on a tensor never reaches the node), alive while anything references it.
_SEGMENTS_LOCK = threading.Lock()


def _map_segment(instance: str, segment: int, size: int, fd: int) -> mmap.mmap:
    """The process's mapping of a segment; owns `fd` (kept with the mapping, or closed when one exists)."""
    key = ("segment", instance, segment)
    with _SEGMENTS_LOCK:
        mapping = regions.mapping_of(key)
        if mapping is not None and len(mapping) == size:
            os.close(fd)
            return mapping
        try:
            mapping = regions.private_map(fd, size)
        except BaseException:
            os.close(fd)
            raise
        return regions.register(key, mapping, fd)


@dataclass(frozen=True)
class SameHostNode:
    """A node reachable through its Unix socket from this process."""

    location: str
    socket_path: str
    instance: str
    authorization: Optional[str]


class _Connection:
    """One authenticated socket to a node, reading one stream at a time."""

    def __init__(self, node: SameHostNode):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(node.socket_path)
        except OSError:
            sock.close()
            raise
        self.frames = FrameSocket(sock)
        self.node = node
        self.segments: dict[int, mmap.mmap] = {}
        hello: dict[str, Any] = {"type": "hello", "version": PROTOCOL_VERSION}
        if node.authorization is not None:
            hello["authorization"] = node.authorization
        try:
            self.frames.send(hello)
            answer, _ = self.frames.receive()
        except BaseException:
            self.frames.close()
            raise
        if answer["type"] == "error":
            self.frames.close()
            raise _error(answer)
        if answer["type"] != "hello" or answer.get("instance") != node.instance:
            self.frames.close()
            raise FrameError(f"{node.socket_path} is served by another process (instance {answer.get('instance')!r}, expected {node.instance!r})")

    def take_segments(self, message: dict[str, Any]) -> None:
        entries = message.get("segments") or []
        fds = self.frames.take_fds(len(entries))
        for entry, fd in zip(entries, fds):
            self.segments[int(entry["id"])] = _map_segment(self.node.instance, int(entry["id"]), int(entry["bytes"]), fd)

    def close(self) -> None:
        self.segments = {}
        self.frames.close()


class _Pool:
    """One client's idle connections per node in this process. A connection keeps the segments it
    was given across streams (no `release`), so their mappings, and the pages already faulted in,
    last as long as the client instead of one stream: the next epoch maps nothing again."""

    def __init__(self) -> None:
        self._idle: dict[str, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, node: SameHostNode) -> _Connection:
        with self._lock:
            idle = self._idle.get(node.socket_path)
            if idle:
                connection = idle.pop()
                if connection.node.instance == node.instance:
                    return connection
                connection.close()
        return _Connection(node)

    def give(self, connection: _Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.setdefault(connection.node.socket_path, []).append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Closes the idle connections: the node stops counting their segments as held by this reader."""
        with self._lock:
            self._closed = True
            idle, self._idle = [c for cs in self._idle.values() for c in cs], {}
        for connection in idle:
            connection.close()


@functools.lru_cache(maxsize=64)
def _schemas(payload: bytes, length: int) -> tuple[pa.Schema, pa.Schema]:
    """The stored and output schemas of a schema frame, parsed once: every endpoint of a share sends the same frame."""
    return pa.ipc.read_schema(pa.py_buffer(payload[:length])), pa.ipc.read_schema(pa.py_buffer(payload[length:]))


class _Decoder:
    """Builds DoGet's record batches from one stream's schema, dictionary and batch frames."""

    def __init__(self, message: dict[str, Any], payload: bytes):
        length = int(message["sourceLength"])
        self._stored_bytes = payload[:length]
        self.stored, self.output = _schemas(payload, length)
        self.columns: Optional[list[int]] = message.get("columns")
        self._dictionaries: list[pa.Buffer] = []
        self._has_dictionaries = any(pa.types.is_dictionary(field.type) for field in self.stored)

    def dictionary(self, message: pa.Buffer) -> None:
        self._dictionaries.append(message)

    def stored_batch(self, message: pa.Buffer, dictionaries: Optional[list[pa.Buffer]] = None) -> pa.RecordBatch:
        """A stored batch, decoded with `dictionaries` (a batch frame's own, for a source) or the stream's."""
        if not self._has_dictionaries:
            return pa.ipc.read_record_batch(pa.ipc.read_message(message), self.stored)
        # pyarrow has no public dictionary memo to fill: decode schema + dictionaries + batch as a stream (copies).
        used = self._dictionaries if dictionaries is None else dictionaries
        stream = b"".join([self._stored_bytes, *(d.to_pybytes() for d in used), message.to_pybytes()])
        return pa.ipc.open_stream(pa.py_buffer(stream)).read_next_batch()

    def finish(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.columns is not None:
            batch = batch.select(self.columns)
        if not batch.schema.equals(self.output, check_metadata=True):
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=self.output)
        return batch


def _gather(sources: list[pa.RecordBatch], payload: bytes, count: int) -> pa.RecordBatch:
    """Rows picked from the sources (payload: `count` u32 source indices, then `count` u32 row indices),
    with Arrow's take (C++, outside the GIL)."""
    if len(payload) != 8 * count:
        raise FrameError(f"a batch frame of {count} picks carries {len(payload)} payload bytes, not {8 * count}")
    # Little-endian u32 is Arrow's uint32 layout on every host pyarrow runs on.
    picks = pa.Array.from_buffers(pa.uint32(), 2 * count, [None, pa.py_buffer(payload)])
    which, rows = picks.slice(0, count), picks.slice(count, count)
    if len(sources) == 1:
        return sources[0].take(rows)
    starts = pa.array([0] + list(itertools.accumulate(source.num_rows for source in sources[:-1])), pa.int64())
    positions = pc.add(pc.take(starts, which), rows.cast(pa.int64()))
    table = pa.Table.from_batches(sources).take(positions)
    return table.combine_chunks().to_batches()[0] if count else sources[0].slice(0, 0)


class SameHostStream:
    """One `get` over a node's socket as a BatchStream; cancellable from any thread. start() sends the
    request ahead of reading, so the node prepares this stream while earlier ones are read."""

    def __init__(self, reader: SameHostLocationReader, ticket: flight.Ticket):
        self._reader = reader
        self._ticket = ticket
        self._lock = threading.Lock()
        self._connection: Optional[_Connection] = None
        self._cancelled = False
        self._reading = False

    def _buffer(self, connection: _Connection, ref: dict[str, Any]) -> pa.Buffer:
        mapping = connection.segments.get(int(ref["segment"]))
        if mapping is None:
            raise FrameError(f"a reference names segment {ref['segment']}, which this connection was not given")
        return pa.py_buffer(mapping).slice(int(ref["offset"]), int(ref["length"]))

    def _frames(self, connection: _Connection) -> Iterator[tuple[pa.RecordBatch, Optional[str]]]:
        decoder: Optional[_Decoder] = None
        while True:
            message, payload = connection.frames.receive()
            kind = message["type"]
            if kind == "segments":
                connection.take_segments(message)
            elif kind == "schema":
                decoder = _Decoder(message, payload)
            elif kind == "dictionary" and decoder is not None:
                decoder.dictionary(self._buffer(connection, message["ref"]))
            elif kind == "batch" and decoder is not None:
                # Shuffles of datasets whose dictionaries change carry each source's dictionaries.
                per_source = message.get("dictionaries") or [None] * len(message["sources"])
                sources = [
                    decoder.stored_batch(self._buffer(connection, ref), None if refs is None else [self._buffer(connection, d) for d in refs])
                    for ref, refs in zip(message["sources"], per_source)
                ]
                picks = message.get("picks")
                batch = sources[0] if picks is None else _gather(sources, payload, int(picks))
                yield decoder.finish(batch), message.get("cursor")
            elif kind == "end":
                return
            elif kind == "error":
                raise _error(message)
            else:
                raise FrameError(f"unexpected same-host frame {kind!r}")

    def _broke(self, error: Exception) -> Exception:
        """What a socket failure raises: cancelled, or unavailable (and gRPC for this location from now on)."""
        if self._cancelled:
            return flight.FlightCancelledError("same-host stream cancelled")
        self._reader.broken(str(error))
        return flight.FlightUnavailableError(f"same-host stream of {self._reader.location} broke: {error}")

    def start(self) -> None:
        """Takes a connection and sends the request (once); raises what iterating would."""
        with self._lock:
            if self._connection is not None:
                return
        connection = self._reader.connect()
        with self._lock:
            self._connection = connection
            cancelled = self._cancelled
        if cancelled:
            connection.close()
            raise flight.FlightCancelledError("same-host stream cancelled")
        try:
            connection.frames.send({"type": "get", "ticket": base64.b64encode(self._ticket.ticket).decode("ascii")})
        except (FrameError, OSError) as error:
            connection.close()
            raise self._broke(error) from error

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, Optional[str]]]:
        self.start()
        with self._lock:
            self._reading = True
            connection, cancelled = self._connection, self._cancelled
        assert connection is not None
        finished = False
        try:
            if cancelled:
                raise flight.FlightCancelledError("same-host stream cancelled")
            yield from self._frames(connection)
            finished = True
        except (FrameError, OSError) as error:
            raise self._broke(error) from error
        finally:
            if finished and not self._cancelled:
                self._reader.pool.give(connection)
            else:
                connection.close()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            connection, reading = self._connection, self._reading
        if connection is None:
            return
        if not reading:
            # Started ahead and never read: nothing else will close it.
            connection.close()
            return
        try:
            connection.frames.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SameHostLocationReader:
    """Reads a location's tickets from the shared memory of its node on this host."""

    pipelined = True
    """Its streams send their request on start() and need no read-ahead thread (flightcache.readahead)."""

    def __init__(self, node: SameHostNode, connections: Connections):
        self.location = node.location
        self._node = node
        self._state = _state(connections)
        self.pool = self._state.pool

    def connect(self) -> _Connection:
        try:
            return self.pool.take(self._node)
        except (FrameError, OSError) as error:
            self.broken(str(error))
            raise flight.FlightUnavailableError(f"same-host socket of {self.location} refused: {error}") from error

    def broken(self, reason: str) -> None:
        self._state.forget(self.location, f"its same-host stream broke ({reason})")

    def stream(self, ticket: flight.Ticket) -> BatchStream:
        return SameHostStream(self, ticket)


class _ClientState:
    """One client's same-host state in this process: which locations are same-host nodes (and why
    the others are not), and its connections to them. Discovery uses the client's credentials, so
    it is never shared with another client."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[Optional[SameHostNode], str]] = {}
        self._broken: set[str] = set()
        self._lock = threading.Lock()
        self.pool = _Pool()

    def close(self) -> None:
        self.pool.close()

    def forget(self, location: str, reason: str) -> None:
        """Reads `location` over gRPC from now on in this process (failover from a broken same-host stream)."""
        with self._lock:
            self._found[location] = (None, reason)
            self._broken.add(location)

    def broke(self, location: str) -> bool:
        """True once a same-host stream of `location` broke in this process."""
        with self._lock:
            return location in self._broken

    def find(self, location: str, connections: Connections) -> tuple[Optional[SameHostNode], str]:
        with self._lock:
            known = self._found.get(location)
        if known is not None:
            return known
        result = _discover(location, connections, self.pool)
        with self._lock:
            self._found.setdefault(location, result)
            return self._found[location]


def _state(connections: Connections) -> _ClientState:
    state = connections.resources.get("samehost")
    if state is None:
        state = connections.resources.setdefault("samehost", _ClientState())
    return state


def _discover(location: str, connections: Connections, pool: _Pool) -> tuple[Optional[SameHostNode], str]:
    try:
        client = connections.flight_client(location)
        results = list(client.do_action(flight.Action("same-host", b""), connections.options_for(location)))
        answer = json.loads(results[0].body.to_pybytes())
    except (flight.FlightUnavailableError, flight.FlightTimedOutError, flight.FlightUnauthenticatedError, flight.FlightUnauthorizedError):
        # An unreachable node is the share's failover to handle (another replica), and a refused
        # reader is refused over gRPC as well: neither is an answer about shared memory to remember.
        raise
    except (flight.FlightError, pa.ArrowException, IndexError, ValueError) as error:
        return None, f"the node at {location} offers no same-host reads ({type(error).__name__}: {error})"
    if answer.get("hostId") != host_id():
        return None, f"the node at {location} runs on another host"
    node = SameHostNode(location, str(answer["socket"]), str(answer["instance"]), connections.authorization_for(location))
    try:
        pool.give(_Connection(node))
    except (FrameError, OSError, flight.FlightError) as error:
        return None, f"the same-host socket {node.socket_path} of {location} cannot be used ({error})"
    return node, "same host"


def location_transport(location: str, connections: Connections) -> tuple[str, str]:
    """("shm" or "grpc", why) for reading `location` with this connections' transport setting."""
    if connections.transport == "grpc":
        return "grpc", "transport='grpc'"
    if urlsplit(location).scheme.lower() not in SCHEMES:
        return "grpc", f"{location} is not a TCP gRPC location"
    node, reason = _state(connections).find(location, connections)
    return ("shm" if node is not None else "grpc"), reason


def _reader(location: str, connections: Connections) -> LocationReader:
    transport, reason = location_transport(location, connections)
    state = _state(connections)
    if transport == "shm":
        node, _ = state.find(location, connections)
        if node is not None:
            return SameHostLocationReader(node, connections)
    # transport="shm" insists on shared memory, except to fail over from a stream that broke mid-read.
    if connections.transport == "shm" and not state.broke(location):
        raise SameHostUnavailableError(f"transport='shm': cannot read {location} from shared memory: {reason}")
    return GrpcLocationReader(location, connections)


for _scheme in SCHEMES:
    register_location_reader(_scheme, _reader)
