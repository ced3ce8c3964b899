"""What the long-lived contender workers (epoch_worker.py, torch_worker.py) share: the stdin/stdout
protocol loop and the Ray contender's arguments and start-up.

A worker sets up its contender once, prints {"ready": true, "kind", "pid", ...}, then runs one full
epoch per `run` line on stdin and prints {"seconds", "rows", "bytes", "batches", "checksum"}.
`exit` or end of input stops it.
"""

import os
import signal
import sys
import time

from epoch_common import emit, protocol_stream


def add_ray_parser(kinds):
    """The `ray` kind of a worker's subparsers: --path DIR --temp-dir DIR [--object-store-mib 512]."""
    ray = kinds.add_parser("ray")
    ray.add_argument("--path", required=True)
    ray.add_argument("--temp-dir", required=True)
    ray.add_argument("--object-store-mib", type=int, default=512)


def start_ray(args):
    """Starts Ray in this process on every core (no dashboard, driver logs or progress bars); returns ray.data."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    import ray.data

    ray.init(
        num_cpus=os.cpu_count(),
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=args.object_store_mib * 1024 * 1024,
        _temp_dir=args.temp_dir,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray.data


def serve(args, contenders, new_tally, ready=None):
    """Sets up contenders[args.kind] and answers run/exit lines until exit or end of input; returns 0.

    `new_tally()` makes each epoch's consumer (it has as_dict()); `ready` adds fields to the ready line.
    """
    # SystemExit on SIGTERM runs atexit handlers, so Ray's shutdown stops the processes it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out = protocol_stream()
    epoch = contenders[args.kind](args)
    emit(out, {"ready": True, "kind": args.kind, "pid": os.getpid(), **(ready or {})})
    for line in sys.stdin:
        command = line.strip()
        if command == "exit":
            break
        if command != "run":
            emit(out, {"error": f"unknown command {command!r}"})
            continue
        tally = new_tally()
        start = time.perf_counter()
        epoch(tally)
        seconds = time.perf_counter() - start
        emit(out, {"seconds": seconds, **tally.as_dict()})
    return 0
