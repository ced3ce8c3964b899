"""Reading a share's endpoints a bounded number ahead, delivered strictly in share order.

With shuffle, consecutive batches of a share sit on different partitions, so most endpoints hold
a single batch; read one after another, each costs a round trip while every shard but one idles.
A ReadAhead window streams up to `depth` endpoints at once, each on a daemon thread into a buffer
of a few batches (a full buffer blocks its thread, so a large endpoint never piles up in memory),
while the consumer drains them in order. pyarrow releases the GIL while it waits on the network, so
the threads overlap. The window's threads (at most `depth`) are reused from one endpoint to the
next: a shuffled epoch has an endpoint every few batches, and starting a thread for each cost as
much as reading it. Threads start only once iteration starts, in the iterating process (gRPC must
not be used across fork), and end when the window's iteration ends or is closed. A pipelined
source (a same-host node: its answer waits on a socket of its own) needs no thread: its request is
sent when the fetch starts and its frames are read in the consumer's thread when it is reached.
On a small machine that is most of the read's CPU saved (thread hand-overs and the GIL).
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterator
from typing import Callable, Optional, Union

import pyarrow as pa
import pyarrow.flight as flight

from .locations import BatchStream

DEFAULT_READ_AHEAD = 4
BUFFERED_BATCHES = 2
"""Batches one read-ahead endpoint holds before its thread waits for the consumer."""

Item = tuple[pa.RecordBatch, Optional[str]]
Opener = Callable[[], BatchStream]
Source = tuple[list[str], Opener, bool]
"""An endpoint to read: its locations, best first, how to open its stream at the first one, and whether
that stream is pipelined (has start(), which sends its request without waiting for the answer)."""

_END = object()


def check_read_ahead(depth: object) -> int:
    """`depth` if it is a valid read-ahead (an integer >= 1), else ValueError."""
    if not (isinstance(depth, int) and not isinstance(depth, bool) and depth >= 1):
        raise ValueError(f"read_ahead must be an integer >= 1, got {depth!r}")
    return depth


def _cancelled() -> flight.FlightCancelledError:
    return flight.FlightCancelledError("the share's read was cancelled")


class _Buffer:
    """A bounded hand-over from one producer thread to the consumer; close() wakes both at once."""

    def __init__(self, capacity: int):
        self._items: deque[Item] = deque()
        self._capacity = capacity
        self._ready = threading.Condition()
        self._ended = False
        self._error: Optional[BaseException] = None
        self._closed = False

    def put(self, item: Item) -> bool:
        """Adds an item, waiting while the buffer is full; False once the buffer was closed."""
        with self._ready:
            while len(self._items) >= self._capacity and not self._closed:
                self._ready.wait()
            if self._closed:
                return False
            self._items.append(item)
            self._ready.notify_all()
            return True

    def end(self, error: Optional[BaseException] = None) -> None:
        """Marks the end of the items, or the error that ended them."""
        with self._ready:
            self._ended, self._error = True, error
            self._ready.notify_all()

    def close(self) -> None:
        """Drops the items; a waiting put returns False and a waiting get raises FlightCancelledError."""
        with self._ready:
            self._closed = True
            self._items.clear()
            self._ready.notify_all()

    def get(self) -> object:
        """The next item, _END, or raises the producer's error."""
        with self._ready:
            while not self._items and not self._ended and not self._closed:
                self._ready.wait()
            if self._closed:
                raise _cancelled()
            if self._items:
                item = self._items.popleft()
                self._ready.notify_all()
                return item
            if self._error is not None:
                raise self._error
            return _END


