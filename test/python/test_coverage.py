"""FlightCacheDataset reads every row of an epoch exactly once, for world sizes 1-3 and 0 or 2
DataLoader workers, with and without drop_last; with shuffle also deterministic per (seed, epoch)
and different across epochs; over gRPC and over same-host shared memory (the `transport` fixture).
"""

from conftest import COV_ROWS, COV_SERVER_BATCH_ROWS
from flightcache.torch import FlightCacheDataset, make_dataloader
from torch_common import assert_exactly_once, assert_rows_match, ids_of, make_table

BATCH = 16


def read_rank(url, name, rank, world, workers, shuffle, seed=0, epoch=0, drop_last=False):
    dataset = FlightCacheDataset(
        url, name, batch_size=BATCH, shuffle=shuffle, seed=seed, drop_last=drop_last, rank=rank, world_size=world
    )
    dataset.set_epoch(epoch)
    return list(make_dataloader(dataset, num_workers=workers))


def coverage(url, name, rows, server_batch, shuffle):
    passed = []
    reference = make_table(rows)
    for workers in (2, 0):
        for world in (1, 2, 3):
            what = f"world {world} workers {workers}"
            per_rank = [read_rank(url, name, rank, world, workers, shuffle) for rank in range(world)]
            everything = [batch for batches in per_rank for batch in batches]
            assert_exactly_once(ids_of(everything), rows, what)
            short = [len(batch["id"]) for batch in everything if len(batch["id"]) != BATCH]
            # Each virtual rank's stream ends with at most one short batch.
            assert len(short) <= world * max(workers, 1), f"{what}: short batches {short}"
            for batch in everything:
                assert_rows_match(batch, reference, what)
            dropped = [read_rank(url, name, rank, world, workers, shuffle, drop_last=True) for rank in range(world)]
            counts = [len(batches) for batches in dropped]
            assert len(set(counts)) == 1, f"{what} drop_last: batch counts per rank {counts}"
            ids = [i for batches in dropped for i in ids_of(batches)]
            assert all(len(b["id"]) == BATCH for bs in dropped for b in bs), f"{what} drop_last: a short batch"
            assert len(ids) == len(set(ids)) and set(ids) <= set(range(rows)), f"{what} drop_last: duplicated or unknown rows"
            # Shares differ by at most one server batch, and each stream drops less than one batch.
            bound = world * max(workers, 1) * (BATCH + server_batch)
            assert rows - len(ids) < bound, f"{what} drop_last: dropped {rows - len(ids)} rows"
            passed.append(what)
    if not shuffle:
        ordered = ids_of(read_rank(url, name, 0, 1, 0, False))
        assert ordered == list(range(rows)), "without shuffle, one rank reads the stored order"
        passed.append("stored order")
    return passed


def determinism(url, name, rows):
    epoch0 = [ids_of(read_rank(url, name, rank, 2, 0, True, seed=7, epoch=0)) for rank in range(2)]
    again = [ids_of(read_rank(url, name, rank, 2, 0, True, seed=7, epoch=0)) for rank in range(2)]
    assert epoch0 == again, "the same seed and epoch give the same order"
    epoch1 = [ids_of(read_rank(url, name, rank, 2, 0, True, seed=7, epoch=1)) for rank in range(2)]
    assert epoch1 != epoch0, "another epoch gives another order"
    seed8 = [ids_of(read_rank(url, name, rank, 2, 0, True, seed=8, epoch=0)) for rank in range(2)]
    assert seed8 != epoch0, "another seed gives another order"
    flat = epoch0[0] + epoch0[1]
    assert flat != sorted(flat), "shuffled reads are not in stored order"
    first = read_rank(url, name, 0, 1, 0, True, seed=7, epoch=0)[0]["id"].tolist()
    assert first != sorted(first), "rows within a batch are permuted"
    assert_exactly_once(epoch1[0] + epoch1[1], rows, "epoch 1")
    return ["deterministic per seed and epoch", "different per epoch"]


COVERAGE = ["world 1 workers 2", "world 2 workers 2", "world 3 workers 2", "world 1 workers 0", "world 2 workers 0", "world 3 workers 0"]


def test_every_row_once_for_1_to_3_ranks_with_0_or_2_workers_in_stored_order(cov_url: str, transport: str) -> None:
    assert coverage(cov_url, "cov", COV_ROWS, COV_SERVER_BATCH_ROWS, False) == [*COVERAGE, "stored order"]


def test_shuffled_every_row_once_deterministic_per_seed_and_epoch(cov_url: str, transport: str) -> None:
    assert coverage(cov_url, "cov", COV_ROWS, COV_SERVER_BATCH_ROWS, True) == COVERAGE
    assert determinism(cov_url, "cov", COV_ROWS) == ["deterministic per seed and epoch", "different per epoch"]
