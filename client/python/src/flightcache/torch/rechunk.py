"""Re-chunking a stream of row pieces into batches of exactly `batch_size` rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa

from ..stream import Piece
from .plan import Mark


def _combine(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    # A batch inside one server batch stays a zero-copy slice; only batches spanning pieces are copied.
    return parts[0] if len(parts) == 1 else pa.concat_batches(parts)


def rechunk(pieces: Iterable[tuple[int, Piece]], batch_size: int, drop_last: bool) -> Iterator[tuple[pa.RecordBatch, Mark]]:
    """Yields (batch, mark) for (segment index, piece) pairs: `batch_size` rows each, the last shorter unless drop_last."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    parts: list[pa.RecordBatch] = []
    count = 0
    last: Mark | None = None
    for segment, piece in pieces:
        used = 0
        rows = piece.rows.num_rows
        while used < rows:
            take = min(batch_size - count, rows - used)
            parts.append(piece.rows.slice(used, take))
            count += take
            used += take
            last = Mark.after(segment, piece, used)
            if count == batch_size:
                yield _combine(parts), last
                parts, count = [], 0
    if parts and not drop_last and last is not None:
        yield _combine(parts), last
