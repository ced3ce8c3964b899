"""Retry of planning calls on UNAVAILABLE.

A standby coordinator answers every call with UNAVAILABLE until it holds the Lease and has taken
over (docs/cluster.md, Active/standby coordinators), and a Service in front of the coordinators
moves to the new leader within seconds; a connection to a coordinator that died fails the same way.
Calls that change nothing (ListFlights, GetFlightInfo, GetSchema, the `stats` and `health` actions)
are made again at the same address with exponential backoff until `retry_timeout` seconds pass,
as the share reader (flightcache.stream) already does for the GetFlightInfo of each share.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

import pyarrow.flight as flight

T = TypeVar("T")

FIRST_BACKOFF = 0.05
MAX_BACKOFF = 1.0


def retry_unavailable(call: Callable[[], T], retry_timeout: float, sleep: Callable[[float], None] = time.sleep) -> T:
    """Returns call(), calling it again while it raises FlightUnavailableError for at most `retry_timeout` seconds."""
    deadline = time.monotonic() + retry_timeout
    backoff = FIRST_BACKOFF
    while True:
        try:
            return call()
        except flight.FlightUnavailableError:
            if time.monotonic() + backoff > deadline:
                raise
            sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
