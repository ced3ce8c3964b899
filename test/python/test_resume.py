"""FlightCacheDataset.state_dict()/load_state_dict() continue an epoch exactly where it stopped:
with the same world size (rank-local states, another batch size), a larger or smaller world
(merged states, the server's resume re-split), DataLoader workers turned into ranks and back,
an epoch resumed twice, and drop_last after a resume; plain and shuffled, over gRPC and over
same-host shared memory (the `transport` fixture).
"""

import itertools

import pytest
from conftest import COV_ROWS
from flightcache.torch import FlightCacheDataset, make_dataloader, merge_state_dicts
from torch_common import assert_exactly_once, ids_of

SEED = 3
EPOCH = 2


def dataset(url, name, rank, world, shuffle, batch_size=16, drop_last=False):
    data = FlightCacheDataset(url, name, batch_size=batch_size, shuffle=shuffle, seed=SEED, rank=rank, world_size=world, drop_last=drop_last)
    data.set_epoch(EPOCH)
    return data


def take(loader, count):
    """The first `count` batches (all of them for None), without asking for one more."""
    return list(itertools.islice(loader, count))


def run(url, name, world, workers, shuffle, stop=None, state=None, **options):
    """Reads every rank (stopping after stop[rank] batches); returns (ids per rank, batches per rank, states)."""
    ids, counts, states = [], [], []
    for rank in range(world):
        data = dataset(url, name, rank, world, shuffle, **options)
        if state is not None:
            data.load_state_dict(state)
        loader = make_dataloader(data, num_workers=workers)
        batches = take(loader, None if stop is None else stop[rank])
        ids.append(ids_of(batches))
        counts.append(len(batches))
        states.append(data.state_dict())
    return ids, counts, states


def flat(ids):
    return [i for part in ids for i in part]


def scenarios(url, name, rows, shuffle):
    passed = []

    # Workers first, forked before this process opens a Flight connection.
    workers_before, _, workers_states = run(url, name, 1, 2, shuffle, stop=[5])
    grow_before, _, grow_states = run(url, name, 1, 2, shuffle, stop=[3])

    whole, _, whole_states = run(url, name, 1, 2, shuffle)
    assert_exactly_once(flat(whole), rows, "1 rank x 2 workers")

    # Workers -> ranks with the same virtual world (2 workers x 1 rank -> 2 ranks x 0 workers).
    after, _, _ = run(url, name, 2, 0, shuffle, state=workers_states[0])
    assert_exactly_once(flat(workers_before) + flat(after), rows, "2 workers -> 2 ranks")
    passed.append("2 workers -> 2 ranks")

    # Workers -> more ranks (virtual world 2 -> 3: server re-split).
    after, _, _ = run(url, name, 3, 0, shuffle, state=grow_states[0])
    assert_exactly_once(flat(grow_before) + flat(after), rows, "2 workers -> 3 ranks")
    passed.append("2 workers -> 3 ranks")

    # Same world, rank-local states, another batch size: each rank continues its own order exactly.
    reference, _, _ = run(url, name, 2, 0, shuffle)
    before, _, states = run(url, name, 2, 0, shuffle, stop=[3, 2])
    for rank in range(2):
        resumed = dataset(url, name, rank, 2, shuffle, batch_size=10)
        resumed.load_state_dict(states[rank])
        assert before[rank] + ids_of(list(resumed)) == reference[rank], f"rank {rank} of 2 continues its order"
    passed.append("same world, rank-local state")

    # 2 ranks -> 3 ranks, and the resumed epoch interrupted again and resumed with 3 ranks.
    merged = merge_state_dicts(states)
    middle, _, middle_states = run(url, name, 3, 0, shuffle, stop=[1, 2, 1], state=merged)
    end, _, _ = run(url, name, 3, 0, shuffle, state=merge_state_dicts(middle_states))
    assert_exactly_once(flat(before) + flat(middle) + flat(end), rows, "2 -> 3 ranks, resumed twice")
    passed.append("2 -> 3 ranks, resumed twice")

    # 3 ranks -> 1 rank with 2 workers (forkserver, since this process now uses Flight).
    before, _, states = run(url, name, 3, 0, shuffle, stop=[2, 1, 3])
    after, _, _ = run(url, name, 1, 2, shuffle, state=merge_state_dicts(states))
    assert_exactly_once(flat(before) + flat(after), rows, "3 ranks -> 1 rank x 2 workers")
    passed.append("3 ranks -> 1 rank x 2 workers")

    # drop_last after a re-split: equal batch counts, full batches, nothing twice.
    before, _, states = run(url, name, 2, 0, shuffle, stop=[2, 2])
    after, counts, _ = run(url, name, 3, 0, shuffle, state=merge_state_dicts(states), drop_last=True)
    assert len(set(counts)) == 1, f"drop_last after resume: batch counts {counts}"
    seen = flat(before) + flat(after)
    assert len(seen) == len(set(seen)), "drop_last after resume: duplicated rows"
    assert all(len(part) == 16 * counts[0] for part in after), "drop_last after resume: short batches"
    passed.append("drop_last after resume")

    # A finished epoch's state resumes to nothing.
    assert run(url, name, 1, 0, shuffle, state=whole_states[0])[0] == [[]], "a finished epoch resumes to no rows"
    passed.append("finished epoch")
    return passed


@pytest.mark.parametrize("shuffle", [False, True], ids=["plain", "shuffle"])
def test_an_epoch_resumes_exactly_with_the_same_or_another_world_size_and_worker_count(cov_url: str, transport: str, shuffle: bool) -> None:
    assert scenarios(cov_url, "cov", COV_ROWS, shuffle) == [
        "2 workers -> 2 ranks",
        "2 workers -> 3 ranks",
        "same world, rank-local state",
        "2 -> 3 ranks, resumed twice",
        "3 ranks -> 1 rank x 2 workers",
        "drop_last after resume",
        "finished epoch",
    ]
