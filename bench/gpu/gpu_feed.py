"""GPU feed benchmark: streams a flightcache dataset through FlightCacheDataset into CUDA tensors
under a synthetic training step, and measures how well the GPU is fed. Started by bench/gpu/run.sh,
which brings up the cluster; see bench/gpu/README.md.

    python gpu_feed.py --url grpc://HOST:PORT [--gb 1] [--device cuda|cpu] [--out bench/results/gpu.json]
                       [--batch-size 16384] [--epochs 1] [--hidden N] [--sweep N,N,...] [--layers 3]
                       [--read-ahead 4] [--contenders shm,grpc,ipc-mmap] [--no-shuffle]

Contenders, in one run over the same data: FlightCacheDataset with transport "shm" (the same-host
path: tensors from the shard's shared memory) and "grpc", and the physical anchor: a local Arrow IPC
file memory-mapped and sliced (or gathered, shuffled) into the same tensors. Each contender warms up
for one epoch, then runs `--epochs` epochs at every MLP width of the sweep (the last is reported),
so each step time is measured against each feed. Per step: the next host batch comes from a
DataLoader (pinned on CUDA), its tensors are copied to the GPU on a side CUDA stream (non_blocking),
the compute stream waits for that copy and runs an MLP forward/backward/SGD step on it. The copy of
batch i+1 and the host's wait for it overlap the GPU's step i; at most two steps are in flight. With
--device cpu the same loop runs on the CPU (no pinning, no streams) as a dry run.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# The torch suite's data generator; importing torch_common also puts the flightcache package on sys.path.
sys.path.insert(0, os.path.join(REPO, "bench", "py"))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, IterableDataset  # noqa: E402
from torch_common import CLASSES, FEATURES, GENERATE_ROWS, ROW_BYTES, SCHEMA, generate_record_batches  # noqa: E402
from feed_worker import _stored_batches  # noqa: E402

import flightcache  # noqa: E402
from flightcache.torch import FlightCacheDataset, make_dataloader  # noqa: E402

DATASET = "gpu-feed"
CONTENDERS = ("shm", "grpc", "ipc-mmap")
# GPU idle at or under this share of the epoch counts as fed (issue 11's goal).
IDLE_GOAL = 0.05


def log(message):
    """Progress on stderr."""
    print(f"gpu_feed: {message}", file=sys.stderr, flush=True)


def load(url, gb, ipc_path):
    """Generates about `gb` GB, DoPuts it (streaming) and writes the same batches to an Arrow IPC file at `ipc_path`; returns (rows, bytes)."""
    counted = {"rows": 0, "bytes": 0}

    def counting(writer):
        for batch in generate_record_batches(int(gb * 1e9), seed=42):
            counted["rows"] += batch.num_rows
            counted["bytes"] += batch.nbytes
            writer.write_batch(batch)
            if counted["rows"] % (GENERATE_ROWS * 64) == 0:
                log(f"loaded {counted['bytes'] / 1e9:.2f} GB")
            yield batch

    with pa.OSFile(ipc_path, "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
        with flightcache.Client(url) as client:
            stored = client.put(DATASET, pa.RecordBatchReader.from_batches(SCHEMA, counting(writer)))
    if stored != counted["rows"]:
        raise SystemExit(f"gpu_feed: the cluster stored {stored} rows, {counted['rows']} were sent")
    return counted["rows"], counted["bytes"]


class IpcEpochs(IterableDataset):
    """The anchor: the IPC file memory-mapped, each stored batch sliced (in order) or gathered (shuffled:
    stored batches and the rows within each permuted, seeded per epoch, as the server does) into tensors."""

    def __init__(self, path, batch_rows, shuffle):
        self.reader = pa.ipc.open_file(pa.memory_map(path))
        self.batch_rows = batch_rows
        self.shuffle = shuffle
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        rng = np.random.default_rng([7, self.epoch])
        reader = self.reader
        return _stored_batches(reader.get_batch, reader.num_record_batches, self.shuffle, rng, self.batch_rows, reader.schema.names)


def contender_loader(name, args, ipc_path, cuda):
    """(dataset with set_epoch, loader) of a contender; SystemExit with the reason when this host cannot read that way."""
    if name == "ipc-mmap":
        dataset = IpcEpochs(ipc_path, args.batch_size, not args.no_shuffle)
        return dataset, DataLoader(dataset, batch_size=None, pin_memory=cuda)
    dataset = FlightCacheDataset(
        args.url, DATASET, batch_size=args.batch_size, shuffle=not args.no_shuffle, seed=0, read_ahead=args.read_ahead, transport=name
    )
    if dataset.transport != name:
        raise SystemExit(f"transport {name!r} asked for, this host reads the dataset over {dataset.transport!r}")
    return dataset, make_dataloader(dataset, pin_memory=cuda)


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


def widths(text):
    """A comma-separated list of MLP widths, ascending and distinct."""
    values = sorted({int(part) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"expected widths >= 1 such as 512,1024,2048, got {text!r}")
    return values


def contender_names(text):
    """A comma-separated list of contenders."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in CONTENDERS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"contenders are {', '.join(CONTENDERS)}; got {text!r}")
    return names


