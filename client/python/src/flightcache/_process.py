"""Which process opened Arrow Flight connections first.

gRPC, which pyarrow.flight runs on, cannot be used in a child forked after its parent opened a
channel: the child's first call hangs forever. Every connection this package opens goes through
`connect`, which records the opening process, so a forked child can fail with a clear error
instead of hanging. Connections opened with pyarrow.flight directly are not seen here.
"""

from __future__ import annotations

import os
from typing import Any

import pyarrow.flight as flight

_FIRST_PID: int | None = None

FORK_FIX = (
    "start the worker processes with the 'spawn' or 'forkserver' multiprocessing context: for a "
    "torch DataLoader use flightcache.torch.make_dataloader(dataset, ...) or "
    "DataLoader(..., multiprocessing_context='spawn')"
)


class ForkAfterFlightError(RuntimeError):
    """Raised in a process forked after its parent had opened an Arrow Flight (gRPC) connection."""


def forked_after_flight() -> bool:
    """True in a process forked from one that had already opened a Flight connection."""
    return _FIRST_PID is not None and _FIRST_PID != os.getpid()


def flight_used_here() -> bool:
    """True once this process has opened a Flight connection through this package."""
    return _FIRST_PID == os.getpid()


def check_not_forked(what: str = "this process") -> None:
    """Raises ForkAfterFlightError, naming the fix, when gRPC would hang in this process."""
    if forked_after_flight():
        raise ForkAfterFlightError(
            f"{what} (pid {os.getpid()}) was forked from process {_FIRST_PID} after that process had "
            f"opened an Arrow Flight (gRPC) connection; gRPC hangs in such a child. Fix: {FORK_FIX}"
        )


def connect(uri: str, **options: Any) -> flight.FlightClient:
    """Opens a Flight client (`options`: pyarrow's, e.g. tls_root_certs), recording this process as a Flight user."""
    global _FIRST_PID
    check_not_forked()
    if _FIRST_PID is None:
        _FIRST_PID = os.getpid()
    return flight.FlightClient(uri, **options)
