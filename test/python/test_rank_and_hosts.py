"""FlightCacheDataset's rank and world size from RANK/WORLD_SIZE, and its `hosts` option (no server)."""

from __future__ import annotations

import pytest
from flightcache.torch import FlightCacheDataset

URL = "grpc://127.0.0.1:1"  # construction opens no connection


def dataset(**options: object) -> FlightCacheDataset:
    return FlightCacheDataset(URL, "d", batch_size=4, **options)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_rank_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)


def test_rank_and_world_size_come_from_rank_and_world_size_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "3")
    data = dataset()
    assert (data.rank, data.world_size) == (2, 3)


def test_neither_variable_is_rank_0_of_1() -> None:
    data = dataset()
    assert (data.rank, data.world_size) == (0, 1)


@pytest.mark.parametrize(("present", "missing"), [("RANK", "WORLD_SIZE"), ("WORLD_SIZE", "RANK")])
def test_one_variable_without_the_other_is_an_error_naming_both(monkeypatch: pytest.MonkeyPatch, present: str, missing: str) -> None:
    monkeypatch.setenv(present, "1")
    with pytest.raises(ValueError) as error:
        dataset()
    assert str(error.value) == (
        f"environment variable {present} is set but {missing} is not: set both RANK and WORLD_SIZE (or neither, for rank 0 of 1), "
        "or pass rank= and world_size="
    )


def test_arguments_win_over_a_half_set_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "1")
    data = dataset(rank=1, world_size=2)
    assert (data.rank, data.world_size) == (1, 2)


def test_hosts_must_list_one_host_per_rank() -> None:
    with pytest.raises(ValueError, match=r"^hosts must list the host id of each of the 2 ranks \(flightcache.host.rank_hosts\(\)\), got \['a'\]$"):
        dataset(rank=0, world_size=2, hosts=["a"])
    with pytest.raises(ValueError, match="hosts must list the host id of each of the 2 ranks"):
        dataset(rank=0, world_size=2, hosts="ab")


def test_hosts_go_into_every_share_request_one_per_virtual_rank() -> None:
    data = dataset(rank=1, world_size=2, hosts=["host-a", "host-b"])
    assert data._request(1, 2)["hosts"] == ["host-a", "host-b"]
    # With 2 DataLoader workers per rank, virtual ranks 2 and 3 are rank 1's workers, on its host.
    assert data._request(3, 4)["hosts"] == ["host-a", "host-a", "host-b", "host-b"]
    assert "hosts" not in dataset(rank=1, world_size=2)._request(1, 2)
