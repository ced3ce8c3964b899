"""Physical limits of this machine for the `epoch` suite, as GB/s (1e9 bytes per second).
Prints ONE JSON line: {"runs": [{"name", "seconds", "bytes"}, ...]}.

    python limits.py --mib 256 --runs 3 --warmup 1

- tcp-loopback: one TCP connection over 127.0.0.1; a thread sends --mib MiB from one 4 MiB buffer
  with sendall, the main thread receives with recv_into into another (both release the GIL, so this
  is the kernel's copy cost: user -> socket buffer -> user).
- memcpy: numpy.copyto of --mib MiB between two preallocated arrays on one thread (bytes copied,
  i.e. each byte read once and written once).
"""

import argparse
import socket
import sys
import threading
import time

import numpy as np

from epoch_common import emit

CHUNK = 4 * 1024 * 1024


def tcp_loopback(total):
    """Seconds to move `total` bytes through one loopback TCP connection."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        payload = memoryview(np.ones(CHUNK, dtype=np.uint8))

        def send():
            with socket.create_connection(("127.0.0.1", port)) as sock:
                left = total
                while left > 0:
                    n = min(left, CHUNK)
                    sock.sendall(payload[:n])
                    left -= n

        sink = memoryview(bytearray(CHUNK))
        start = time.perf_counter()
        sender = threading.Thread(target=send)
        sender.start()
        conn, _ = server.accept()
        received = 0
        with conn:
            while received < total:
                n = conn.recv_into(sink)
                if n == 0:
                    break
                received += n
        sender.join()
        seconds = time.perf_counter() - start
    if received != total:
        raise SystemExit(f"tcp-loopback received {received} of {total} bytes")
    return seconds


def memcpy(source, target):
    """Seconds of one single-threaded copy of source into target."""
    start = time.perf_counter()
    np.copyto(target, source)
    return time.perf_counter() - start


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args(argv)
    total = args.mib * 1024 * 1024
    source = np.random.default_rng(7).integers(0, 255, total, dtype=np.uint8)
    target = np.empty_like(source)
    target.fill(0)  # fault the pages in before timing
    measures = {"tcp-loopback": lambda: tcp_loopback(total), "memcpy": lambda: memcpy(source, target)}
    runs = []
    for round_index in range(args.warmup + args.runs):
        for name, measure in measures.items():
            seconds = measure()
            if round_index >= args.warmup:
                runs.append({"name": name, "seconds": seconds, "bytes": total})
    emit(sys.stdout, {"runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
