"""Where this process runs, as the server names hosts (cache-server/samehost/host-id.ts).

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
