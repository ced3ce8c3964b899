"""FlightCacheDataLoader without workers reads the dataset directly: the same batches, collate_fn and
state as torch's single-process iterator, and the same draw from the random stream per epoch."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import torch
import torch_common
from conftest import Server
from flightcache.torch import FlightCacheDataset, make_dataloader
from torch.utils.data import DataLoader

ROWS = 300


def _batches(loader: Any) -> list[dict[str, Any]]:
    return [{name: value.clone() if isinstance(value, torch.Tensor) else value for name, value in batch.items()} for batch in loader]


def test_batches_equal_a_stock_dataloaders_and_the_random_stream_after_an_epoch_is_the_same(server: Server) -> None:
    torch_common.put(server.url, "rows", ROWS, 64)
    data = FlightCacheDataset(server.url, "rows", batch_size=25, shuffle=True, seed=3)
    torch.manual_seed(11)
    stock = _batches(DataLoader(data, batch_size=None))
    after_stock = torch.rand(4)
    torch.manual_seed(11)
    ours = _batches(make_dataloader(data))
    after_ours = torch.rand(4)
    assert len(ours) == len(stock) == ROWS // 25
    for mine, theirs in zip(ours, stock):
        assert mine.keys() == theirs.keys()
        for name in mine:
            if isinstance(mine[name], torch.Tensor):
                assert torch.equal(mine[name], theirs[name]), name
            else:
                assert mine[name] == theirs[name], name
    assert torch.equal(after_ours, after_stock)


def test_a_collate_fn_sees_every_batch_and_its_result_is_yielded(server: Server) -> None:
    torch_common.put(server.url, "rows", ROWS, 64)
    data = FlightCacheDataset(server.url, "rows", batch_size=50)
    loaded = list(make_dataloader(data, collate_fn=lambda batch: batch["id"].tolist()))
    assert loaded == [list(range(start, start + 50)) for start in range(0, ROWS, 50)]


def test_the_state_after_a_direct_read_resumes_after_the_last_batch_taken(server: Server) -> None:
    torch_common.put(server.url, "rows", ROWS, 64)
    data = FlightCacheDataset(server.url, "rows", batch_size=30)
    loader = make_dataloader(data)
    taken = []
    for batch in loader:
        taken.extend(batch["id"].tolist())
        if len(taken) == 120:
            break
    resumed = FlightCacheDataset(server.url, "rows", batch_size=30)
    resumed.load_state_dict(data.state_dict())
    assert taken + torch_common.ids_of(list(make_dataloader(resumed))) == list(range(ROWS))


def _ids_of_rows(rows: Any) -> list[int]:
    """A transform: the rows' ids, checking that it is handed Arrow rows."""
    assert isinstance(rows, pa.RecordBatch), type(rows)
    return list(rows.column("id").to_pylist())


def test_a_transform_gets_each_batch_as_arrow_rows_cut_from_or_combined_across_server_batches(server: Server) -> None:
    """Batches of 50 over server batches of 64: most are cut from one server batch, some span two
    (combined into a copy, in the main process's mappable memory when a worker reads). Each worker's
    share may end in a short batch."""
    torch_common.put(server.url, "rows", ROWS, 64)
    for workers in (0, 2):
        data = FlightCacheDataset(server.url, "rows", batch_size=50, transform=_ids_of_rows)
        batches = list(make_dataloader(data, num_workers=workers))
        assert sorted(row for batch in batches for row in batch) == list(range(ROWS)), workers
        if workers == 0:
            assert batches == [list(range(start, start + 50)) for start in range(0, ROWS, 50)]
