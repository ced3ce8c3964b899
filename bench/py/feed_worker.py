"""A long-lived contender of the `feed` suite (the epoch suite's worker protocol): sets up once,
prints {"ready": ...}, then runs one full epoch into torch tensors per `run` line on stdin and prints
{"seconds", "cpuSeconds", "rows", "bytes", "batches", "checksum"}. `exit` or end of input stops it.

    python feed_worker.py flightcache --url URL --name SHAPE [--workers 0] [--transport grpc|shm] [--shuffle]
    python feed_worker.py ipc-mmap --path FILE --name SHAPE [--shuffle]
    python feed_worker.py parquet --path DIR --name SHAPE [--shuffle] [--workers 0]
    python feed_worker.py ray --path DIR --name SHAPE --temp-dir DIR [--object-store-mib 512] [--shuffle]
    python feed_worker.py memcpy --path FILE --name SHAPE

Every contender delivers dicts of tensors of the shape's batch size, touched in full by
torch_common.TensorTally. "Shuffled" local contenders permute the stored batches and the rows within
each (numpy, seeded per epoch), as the server does. cpuSeconds is the CPU time of this process tree
during the epoch (DataLoader workers and Ray's processes included).
"""

import argparse
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from feed_common import SHAPES, tree_cpu_seconds
from torch_common import TensorTally
from worker_protocol import add_ray_parser, serve, start_ray

from flightcache.torch import FlightCacheDataset, batch_to_tensors, make_dataloader  # noqa: E402

SEED = 7


class FeedTally(TensorTally):
    """TensorTally plus the epoch's CPU seconds, set by the timed epoch."""

    cpu_seconds = 0.0

    def as_dict(self):
        return {**super().as_dict(), "cpuSeconds": self.cpu_seconds}


def _with_cpu(epoch):
    def timed(tally):
        start = tree_cpu_seconds()
        epoch(tally)
        tally.cpu_seconds = tree_cpu_seconds() - start

    return timed


def _permutation(rng, count, shuffle):
    return rng.permutation(count) if shuffle else np.arange(count)


def _column_arrays(batch):
    """Each column of a stored batch as a numpy array, rows first (fixed_size_list: 2-D), without copying."""
    arrays = []
    for column in batch.columns:
        if pa.types.is_fixed_size_list(column.type):
            width = column.type.list_size
            arrays.append(column.values.to_numpy(zero_copy_only=True)[column.offset * width :].reshape(len(column), width))
        else:
            arrays.append(column.to_numpy(zero_copy_only=True))
    return arrays


def _gathered(names, arrays, rows):
    """The rows `rows` of every column gathered into new tensors (numpy take releases the GIL)."""
    return {name: torch.from_numpy(np.take(array, rows, axis=0)) for name, array in zip(names, arrays)}


def _slices(batch, batch_rows, order, names):
    """A stored batch as tensors of batch_rows rows: zero-copy slices in order, or gathered by `order`."""
    if order is None:
        for start in range(0, batch.num_rows, batch_rows):
            yield batch_to_tensors(batch.slice(start, batch_rows))
        return
    arrays = _column_arrays(batch)
    for start in range(0, batch.num_rows, batch_rows):
        yield _gathered(names, arrays, order[start : start + batch_rows])


def _stored_batches(read_batch, count, shuffle, rng, batch_rows, names):
    for index in _permutation(rng, count, shuffle):
        batch = read_batch(int(index))
        yield from _slices(batch, batch_rows, rng.permutation(batch.num_rows) if shuffle else None, names)


def flightcache_contender(args):
    """FlightCacheDataset through make_dataloader: prefetch thread (0 workers) or persistent forkserver workers."""
    spec = SHAPES[args.name]
    dataset = FlightCacheDataset(args.url, args.name, batch_size=spec["batch_rows"], shuffle=args.shuffle, seed=SEED, transport=args.transport)
    # Fails the set-up (and so skips the contender, with the reason) when this host cannot read that way.
    if dataset.transport != args.transport:
        raise SystemExit(f"error: asked for transport {args.transport!r}, this host reads the dataset over {dataset.transport!r}")
    # Persistent workers keep their connections and mappings from one epoch to the next.
    loader = make_dataloader(dataset, num_workers=args.workers, persistent_workers=args.workers > 0)

    def epoch(tally):
        for batch in loader:
            tally.add(batch)

    return epoch


def ipc_mmap_contender(args):
    """The physical anchor: the IPC file memory-mapped, sliced (or gathered) into the same tensors."""
    spec = SHAPES[args.name]
    reader = pa.ipc.open_file(pa.memory_map(args.path))
    names = reader.schema.names

    def epoch(tally):
        rng = np.random.default_rng(SEED)
        for tensors in _stored_batches(reader.get_batch, reader.num_record_batches, args.shuffle, rng, spec["batch_rows"], names):
            tally.add(tensors)

    return epoch


