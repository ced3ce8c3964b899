"""Where this process runs, as the server names hosts (client/src/host-id.ts).

The same id tells a reader whether a node shares its host (same-host reads) and tells the
coordinator which partitions lie beside a rank (locality, docs/cluster.md).
"""

from __future__ import annotations

import functools
import os
import socket


@functools.lru_cache(maxsize=1)
def host_id() -> str:
    """FLIGHTCACHE_HOST_ID when set, else "<boot id> <network namespace>", else the host name."""
    configured = os.environ.get("FLIGHTCACHE_HOST_ID")
    if configured:
        return configured
    try:
        with open("/proc/sys/kernel/random/boot_id") as file:
            boot = file.read().strip()
        return f"{boot} {os.readlink('/proc/self/ns/net')}"
    except OSError:
        return f"hostname:{socket.gethostname()}"


def rank_hosts() -> list[str]:
    """Every rank's host id, in rank order, gathered over torch.distributed (the same list on every
    rank): pass it as `hosts=` to flightcache.share_request. Needs an initialized process group."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError("rank_hosts needs torch.distributed initialized (init_process_group) to gather every rank's host")
    hosts: list = [None] * dist.get_world_size()
    dist.all_gather_object(hosts, host_id())
    return [str(host) for host in hosts]
