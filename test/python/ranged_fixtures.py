"""Files for the S3 ranged-read tests: a wide table whose one column is a small share of the file.

    python ranged_fixtures.py DIR
        writes DIR/wide.parquet (8 float64 columns c0..c7, 100,000 rows, 4 row groups, uncompressed),
        DIR/wide.arrow (the same table as an Arrow IPC file, 4 batches) and DIR/other.parquet (another
        table, to replace wide.parquet with mid-load); prints {"wide.parquet": BYTES, ...}.
"""

import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def wide(seed):
    rng = np.random.default_rng(seed)
    return pa.table({f"c{i}": rng.random(100_000) for i in range(8)})


def main(root):
    os.makedirs(root, exist_ok=True)
    table = wide(1)
    pq.write_table(table, os.path.join(root, "wide.parquet"), row_group_size=25_000, compression="none")
    with pa.ipc.new_file(os.path.join(root, "wide.arrow"), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=25_000):
            writer.write_batch(batch)
    pq.write_table(wide(2).slice(0, 50_000), os.path.join(root, "other.parquet"), row_group_size=25_000, compression="none")
    print(json.dumps({name: os.path.getsize(os.path.join(root, name)) for name in sorted(os.listdir(root))}))


if __name__ == "__main__":
    main(sys.argv[1])
