"""DataLoader workers and gRPC: fork works while this process has not used Flight; afterwards a
forked worker fails at once with ForkAfterFlightError (instead of hanging), FlightCacheDataLoader
refuses fork up front, and make_dataloader picks forkserver; spawn works too.

    python torch_fork.py URL NAME ROWS
"""

import multiprocessing
import signal
import sys

import flightcache
from flightcache.torch import FlightCacheDataLoader, FlightCacheDataset, make_dataloader
from torch.utils.data import DataLoader
from torch_common import assert_exactly_once, check, finish, ids_of


def open_client(url, results):
    try:
        flightcache.Client(url).datasets()
        results.put("connected")
    except flightcache.ForkAfterFlightError as error:
        results.put(f"refused: {error}")


def main(argv):
    url, name, rows = argv[1], argv[2], int(argv[3])
    # A hang fails the test instead of blocking it.
    signal.alarm(120)
    passed = []
    data = FlightCacheDataset(url, name, batch_size=32)

    batches = list(DataLoader(data, batch_size=None, num_workers=2, multiprocessing_context="fork"))
    assert_exactly_once(ids_of(batches), rows, "plain DataLoader, fork, before Flight use")
    check(all(isinstance(batch, dict) for batch in batches), "a plain DataLoader gets dict batches")
    passed.append("fork before Flight use")

    check(name in [d.name for d in flightcache.Client(url).datasets()], f"the dataset {name} is listed")

    try:
        list(DataLoader(data, batch_size=None, num_workers=2, multiprocessing_context="fork"))
        raise AssertionError("a forked worker read after the parent used Flight")
    except flightcache.ForkAfterFlightError as error:
        check("spawn" in str(error) and "make_dataloader" in str(error), str(error))
    passed.append("fork after Flight use raises")

    try:
        FlightCacheDataLoader(data, num_workers=2, multiprocessing_context="fork")
        raise AssertionError("FlightCacheDataLoader accepted fork after Flight use")
    except flightcache.ForkAfterFlightError:
        passed.append("FlightCacheDataLoader refuses fork")

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=open_client, args=(url, results))
    child.start()
    outcome = results.get(timeout=60)
    child.join()
    check(outcome.startswith("refused: ") and "forked from process" in outcome, outcome)
    passed.append("Client in a forked child raises")

    loader = make_dataloader(data, num_workers=2)
    check(loader.multiprocessing_context.get_start_method() == "forkserver", "make_dataloader picks forkserver")
    assert_exactly_once(ids_of(list(loader)), rows, "make_dataloader")
    passed.append("make_dataloader (forkserver)")

    spawned = list(make_dataloader(data, num_workers=1, multiprocessing_context="spawn"))
    assert_exactly_once(ids_of(spawned), rows, "spawn")
    passed.append("spawn")
    finish(passed)


if __name__ == "__main__":
    main(sys.argv)
