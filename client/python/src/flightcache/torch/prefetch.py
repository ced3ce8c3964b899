"""Running a producer iterator in a background thread, a bounded number of items ahead."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Callable, Generic, TypeVar

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


class Prefetcher(Generic[T]):
    """Iterates `items` on a daemon thread, keeping at most `depth` items ready.

    `cancel` is called from the consumer's thread on close, to unblock a producer waiting on the
    network; the producer's generator is then closed on its own thread.
    """

    def __init__(self, items: Iterator[T], depth: int, cancel: Callable[[], None], name: str = "flightcache-prefetch"):
        if depth < 1:
            raise ValueError(f"prefetch depth must be >= 1, got {depth}")
        self._items = items
        self._cancel = cancel
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as error:
            if not self._stop.is_set():
                self._put(_Failure(error))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]

    def close(self, timeout: float = 5.0) -> None:
        """Stops the producer and waits up to `timeout` seconds for its thread."""
        self._stop.set()
        self._cancel()
        self._thread.join(timeout)
