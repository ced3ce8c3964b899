"""The training side of a packed, tokenized cache:

    python tokenize_training.py URL NAME LENGTH

FlightCacheDataset yields `input_ids` and `position_ids` as (batch, LENGTH) int32 tensors, converted
without a copy (the tensor's memory is the Arrow buffer), and the example in
client/python/examples/train_packed_lm.py trains a tiny causal LM from it with a decreasing loss.
"""

import json
import os
import sys

import pyarrow.flight as flight
import torch
from flightcache.torch import FlightCacheDataset
from flightcache.torch.convert import column_to_tensor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "client", "python", "examples"))
from train_packed_lm import train  # noqa: E402

url, name, length = sys.argv[1], sys.argv[2], int(sys.argv[3])
passed = []

batch = next(iter(FlightCacheDataset(url, name, batch_size=8, columns=["input_ids", "position_ids"])))
assert batch["input_ids"].shape == (8, length) and batch["input_ids"].dtype == torch.int32, batch["input_ids"]
assert batch["position_ids"].shape == (8, length) and batch["position_ids"].dtype == torch.int32
assert (batch["position_ids"] == 0).any(), "no document starts in 8 rows"
passed.append(f"batches of (8, {length}) int32 input_ids and position_ids")

client = flight.connect(url)
info = client.get_flight_info(flight.FlightDescriptor.for_path(name))
record = client.do_get(info.endpoints[0].ticket).read_chunk().data
column = record.column("input_ids")
tensor = column_to_tensor(column, "input_ids")
values = column.values
assert tensor.data_ptr() == values.buffers()[1].address + values.offset * 4, "input_ids were copied"
assert tensor.shape == (len(column), length)
passed.append("input_ids tensor shares the Arrow buffer")

# One thread: the test machine's cores are shared, and a second thread only contends (measured).
torch.set_num_threads(1)
losses = train(url, name, steps=12, batch_size=2)
first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
assert last < first - 1.0, losses
passed.append("the example's loss decreases")
print(json.dumps({"passed": passed, "losses": [round(x, 3) for x in losses]}))
