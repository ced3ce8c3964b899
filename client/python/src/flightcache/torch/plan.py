"""Where each stream of an epoch starts and how far it has got: segments, marks and re-splitting.

A virtual rank's stream is a list of segments, each one GetFlightInfo request read from
`start_after` (None: its start), skipping `skip` rows and ending `stop` rows after `start_after`
(None: the end of the share). A fresh epoch has one segment, the "main" one, and it is always
the last. Positions are counted in rows, so a stream can stop in the middle of a server batch and
continue there, whatever batch size the next run uses.

Resuming with another number of virtual ranks uses the server's `resume` re-split: each old
stream's main segment gives the cursor of its last fully delivered batch, and a batch it had
delivered only partly is left out of the re-split (its cursor is sent) and its undelivered rows
become a one-batch "remainder" segment, read by new virtual rank `j % new_world`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

from ..request import Request
from ..stream import Piece


@dataclass(frozen=True)
class Segment:
    """One request's rows from `skip` to `stop`, counted after `start_after`."""

    request: Request
    start_after: Optional[str] = None
    skip: int = 0
    stop: Optional[int] = None
    partial_cursor: Optional[str] = None
    """When skip > 0: the cursor of the server batch the skipped rows belong to."""
    partial_rows: Optional[int] = None
    """When skip > 0: how many rows that server batch has."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    @staticmethod
    def from_dict(value: dict[str, Any]) -> Segment:
        """The inverse of to_dict."""
        return Segment(**value)


@dataclass(frozen=True)
class Mark:
    """Where a delivered batch ended: in segment `segment`, row `end` of the server batch `cursor`."""

    segment: int
    cursor: str
    before: Optional[str]
    base: int
    end: int
    batch_rows: int

    @staticmethod
    def after(segment: int, piece: Piece, used: int) -> Mark:
        """The mark after the first `used` rows of a piece."""
        return Mark(segment, piece.cursor, piece.before, piece.base, piece.offset + used, piece.batch_rows)


def advance(segment: Segment, mark: Mark) -> Segment:
    """What is left of `segment` (as it was when reading began) after delivering up to `mark`."""
    if mark.end >= mark.batch_rows:
        stop = None if segment.stop is None else segment.stop - mark.base - mark.batch_rows
        return Segment(segment.request, mark.cursor, 0, stop)
    stop = None if segment.stop is None else segment.stop - mark.base
    return Segment(segment.request, mark.before, mark.end, stop, mark.cursor, mark.batch_rows)


def remaining(segments: list[Segment], mark: Mark) -> list[Segment]:
    """A stream's segments left after delivering up to `mark`."""
    return [advance(segments[mark.segment], mark)] + segments[mark.segment + 1 :]


@dataclass(frozen=True)
class Position:
    """A stream's position after a delivered batch, kept as the segments reading began with and the
    batch's mark: the remaining segments are only worked out when a state is asked for, not per batch."""

    segments: list[Segment]
    mark: Mark

    def remaining(self) -> list[dict[str, Any]]:
        """The remaining segments, JSON-ready."""
        return [segment.to_dict() for segment in remaining(self.segments, self.mark)]


def resplit(
    old: dict[int, list[Segment]], old_world: int, new_world: int, main_request: Callable[[int, dict[str, Any]], Request]
) -> dict[int, list[Segment]]:
    """The streams of `new_world` virtual ranks continuing an epoch interrupted at `old` (every old rank's state).

    `main_request(v, resume)` builds new virtual rank v's request carrying the `resume` object.
    """
    missing = sorted(set(range(old_world)) - set(old))
    if missing:
        raise ValueError(
            f"resuming {old_world} virtual ranks as {new_world} needs the state of every old virtual rank; "
            f"missing {missing}: merge the state dicts of all ranks (flightcache.torch.merge_state_dicts or "
            f"gather_state_dict) and load the merged state"
        )
    cursors: list[Optional[str]] = []
    remainders: list[Segment] = []
    for rank in range(old_world):
        main = old[rank][-1]
        if "resume" in main.request or len(old[rank]) != 1:
            raise ValueError(
                "this epoch was already resumed with a different number of virtual ranks, and the server "
                f"re-splits only plain shares: resume it with {old_world} virtual ranks (world size x workers)"
            )
        if main.request.get("rank") != rank or main.request.get("world_size") != old_world:
            raise ValueError(f"state of virtual rank {rank} holds a request for rank {main.request.get('rank')} of {main.request.get('world_size')}")
        if main.skip > 0:
            if main.partial_cursor is None or main.partial_rows is None:
                raise ValueError(f"state of virtual rank {rank} stops inside a batch but lacks its cursor and size")
            cursors.append(main.partial_cursor)
            remainders.append(Segment(main.request, main.start_after, main.skip, main.partial_rows))
        else:
            cursors.append(main.start_after)
    resume: dict[str, Any] = {"world_size": old_world, "cursors": cursors}
    if "hosts" in old[0][-1].request:
        # The interrupted epoch's shares were planned over its ranks' hosts: the server re-derives them.
        resume["hosts"] = old[0][-1].request["hosts"]
    plan: dict[int, list[Segment]] = {v: [] for v in range(new_world)}
    for j, segment in enumerate(remainders):
        plan[j % new_world].append(segment)
    for v in range(new_world):
        plan[v].append(Segment(main_request(v, resume)))
    return plan


def segment_rows(segment: Segment, total_records: int) -> int:
    """Rows a segment delivers, given the total_records of its request after start_after."""
    end = total_records if segment.stop is None else min(total_records, segment.stop)
    return max(0, end - segment.skip)


def batch_limits(rows: dict[int, int], world_size: int, workers: int, batch_size: int) -> dict[int, int]:
    """Full batches each virtual rank may yield so that every rank yields the same number.

    Rank r owns virtual ranks r*workers .. r*workers+workers-1. Every rank yields the smallest
    rank total of full batches; a rank with more trims its workers with the most, one batch at a
    time (ties: the higher virtual rank), which every process computes alike.
    """
    limits = {v: rows[v] // batch_size for v in rows}
    owned = [range(r * workers, (r + 1) * workers) for r in range(world_size)]
    common = min(sum(limits[v] for v in vs) for vs in owned)
    for vs in owned:
        for _ in range(sum(limits[v] for v in vs) - common):
            widest = max(vs, key=lambda v: (limits[v], v))
            limits[widest] -= 1
    return limits