def shortest_fed_step(points):
    """The median step (ms) of the fastest sweep point whose GPU idle stays within IDLE_GOAL, and its width; (None, None) when none does."""
    fed = [p for p in points if p["gpuIdleFraction"] <= IDLE_GOAL and p["stepMsMedian"] is not None]
    if not fed:
        return None, None
    best = min(fed, key=lambda p: p["stepMsMedian"])
    return best["stepMsMedian"], best["hidden"]


def run_contender(name, args, ipc_path, device, clock, rows, hidden, sweep):
    """A contender's warm-up epoch and its sweep; returns its record (or the reason it was skipped)."""
    cuda = device.type == "cuda"
    try:
        dataset, loader = contender_loader(name, args, ipc_path, cuda)
    except (SystemExit, Exception) as error:  # noqa: BLE001 - any failure to set up skips the contender with its reason
        log(f"{name}: skipped ({error})")
        return {"skipped": str(error)}
    epoch_index = 0
    runs = []
    for label, width, count in [("warm-up", hidden, 1)] + [("sweep", width, args.epochs) for width in sweep]:
        torch.manual_seed(0)
        model = Model(width, args.layers).to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        for _ in range(count):
            dataset.set_epoch(epoch_index)
            result = run_epoch(loader, model, optimizer, device, clock)
            if result["rows"] != rows:
                raise SystemExit(f"gpu_feed: {name} epoch {epoch_index} delivered {result['rows']} rows, the dataset has {rows}")
            epoch_index += 1
        log(
            f"{name} {label} hidden {width}: {result['seconds']:.2f} s, {result['samplesPerSec'] / 1e6:.2f} M samples/s, "
            f"feed {result['feedGbps']:.2f} GB/s, step {result['stepMsMedian']:.2f} ms, data wait {result['dataWaitFraction']:.1%}, "
            f"GPU idle {result['gpuIdleFraction']:.1%}"
        )
        runs.append({"label": label, "hidden": width, **result})
    sweep_points = [run for run in runs if run["label"] == "sweep"]
    step, width = shortest_fed_step(sweep_points)
    transport = getattr(dataset, "transport", None) if name != "ipc-mmap" else None
    return {
        "transport": transport,
        "warmup": {k: v for k, v in runs[0].items() if k != "label"},
        "sweep": [{k: v for k, v in run.items() if k != "label"} for run in sweep_points],
        "shortestFedStepMs": step,
        "shortestFedHidden": width,
    }


