"""FlightCacheDataLoader with persistent_workers: each epoch (set_epoch) reaches the workers, every
row is read once per epoch in the same order as fresh workers read that epoch, and a loaded state
continues the epoch in the same persistent workers and in new ones; over gRPC and over same-host
shared memory (the `transport` fixture).
"""

import itertools

from conftest import COV_ROWS
from flightcache.torch import FlightCacheDataset, make_dataloader
from torch_common import assert_exactly_once, check, ids_of

BATCH = 16


def loader(url, name, persistent):
    data = FlightCacheDataset(url, name, batch_size=BATCH, shuffle=True, seed=11)
    return data, make_dataloader(data, num_workers=2, persistent_workers=persistent)


def scenarios(url, name, rows):
    data, persistent = loader(url, name, True)
    fresh_data, fresh = loader(url, name, False)
    orders = []
    for epoch in (0, 1, 0):
        data.set_epoch(epoch)
        fresh_data.set_epoch(epoch)
        ids = ids_of(list(persistent))
        assert_exactly_once(ids, rows, f"persistent workers, epoch {epoch}")
        check(ids == ids_of(list(fresh)), f"epoch {epoch}: persistent workers read the order fresh workers read")
        orders.append(ids)
    check(orders[0] != orders[1] and orders[0] == orders[2], "set_epoch reaches persistent workers")
    passed = ["set_epoch reaches persistent workers, each epoch read once"]

    data.set_epoch(2)
    first = ids_of(list(itertools.islice(persistent, 5)))
    state = data.state_dict()
    data.load_state_dict(state)
    rest = ids_of(list(persistent))
    assert_exactly_once(first + rest, rows, "epoch 2 resumed in the same persistent workers")
    again_data, again = loader(url, name, True)
    again_data.load_state_dict(state)
    assert_exactly_once(first + ids_of(list(again)), rows, "epoch 2 resumed in new persistent workers")
    passed.append("a loaded state reaches persistent workers")
    return passed


def test_persistent_workers_get_each_epoch_and_a_loaded_state_and_read_each_epoch_once_as_fresh_workers_do(cov_url: str, transport: str) -> None:
    assert scenarios(cov_url, "cov", COV_ROWS) == ["set_epoch reaches persistent workers, each epoch read once", "a loaded state reaches persistent workers"]
