"""Re-chunking a stream of row pieces into batches of exactly `batch_size` rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

from ..stream import Piece
from .plan import Mark


class Rows(Protocol):
    """Rows that can be cut without copying: a pyarrow RecordBatch, or convert.BatchRows."""

    @property
    def num_rows(self) -> int: ...

    def slice(self, offset: int, length: int) -> Rows: ...


R = TypeVar("R", bound=Rows)


def rechunk(pieces: Iterable[tuple[int, Piece, R]], batch_size: int, drop_last: bool) -> Iterator[tuple[list[R], Mark]]:
    """Yields (parts, mark) for (segment index, piece, the piece's rows): the parts of each batch of
    `batch_size` rows (one part unless it spans pieces), the last shorter unless drop_last."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    parts: list[R] = []
    count = 0
    last: Mark | None = None
    for segment, piece, rows in pieces:
        used = 0
        total = rows.num_rows
        while used < total:
            take = min(batch_size - count, total - used)
            parts.append(rows.slice(used, take))  # type: ignore[arg-type]
            count += take
            used += take
            last = Mark.after(segment, piece, used)
            if count == batch_size:
                yield parts, last
                parts, count = [], 0
    if parts and not drop_last and last is not None:
        yield parts, last
