"""flightcache.host and the "host"/"hosts" of share requests."""
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


def test_host_id_is_the_boot_id_and_the_network_namespace():
    with open("/proc/sys/kernel/random/boot_id") as file:
        boot = file.read().strip()
    assert re.fullmatch(re.escape(boot) + r" net:\[\d+\]", host_id()), host_id()


def test_flightcache_host_id_overrides_the_host_id():
    code = "from flightcache.host import host_id; print(host_id())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "FLIGHTCACHE_HOST_ID": "node-7"}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "node-7", out


def test_every_descriptor_says_where_this_process_runs_and_a_request_s_own_host_is_kept():
    body = json.loads(descriptor(share_request("d", rank=1, world_size=2)).command)
    assert body == {"dataset": "d", "rank": 1, "world_size": 2, "host": host_id()}, body
    kept = json.loads(descriptor({**share_request("d"), "host": "elsewhere"}).command)
    assert kept["host"] == "elsewhere", kept


def test_share_request_takes_one_host_per_rank_and_the_old_ranks_hosts_of_a_resume():
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


def test_rank_hosts_gathers_every_rank_s_host_id_in_rank_order_the_same_list_on_every_rank():
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


def test_rank_hosts_without_a_process_group_says_what_it_needs():
    try:
        rank_hosts()
    except RuntimeError as error:
        assert "init_process_group" in str(error)
    else:
        raise AssertionError("rank_hosts ran without a process group")
