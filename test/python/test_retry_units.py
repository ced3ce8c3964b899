"""flightcache.retry: planning calls made again on UNAVAILABLE, with backoff, within retry_timeout."""
from typing import Callable

import pyarrow.flight as flight
import pytest
from flightcache.retry import retry_unavailable


def scripted(failures: list[Exception]) -> Callable[[], int]:
    """A call that raises each of `failures` in turn, then returns how many calls it took."""
    calls: list[int] = []

    def call() -> int:
        calls.append(len(calls))
        if failures:
            raise failures.pop(0)
        return len(calls)

    return call


def test_a_call_refused_with_unavailable_is_made_again_with_doubling_backoff_until_it_answers() -> None:
    sleeps: list[float] = []
    failures: list[Exception] = [flight.FlightUnavailableError("standby") for _ in range(6)]
    assert retry_unavailable(scripted(failures), 60.0, sleeps.append) == 7
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0]


def test_other_errors_end_the_call_at_once() -> None:
    sleeps: list[float] = []
    with pytest.raises(flight.FlightServerError):
        retry_unavailable(scripted([flight.FlightServerError("boom")]), 60.0, sleeps.append)
    assert sleeps == []


def test_unavailable_past_the_retry_timeout_is_raised() -> None:
    sleeps: list[float] = []
    with pytest.raises(flight.FlightUnavailableError, match="standby"):
        retry_unavailable(scripted([flight.FlightUnavailableError("standby") for _ in range(100)]), 0.0, sleeps.append)
    assert sleeps == []