def summary(record):
    """The one-screen summary of a record, as lines."""
    p = record["params"]
    lines = [
        f"GPU feed on {record['gpuName'] or 'the CPU (dry run)'}: {p['dataBytes'] / 1e9:.2f} GB, {p['batchRows']}-row batches, "
        f"{'shuffled' if p['shuffle'] else 'in order'}, {p['shards']} shards, MLP {p['layers']} x hidden; load {p['loadSeconds']:.1f} s",
        "GPU idle / data wait / feed GB/s per contender, by MLP width and its median step (ms, first contender's):",
    ]
    names = [name for name in p["contenders"] if "sweep" in record["contenders"][name]]
    header = f"{'hidden':>7} {'step':>7} " + " ".join(f"{name:>22}" for name in names)
    lines.append(header)
    for i, width in enumerate(p["sweep"]):
        points = [record["contenders"][name]["sweep"][i] for name in names]
        step = points[0]["stepMsMedian"] if points else None
        cells = " ".join(f"{q['gpuIdleFraction']:>7.1%} {q['dataWaitFraction']:>6.1%} {q['feedGbps']:>7.2f}" for q in points)
        lines.append(f"{width:>7} {step if step is not None else float('nan'):>7.2f} {cells}")
    for name in p["contenders"]:
        entry = record["contenders"][name]
        if "skipped" in entry:
            lines.append(f"{name}: skipped: {entry['skipped']}")
            continue
        fed = "never" if entry["shortestFedStepMs"] is None else f"{entry['shortestFedStepMs']:.2f} ms (hidden {entry['shortestFedHidden']})"
        lines.append(f"{name}: shortest step with GPU idle <= {IDLE_GOAL:.0%}: {fed}")
    goal = record.get("goal")
    if goal:
        met = "met" if goal["met"] else "NOT met"
        lines.append(
            f"goal at the default step (hidden {goal['hidden']}, {goal['stepMsMedian']:.2f} ms, {goal['contender']}): GPU idle {goal['gpuIdleFraction']:.1%}, "
            f"data wait {goal['dataWaitFraction']:.1%} (both <= {IDLE_GOAL:.0%}: {met})"
        )
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "results", "gpu.json"))
    parser.add_argument("--batch-size", type=int, default=16_384)
    parser.add_argument("--epochs", type=int, default=1, help="epochs per sweep point, after one warm-up epoch per contender; the last is reported")
    parser.add_argument("--hidden", type=int, default=None, help="the default step's MLP width (default 2048 on cuda, about 4.5 ms on an H200; 64 on cpu)")
    parser.add_argument("--sweep", type=widths, default=None, help="MLP widths to measure (default 256,512,1024,2048,3072 on cuda, 16,64 on cpu); --hidden is always one")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--contenders", type=contender_names, default=list(CONTENDERS), help="which of shm, grpc, ipc-mmap to run, in this order")
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
    sweep = sorted(set(args.sweep or ([256, 512, 1024, 2048, 3072] if cuda else [16, 64])) | {hidden})
    gpu_name = torch.cuda.get_device_name(device) if cuda else None
    log(f"device {args.device}{f' ({gpu_name})' if gpu_name else ''}, torch {torch.__version__}, pyarrow {pa.__version__}")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True

    commit, dirty = source_state()
    load_before = load_average()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gpu-feed-") as scratch:
        ipc_path = os.path.join(scratch, "gpu-feed.arrow")
        log(f"generating {args.gb} GB, loading it into {args.url} and writing {ipc_path}")
        rows, data_bytes = load(args.url, args.gb, ipc_path)
        load_seconds = time.perf_counter() - began
        log(f"loaded {rows} rows, {data_bytes / 1e9:.2f} GB in {load_seconds:.1f} s")
        clock = Clock(device)
        contenders = {name: run_contender(name, args, ipc_path, device, clock, rows, hidden, sweep) for name in args.contenders}

    measured_in = next((name for name in args.contenders if "sweep" in contenders[name]), None)
    measured = None
    goal = None
    if measured_in is not None:
        measured = next(point for point in contenders[measured_in]["sweep"] if point["hidden"] == hidden)
        goal = {
            "contender": measured_in,
            "hidden": hidden,
            "stepMsMedian": measured["stepMsMedian"],
            "gpuIdleFraction": measured["gpuIdleFraction"],
            "dataWaitFraction": measured["dataWaitFraction"],
            "met": measured["gpuIdleFraction"] <= IDLE_GOAL and measured["dataWaitFraction"] <= IDLE_GOAL,
        }

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
            "sweep": sweep,
            "layers": args.layers,
            "contenders": args.contenders,
            "shuffle": not args.no_shuffle,
            "shards": int(os.environ.get("GPU_FEED_SHARDS", "2")),
            "readAhead": args.read_ahead,
            "epochs": args.epochs,
            "pinMemory": cuda,
            "tf32": cuda,
            "loadSeconds": load_seconds,
        },
        # The default step over the first contender that ran (shm unless skipped): the headline.
        "measuredContender": measured_in,
        "measured": measured,
        "goal": goal,
        "contenders": contenders,
        "totalSeconds": time.perf_counter() - began,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        json.dump(record, out, indent=2)
        out.write("\n")
    log(f"wrote {args.out}")
    print("\n".join(summary(record)), flush=True)
    return 0 if measured_in is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
