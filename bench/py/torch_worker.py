"""A long-lived contender of the `torch` suite (the epoch suite's worker protocol): sets up once,
prints {"ready": ...}, then runs one full epoch into torch tensors per `run` line on stdin and prints
{"seconds", "rows", "bytes", "batches", "checksum"}. `exit` or end of input stops it.

    python torch_worker.py flightcache --url grpc://HOST:PORT --name DATASET [--workers 0]
    python torch_worker.py parquet --path DIR
    python torch_worker.py parquet-loader --path DIR [--workers 2]
    python torch_worker.py ray --path DIR --temp-dir DIR [--object-store-mib 512]

Every contender delivers dicts of tensors of BATCH_ROWS rows to the loop, which touches every byte
(torch_common.TensorTally). Set-up (connecting, starting Ray) is never timed; DataLoader workers
start inside each epoch, as they do in a training loop without persistent workers.
"""

import argparse
import os
import sys

import pyarrow.dataset as ds
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from torch_common import TensorTally
from worker_protocol import add_ray_parser, serve, start_ray

from flightcache.torch import FlightCacheDataset, batch_to_tensors, make_dataloader  # noqa: E402

BATCH_ROWS = 8192


def flightcache_contender(args):
    """FlightCacheDataset through make_dataloader: prefetch thread (0 workers) or forkserver workers."""
    dataset = FlightCacheDataset(args.url, args.name, batch_size=BATCH_ROWS)
    loader = make_dataloader(dataset, num_workers=args.workers)

    def epoch(tally):
        for batch in loader:
            tally.add(batch)

    return epoch


def parquet_files(path):
    """The directory's Parquet files in name order."""
    return [os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith(".parquet")]


def parquet_tensors(files):
    """pyarrow.dataset over files (multi-threaded decoding), each 8192-row batch as tensors the way FlightCacheDataset converts them."""
    for batch in ds.dataset(files, format="parquet").to_batches(batch_size=BATCH_ROWS):
        yield batch_to_tensors(batch)


def parquet_contender(args):
    """(a): pyarrow.dataset in this process."""
    files = parquet_files(args.path)

    def epoch(tally):
        for batch in parquet_tensors(files):
            tally.add(batch)

    return epoch


class ParquetBatches(IterableDataset):
    """(b): the Parquet files split across DataLoader workers (worker w of W reads files w, w+W, ...)."""

    def __init__(self, files):
        self.files = files

    def __iter__(self):
        worker = get_worker_info()
        workers, index = (worker.num_workers, worker.id) if worker is not None else (1, 0)
        yield from parquet_tensors(self.files[index::workers])


def parquet_loader_contender(args):
    """(b): a torch DataLoader with workers (PyTorch's defaults: fork, workers restarted every epoch)."""
    loader = DataLoader(ParquetBatches(parquet_files(args.path)), batch_size=None, num_workers=args.workers)

    def epoch(tally):
        for batch in loader:
            tally.add(batch)

    return epoch


def ray_contender(args):
    """(c): Ray Data read_parquet(...).iter_torch_batches(batch_size=8192)."""
    ray_data = start_ray(args)

    def epoch(tally):
        for batch in ray_data.read_parquet(args.path).iter_torch_batches(batch_size=BATCH_ROWS):
            tally.add(batch)

    return epoch


CONTENDERS = {
    "flightcache": flightcache_contender,
    "parquet": parquet_contender,
    "parquet-loader": parquet_loader_contender,
    "ray": ray_contender,
}


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    fc = kinds.add_parser("flightcache")
    fc.add_argument("--url", required=True)
    fc.add_argument("--name", required=True)
    fc.add_argument("--workers", type=int, default=0)
    kinds.add_parser("parquet").add_argument("--path", required=True)
    loader = kinds.add_parser("parquet-loader")
    loader.add_argument("--path", required=True)
    loader.add_argument("--workers", type=int, default=2)
    add_ray_parser(kinds)
    return parser


def main(argv):
    return serve(_parser().parse_args(argv), CONTENDERS, TensorTally, {"torch": torch.__version__})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
