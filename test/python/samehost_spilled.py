"""Same-host reads of a dataset the node spilled to disk (--spill-dir):

    python samehost_spilled.py URL NAME ROWS

The dataset NAME of ROWS rows (torch_common.make_table) must be on the disk tier. FlightCacheDataset
with transport="shm" reads it through the spill file the node passes, in stored order and shuffled,
with exactly the stored rows; the tensors lie in the mapped file. Prints {"passed": [...]}.
"""

import sys

import flightcache
import pyarrow as pa
from flightcache import regions
from flightcache.torch import FlightCacheDataset
from torch_common import assert_exactly_once, assert_rows_match, check, finish, ids_of, make_table


def main(url, name, rows):
    passed = []
    reference = make_table(rows)
    dataset = FlightCacheDataset(url, name, batch_size=1024, transport="shm")
    check(dataset.transport == "shm", f"the dataset reads over {dataset.transport!r}")
    batches = list(dataset)
    check(ids_of(batches) == list(range(rows)), "stored order: ids 0..rows-1 in order")
    for index, batch in enumerate(batches):
        assert_rows_match(batch, reference, f"batch {index}")
    first = batches[0]["id"].data_ptr()
    region = regions.find(first, 1)
    check(region is not None and region.key[0] == "segment", "tensors lie in a mapped segment (the spill file)")
    passed.append("stored order, exact rows, tensors in the mapped spill file")

    shuffled = list(FlightCacheDataset(url, name, batch_size=1024, shuffle=True, seed=3, transport="shm"))
    assert_exactly_once(ids_of(shuffled), rows, "shuffled over shm")
    for index, batch in enumerate(shuffled):
        assert_rows_match(batch, reference, f"shuffled batch {index}")
    passed.append("shuffled, each row exactly once, exact rows")

    shm = pa.Table.from_batches([b for b, _ in flightcache.Client(url, transport="shm").read_batches(name)])
    check(shm.equals(reference), "the Client's shm read equals the stored table")
    passed.append("Client over shm equals the table")
    finish(passed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
