"""GPU feed benchmark: streams a flightcache dataset through FlightCacheDataset into CUDA tensors
under a synthetic training step, and measures how well the GPU is fed. Started by bench/gpu/run.sh,
which brings up the cluster; see bench/gpu/README.md.

    python gpu_feed.py --url grpc://HOST:PORT [--gb 2] [--device cuda|cpu] [--out bench/results/gpu.json]
                       [--batch-size 16384] [--epochs 2] [--hidden N] [--layers 3] [--no-shuffle] [--read-ahead 4]

Per step: the next host batch comes from make_dataloader (pinned by the DataLoader on CUDA), its
tensors are copied to the GPU on a side CUDA stream (non_blocking), the compute stream waits for
that copy and runs an MLP forward/backward/SGD step on it. The copy of batch i+1 and the host's
wait for it overlap the GPU's step i; at most two steps are in flight. With --device cpu the same
loop runs on the CPU (no pinning, no streams) as a dry run.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# The torch suite's data generator; importing torch_common also puts the flightcache package on sys.path.
sys.path.insert(0, os.path.join(REPO, "bench", "py"))

import pyarrow as pa  # noqa: E402
import torch  # noqa: E402
from torch_common import CLASSES, FEATURES, GENERATE_ROWS, ROW_BYTES, SCHEMA, generate_record_batches  # noqa: E402

import flightcache  # noqa: E402
from flightcache.torch import FlightCacheDataset, make_dataloader  # noqa: E402

DATASET = "gpu-feed"


def log(message):
    """Progress on stderr."""
    print(f"gpu_feed: {message}", file=sys.stderr, flush=True)


def load(url, gb):
    """Generates about `gb` GB and DoPuts it, streaming; returns (rows, bytes)."""
    counted = {"rows": 0, "bytes": 0}

    def counting():
        for batch in generate_record_batches(int(gb * 1e9), seed=42):
            counted["rows"] += batch.num_rows
            counted["bytes"] += batch.nbytes
            if counted["rows"] % (GENERATE_ROWS * 64) == 0:
                log(f"loaded {counted['bytes'] / 1e9:.2f} GB")
            yield batch

    with flightcache.Client(url) as client:
        stored = client.put(DATASET, pa.RecordBatchReader.from_batches(SCHEMA, counting()))
    if stored != counted["rows"]:
        raise SystemExit(f"gpu_feed: the cluster stored {stored} rows, {counted['rows']} were sent")
    return counted["rows"], counted["bytes"]


class Clock:
    """Intervals on the device: CUDA events on a stream, or perf_counter on the CPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def mark(self, stream=None):
        """A point in time on `stream` (the current stream when None)."""
        if not self.cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record(stream)
        return event

    def seconds(self, start, end):
        """Seconds between two marks (CUDA: after the end event has completed)."""
        return start.elapsed_time(end) / 1e3 if self.cuda else end - start


class Model(torch.nn.Module):
    """An MLP over the 16 features predicting the label: enough matmul work for a step of a few ms."""

    def __init__(self, hidden, layers):
        super().__init__()
        blocks = [torch.nn.Linear(FEATURES, hidden), torch.nn.ReLU()]
        for _ in range(layers - 1):
            blocks += [torch.nn.Linear(hidden, hidden), torch.nn.ReLU()]
        blocks.append(torch.nn.Linear(hidden, CLASSES))
        self.net = torch.nn.Sequential(*blocks)

    def forward(self, x):
        return self.net(x)


def run_epoch(loader, model, optimizer, device, clock):
    """One epoch of the overlapped copy/compute loop; returns its measurements."""
    cuda = device.type == "cuda"
    copy_stream = torch.cuda.Stream() if cuda else None
    compute_stream = torch.cuda.current_stream() if cuda else None
    loss_fn = torch.nn.CrossEntropyLoss()
    totals = {"wait": 0.0, "rows": 0, "bytes": 0, "batches": 0}
    copies, steps = [], []
    iterator = iter(loader)

    def fetch():
        started = time.perf_counter()
        host = next(iterator, None)
        totals["wait"] += time.perf_counter() - started
        return host

    def to_device(host):
        if host is None:
            return None
        totals["rows"] += host["label"].shape[0]
        totals["bytes"] += sum(t.numel() * t.element_size() for t in host.values())
        if not cuda:
            return {name: t.to(device) for name, t in host.items()}, None
        with torch.cuda.stream(copy_stream):
            start = clock.mark(copy_stream)
            moved = {name: t.to(device, non_blocking=True) for name, t in host.items()}
            end = clock.mark(copy_stream)
        copies.append((start, end))
        # The pinned host buffers may go out of scope now: the caching host allocator keeps each
        # block until the copy's stream has passed it.
        return moved, end

    began = time.perf_counter()
    pending = to_device(fetch())
    in_flight = []
    while pending is not None:
        batch, copied = pending
        if cuda:
            compute_stream.wait_event(copied)
            for tensor in batch.values():
                tensor.record_stream(compute_stream)
        start = clock.mark()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(batch["features"]), batch["label"].long())
        loss.backward()
        optimizer.step()
        end = clock.mark()
        steps.append((start, end))
        in_flight.append(end)
        totals["batches"] += 1
        pending = to_device(fetch())
        if cuda and len(in_flight) > 2:
            in_flight.pop(0).synchronize()
    if cuda:
        torch.cuda.synchronize()
    wall = time.perf_counter() - began
    step_seconds = [clock.seconds(s, e) for s, e in steps]
    copy_seconds = sum(clock.seconds(s, e) for s, e in copies) if cuda else None
    return {
        "seconds": wall,
        "rows": totals["rows"],
        "bytes": totals["bytes"],
        "batches": totals["batches"],
        "samplesPerSec": totals["rows"] / wall,
        "feedGbps": totals["bytes"] / wall / 1e9,
        "h2dGbps": totals["bytes"] / copy_seconds / 1e9 if copy_seconds else None,
        "dataWaitSeconds": totals["wait"],
        "dataWaitFraction": totals["wait"] / wall,
        "gpuIdleFraction": max(0.0, 1 - sum(step_seconds) / wall),
        "stepMsMedian": statistics.median(step_seconds) * 1e3 if step_seconds else None,
        "lastLoss": float(loss.detach()) if totals["batches"] else None,
    }


