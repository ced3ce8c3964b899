"""FlightCacheDataLoader leaves the dataset it wraps as it was: only the position of the iteration under
way is tracked on it, as iterating the dataset itself does."""

from __future__ import annotations

import pytest
import torch_common
from conftest import Server
from flightcache.torch import FlightCacheDataset, make_dataloader

ROWS = 300


@pytest.mark.parametrize("options", [{"num_workers": 2, "persistent_workers": True}, {"num_workers": 2}, {"num_workers": 0}])
def test_constructing_a_loader_changes_no_attribute_of_the_dataset(options: dict[str, object]) -> None:
    data = FlightCacheDataset("grpc://127.0.0.1:1", "d", batch_size=4)
    before = dict(vars(data))
    make_dataloader(data, **options)
    assert vars(data) == before


def test_after_a_loader_with_workers_the_dataset_reads_and_saves_state_as_one_process(server: Server) -> None:
    torch_common.put(server.url, "rows", ROWS, 40)
    data = FlightCacheDataset(server.url, "rows", batch_size=25, transport="grpc")
    loaded = torch_common.ids_of(list(make_dataloader(data, num_workers=2)))
    assert sorted(loaded) == list(range(ROWS))
    # The loader's iteration was tracked on the dataset: its state covers both workers' streams.
    assert data.state_dict()["virtual_world_size"] == 2
    assert torch_common.ids_of(list(data)) == list(range(ROWS))
    assert data.state_dict()["virtual_world_size"] == 1
    assert torch_common.ids_of(list(make_dataloader(data, num_workers=0))) == list(range(ROWS))