class _Workers:
    """Up to `size` daemon threads running one window's fetches: a thread is started only while every
    started one is busy, and each runs fetch after fetch until stop()."""

    def __init__(self, size: int):
        self._size = size
        self._jobs: queue.SimpleQueue[Optional[Callable[[], None]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._busy = 0

    def submit(self, job: Callable[[], None]) -> None:
        thread = None
        with self._lock:
            self._busy += 1
            if self._busy > len(self._threads) and len(self._threads) < self._size:
                thread = threading.Thread(target=self._run, name="flightcache-read-ahead", daemon=True)
                self._threads.append(thread)
        if thread is not None:
            thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            finally:
                with self._lock:
                    self._busy -= 1

    def stop(self, wait: bool = False) -> None:
        """Ends every thread once it has finished its current fetch; `wait`: returns after they ended
        (only when every fetch has delivered its end, so none can block on a full buffer)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        if wait:
            for thread in threads:
                thread.join()


class ThreadedFetch:
    """One endpoint streamed on a worker thread into a bounded buffer; iterate it once, from one thread."""

    def __init__(self, locations: list[str], open_stream: Opener, workers: _Workers, buffered: int = BUFFERED_BATCHES):
        self.locations = locations
        self.location = locations[0]
        self._open = open_stream
        self._buffer = _Buffer(buffered)
        self._lock = threading.Lock()
        self._stream: Optional[BatchStream] = None
        self._cancelled = False
        workers.submit(self._run)

    def _run(self) -> None:
        stream: Optional[BatchStream] = None
        finished = False
        try:
            if self._cancelled:
                return
            stream = self._open()
            with self._lock:
                self._stream = stream
                cancelled = self._cancelled
            if cancelled:
                return
            for item in stream:
                if not self._buffer.put(item):
                    return
            finished = True
            self._buffer.end()
        except BaseException as error:
            self._buffer.end(error)
        finally:
            if stream is not None and not finished:
                stream.cancel()

    def __iter__(self) -> Iterator[Item]:
        while (item := self._buffer.get()) is not _END:
            yield item  # type: ignore[misc]

    def cancel(self) -> None:
        """Stops the stream and its thread; a consumer waiting on it gets FlightCancelledError."""
        with self._lock:
            self._cancelled = True
            stream = self._stream
        self._buffer.close()
        if stream is not None:
            stream.cancel()


class InlineFetch:
    """One endpoint streamed in the consumer's own thread (no read-ahead)."""

    def __init__(self, locations: list[str], open_stream: Opener):
        self.locations = locations
        self.location = locations[0]
        self._open = open_stream
        self._lock = threading.Lock()
        self._stream: Optional[BatchStream] = None
        self._cancelled = False

    def __iter__(self) -> Iterator[Item]:
        stream = self._open()
        with self._lock:
            self._stream = stream
            cancelled = self._cancelled
        if cancelled:
            stream.cancel()
        finished = False
        try:
            yield from stream
            finished = True
        finally:
            if not finished:
                stream.cancel()

    def cancel(self) -> None:
        """Stops the stream from any thread; its iteration then raises FlightCancelledError."""
        with self._lock:
            self._cancelled = True
            stream = self._stream
        if stream is not None:
            stream.cancel()


class PipelinedFetch:
    """One endpoint whose stream sends its request when the fetch starts and is read in the consumer's
    own thread when it is reached. A failure to start is raised there too, as a thread's would be."""

    def __init__(self, locations: list[str], open_stream: Opener):
        self.locations = locations
        self.location = locations[0]
        self._stream: Optional[BatchStream] = None
        self._error: Optional[BaseException] = None
        try:
            stream = open_stream()
            self._stream = stream
            stream.start()  # type: ignore[attr-defined]
        except Exception as error:
            self._error = error

    def __iter__(self) -> Iterator[Item]:
        if self._error is not None:
            raise self._error
        assert self._stream is not None
        finished = False
        try:
            yield from self._stream
            finished = True
        finally:
            if not finished:
                self._stream.cancel()

    def cancel(self) -> None:
        """Stops the stream from any thread; its iteration then raises FlightCancelledError."""
        if self._stream is not None:
            self._stream.cancel()


Fetch = Union[ThreadedFetch, InlineFetch, PipelinedFetch]


class ReadAhead:
    """Hands out a share's endpoints in order as Fetches, keeping up to `depth` of them streaming.

    `sources` is consumed lazily, one endpoint as each fetch starts, so a source can pick its
    location from what has failed by then. depth 1 reads each endpoint in the consumer's thread
    when it is reached. close() (from any thread) cancels every started fetch.
    """

    def __init__(self, sources: Iterator[Source], depth: int = DEFAULT_READ_AHEAD, buffered: int = BUFFERED_BATCHES):
        self._sources = sources
        self._depth = check_read_ahead(depth)
        self._buffered = buffered
        self._lock = threading.Lock()
        self._started: deque[Fetch] = deque()
        self._closed = False
        self._workers = _Workers(self._depth)

    def _start(self, source: Source) -> Fetch:
        locations, open_stream, pipelined = source
        if self._depth == 1:
            return InlineFetch(locations, open_stream)
        if pipelined:
            return PipelinedFetch(locations, open_stream)
        return ThreadedFetch(locations, open_stream, self._workers, self._buffered)

    def __iter__(self) -> Iterator[Fetch]:
        exhausted = False
        try:
            while True:
                with self._lock:
                    if self._closed:
                        raise _cancelled()
                    while not exhausted and len(self._started) < self._depth:
                        source = next(self._sources, None)
                        if source is None:
                            exhausted = True
                        else:
                            self._started.append(self._start(source))
                    fetch = self._started[0] if self._started else None
                if fetch is None:
                    # Every fetch was read to its end, so each thread is past its last put: wait for them.
                    self._workers.stop(wait=True)
                    return
                yield fetch
                with self._lock:
                    if self._started and self._started[0] is fetch:
                        self._started.popleft()
        finally:
            self._workers.stop()

    def close(self) -> None:
        """Cancels every started fetch; iterating further raises FlightCancelledError."""
        with self._lock:
            self._closed = True
            started, self._started = list(self._started), deque()
        for fetch in started:
            fetch.cancel()
        self._workers.stop()