def source_state():
    """(commit, dirty) of the checkout as bench/provenance.ts records them; (None, None) outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return head, changes != ""


def load_average():
    """The 1, 5 and 15 minute load averages (bench/provenance.ts field names)."""
    one, five, fifteen = os.getloadavg()
    return {"one": one, "five": five, "fifteen": fifteen}


def machine(node_version):
    """The harness's machine summary (bench/machine.ts field names)."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    return {
        "hostname": platform.node(),
        "cpuModel": cpu,
        "cores": os.cpu_count(),
        "memoryBytes": memory,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "node": node_version,
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "results", "gpu.json"))
    parser.add_argument("--batch-size", type=int, default=16_384)
    parser.add_argument("--epochs", type=int, default=2, help="the first is a warm-up; the last is reported")
    parser.add_argument("--hidden", type=int, default=None, help="MLP width (default 2048 on cuda, 64 on cpu)")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--read-ahead", type=int, default=4, help="endpoints FlightCacheDataset reads concurrently")
    parser.add_argument("--node-version", default=None)
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu_feed: --device cuda, but torch.cuda.is_available() is False (a CPU-only torch, or no driver)")
    if args.epochs < 1 or args.batch_size < 1 or args.layers < 1:
        raise SystemExit("gpu_feed: --epochs, --batch-size and --layers must be >= 1")
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    hidden = args.hidden or (2048 if cuda else 64)
    gpu_name = torch.cuda.get_device_name(device) if cuda else None
    log(f"device {args.device}{f' ({gpu_name})' if gpu_name else ''}, torch {torch.__version__}, pyarrow {pa.__version__}")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True

    commit, dirty = source_state()
    load_before = load_average()
    log(f"generating and loading {args.gb} GB into {args.url}")
    started = time.perf_counter()
    rows, data_bytes = load(args.url, args.gb)
    load_seconds = time.perf_counter() - started
    log(f"loaded {rows} rows, {data_bytes / 1e9:.2f} GB in {load_seconds:.1f} s")

    dataset = FlightCacheDataset(
        args.url, DATASET, batch_size=args.batch_size, shuffle=not args.no_shuffle, seed=0, read_ahead=args.read_ahead
    )
    loader = make_dataloader(dataset, pin_memory=cuda)
    model = Model(hidden, args.layers).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    clock = Clock(device)
    epochs = []
    for epoch in range(args.epochs):
        dataset.set_epoch(epoch)
        result = run_epoch(loader, model, optimizer, device, clock)
        if result["rows"] != rows:
            raise SystemExit(f"gpu_feed: epoch {epoch} delivered {result['rows']} rows, the dataset has {rows}")
        epochs.append({"epoch": epoch, **result})
        h2d = f", H2D {result['h2dGbps']:.2f} GB/s" if result["h2dGbps"] else ""
        log(
            f"epoch {epoch}{' (warm-up)' if epoch == 0 and args.epochs > 1 else ''}: {result['seconds']:.2f} s, "
            f"{result['samplesPerSec'] / 1e6:.2f} M samples/s, feed {result['feedGbps']:.2f} GB/s{h2d}, "
            f"step {result['stepMsMedian']:.2f} ms, data wait {result['dataWaitFraction']:.1%}, GPU idle {result['gpuIdleFraction']:.1%}"
        )

    load_after = load_average()
    # Envelope fields as bench/record.ts writes them; params hold every option, so the report's
    # reproduce command can give each back.
    record = {
        "suite": "gpu",
        "quick": False,
        "only": None,
        "date": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "commit": commit,
        "dirty": dirty,
        "machine": machine(args.node_version),
        "load": {"before": load_before, "after": load_after},
        "device": args.device,
        "gpuName": gpu_name,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "pyarrowVersion": pa.__version__,
        "params": {
            "gb": args.gb,
            "device": args.device,
            "dataBytes": data_bytes,
            "rows": rows,
            "batchRows": args.batch_size,
            "rowBytes": ROW_BYTES,
            "hidden": hidden,
            "layers": args.layers,
            "shuffle": not args.no_shuffle,
            "shards": int(os.environ.get("GPU_FEED_SHARDS", "2")),
            "readAhead": args.read_ahead,
            "epochs": args.epochs,
            "pinMemory": cuda,
            "tf32": cuda,
            "loadSeconds": load_seconds,
        },
        "measured": epochs[-1],
        "epochs": epochs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        json.dump(record, out, indent=2)
        out.write("\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