def _row_groups(path):
    files = [pq.ParquetFile(os.path.join(path, name)) for name in sorted(os.listdir(path)) if name.endswith(".parquet")]
    groups = [(file, index) for file in files for index in range(file.num_row_groups)]
    return groups, files[0].schema_arrow.names


def _read_group(groups):
    def read(index):
        file, group = groups[index]
        return file.read_row_group(group).combine_chunks().to_batches()[0]

    return read


class ParquetGroups(IterableDataset):
    """Row groups split across DataLoader workers (worker w of W reads every W-th group of the epoch's order)."""

    def __init__(self, path, batch_rows, shuffle):
        self.path, self.batch_rows, self.shuffle = path, batch_rows, shuffle

    def __iter__(self):
        worker = get_worker_info()
        workers, index = (worker.num_workers, worker.id) if worker is not None else (1, 0)
        groups, names = _row_groups(self.path)
        rng = np.random.default_rng(SEED)
        order = _permutation(rng, len(groups), self.shuffle)
        rng = np.random.default_rng([SEED, index])
        for group in order[index::workers]:
            yield from _one_group(groups, int(group), self.batch_rows, self.shuffle, rng, names)


def _one_group(groups, group, batch_rows, shuffle, rng, names):
    batch = _read_group(groups)(group)
    return _slices(batch, batch_rows, rng.permutation(batch.num_rows) if shuffle else None, names)


def parquet_contender(args):
    """Local Parquet, row group by row group (pyarrow's threaded decoding), in one process or behind a DataLoader."""
    spec = SHAPES[args.name]
    if args.workers > 0:
        loader = DataLoader(ParquetGroups(args.path, spec["batch_rows"], args.shuffle), batch_size=None, num_workers=args.workers)
    else:
        loader = ParquetGroups(args.path, spec["batch_rows"], args.shuffle)

    def epoch(tally):
        for tensors in loader:
            tally.add(tensors)

    return epoch


def ray_contender(args):
    """Ray Data read_parquet(...).iter_torch_batches, with a local shuffle buffer of one stored batch when shuffled."""
    spec = SHAPES[args.name]
    ray_data = start_ray(args)
    shuffle = {"local_shuffle_buffer_size": spec["stored_rows"], "local_shuffle_seed": SEED} if args.shuffle else {}

    def epoch(tally):
        for batch in ray_data.read_parquet(args.path).iter_torch_batches(batch_size=spec["batch_rows"], **shuffle):
            tally.add(batch)

    return epoch


def memcpy_contender(args):
    """The copy floor: the data in memory, each batch copied into reused tensors and touched."""
    spec = SHAPES[args.name]
    table = pa.ipc.open_file(pa.OSFile(args.path)).read_all()
    batches = [_column_arrays(batch) for batch in table.to_batches()]
    names = table.schema.names
    rows = spec["batch_rows"]
    targets = [torch.from_numpy(np.empty((rows, *array.shape[1:]), dtype=array.dtype)) for array in batches[0]]

    def epoch(tally):
        for arrays in batches:
            for start in range(0, len(arrays[0]), rows):
                for target, array in zip(targets, arrays):
                    target.numpy()[:] = array[start : start + rows]
                tally.add(dict(zip(names, targets)))

    return epoch


CONTENDERS = {
    "flightcache": flightcache_contender,
    "ipc-mmap": ipc_mmap_contender,
    "parquet": parquet_contender,
    "ray": ray_contender,
    "memcpy": memcpy_contender,
}


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    fc = kinds.add_parser("flightcache")
    fc.add_argument("--url", required=True)
    fc.add_argument("--workers", type=int, default=0)
    fc.add_argument("--transport", choices=["grpc", "shm"], default="grpc")
    for name in ("ipc-mmap", "memcpy"):
        kinds.add_parser(name).add_argument("--path", required=True)
    kinds.add_parser("parquet").add_argument("--path", required=True)
    kinds.choices["parquet"].add_argument("--workers", type=int, default=0)
    add_ray_parser(kinds)
    for kind in kinds.choices.values():
        kind.add_argument("--name", required=True, choices=sorted(SHAPES))
        kind.add_argument("--shuffle", action="store_true")
    return parser


def main(argv):
    args = _parser().parse_args(argv)
    contenders = {kind: (lambda make: lambda a: _with_cpu(make(a)))(make) for kind, make in CONTENDERS.items()}
    return serve(args, contenders, FeedTally, {"torch": torch.__version__})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
