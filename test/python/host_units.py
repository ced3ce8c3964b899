"""Unit checks of flightcache.host and the "host"/"hosts" of share requests; prints {"passed": [...]}
on its last line, or raises. Run by test/interop/python-host.test.ts with PYTHONPATH=client/python/src.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import torch.distributed as dist
import torch.multiprocessing as mp
from flightcache.host import host_id, rank_hosts
from flightcache.request import descriptor, share_request

CHECKS = []


def check(name):
    """Registers a check; they run in order under __main__ (spawned ranks import this module too)."""
    def register(fn):
        CHECKS.append((name, fn))
        return fn
    return register


@check("host_id is the boot id and the network namespace")
def _():
    with open("/proc/sys/kernel/random/boot_id") as file:
        boot = file.read().strip()
    assert re.fullmatch(re.escape(boot) + r" net:\[\d+\]", host_id()), host_id()


@check("FLIGHTCACHE_HOST_ID overrides the host id")
def _():
    code = "from flightcache.host import host_id; print(host_id())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "FLIGHTCACHE_HOST_ID": "node-7"}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "node-7", out


@check("every descriptor says where this process runs, and a request's own host is kept")
def _():
    body = json.loads(descriptor(share_request("d", rank=1, world_size=2)).command)
    assert body == {"dataset": "d", "rank": 1, "world_size": 2, "host": host_id()}, body
    kept = json.loads(descriptor({**share_request("d"), "host": "elsewhere"}).command)
    assert kept["host"] == "elsewhere", kept


@check("share_request takes one host per rank and the old ranks' hosts of a resume")
def _():
    request = share_request("d", rank=0, world_size=2, hosts=["a", "b"], resume={"world_size": 1, "cursors": [None], "hosts": ["a"]})
    assert request["hosts"] == ["a", "b"] and request["resume"] == {"world_size": 1, "cursors": [None], "hosts": ["a"]}, request
    try:
        share_request("d", rank=0, world_size=2, hosts=["a"])
    except ValueError as error:
        assert str(error) == "hosts must list the host of each of the 2 ranks, got 1", error
    else:
        raise AssertionError("hosts of the wrong length accepted")


def _gather(rank, store, results):
    if rank == 1:
        os.environ["FLIGHTCACHE_HOST_ID"] = "rank-one-host"
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        results.put((rank, rank_hosts()))
    finally:
        dist.destroy_process_group()


@check("rank_hosts gathers every rank's host id in rank order, the same list on every rank")
def _():
    with tempfile.TemporaryDirectory() as scratch:
        context = mp.get_context("spawn")
        results = context.Queue()
        processes = [context.Process(target=_gather, args=(rank, os.path.join(scratch, "store"), results)) for rank in (0, 1)]
        for process in processes:
            process.start()
        got = dict(results.get(timeout=60) for _ in processes)
        for process in processes:
            process.join(30)
            assert process.exitcode == 0, process.exitcode
    assert got == {0: [host_id(), "rank-one-host"], 1: [host_id(), "rank-one-host"]}, got


@check("rank_hosts without a process group says what it needs")
def _():
    try:
        rank_hosts()
    except RuntimeError as error:
        assert "init_process_group" in str(error)
    else:
        raise AssertionError("rank_hosts ran without a process group")


if __name__ == "__main__":
    passed = []
    for name, fn in CHECKS:
        fn()
        passed.append(name)
    print(json.dumps({"passed": passed}))
