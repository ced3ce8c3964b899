"""A logistic regression trained from the cache reaches the same accuracy as the same script
reading a local Arrow IPC file, since the batches are identical and in the same order (weights may
differ in the last bits: BLAS kernels depend on the alignment of their inputs).
"""

import tempfile

import flightcache
import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import torch
from conftest import Server
from flightcache.torch import FlightCacheDataset, make_dataloader

ROWS, FEATURES, BATCH, EPOCHS = 4000, 8, 64, 3


def generate():
    rng = np.random.default_rng(42)
    features = rng.standard_normal((ROWS, FEATURES)).astype(np.float32)
    weights = rng.standard_normal(FEATURES).astype(np.float32)
    labels = (features @ weights + 0.3 * rng.standard_normal(ROWS) > 0).astype(np.float32)
    x = pa.FixedSizeListArray.from_arrays(pa.array(features.reshape(-1)), FEATURES)
    return pa.table({"x": x, "y": pa.array(labels), "noise": pa.array(rng.standard_normal(ROWS))})


def local_batches(path):
    """The local baseline: the file's rows in order, BATCH at a time."""
    table = ipc.open_file(path).read_all().combine_chunks()
    for start in range(0, table.num_rows, BATCH):
        part = table.slice(start, BATCH)
        x = part.column("x").chunk(0).flatten().to_numpy().reshape(-1, FEATURES).copy()
        yield {"x": torch.from_numpy(x), "y": torch.from_numpy(part.column("y").to_numpy().copy())}


def train(batches_per_epoch):
    torch.manual_seed(0)
    model = torch.nn.Linear(FEATURES, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for epoch in range(EPOCHS):
        for batch in batches_per_epoch(epoch):
            optimizer.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(batch["x"]).squeeze(1), batch["y"])
            loss.backward()
            optimizer.step()
    return model


def accuracy(model, table):
    x = torch.from_numpy(table.column("x").combine_chunks().flatten().to_numpy().reshape(-1, FEATURES).copy())
    y = torch.from_numpy(table.column("y").to_numpy().copy())
    with torch.no_grad():
        return float(((model(x).squeeze(1) > 0).float() == y).float().mean())


def test_a_logistic_regression_trained_from_the_cache_matches_the_same_training_on_a_local_arrow_file(server: Server) -> None:
    url, name = server.url, "logistic"
    table = generate()
    with flightcache.Client(url) as client:
        if name in [d.name for d in client.datasets()]:
            client.drop(name)
        client.put(name, table, batch_rows=300)
    data = FlightCacheDataset(url, name, batch_size=BATCH, columns=["x", "y"])

    def cached(epoch):
        data.set_epoch(epoch)
        return make_dataloader(data)

    with tempfile.NamedTemporaryFile(suffix=".arrow") as file:
        with ipc.new_file(file.name, table.schema) as writer:
            writer.write_table(table, max_chunksize=300)
        local = train(lambda epoch: local_batches(file.name))
        pairs = list(zip(cached(0), local_batches(file.name), strict=True))
    assert all(torch.equal(a["x"], b["x"]) and torch.equal(a["y"], b["y"]) for a, b in pairs), "the cache's batches equal the file's"
    remote = train(cached)
    local_accuracy, remote_accuracy = accuracy(local, table), accuracy(remote, table)
    assert remote_accuracy >= 0.9, f"accuracy {remote_accuracy}"
    assert remote_accuracy == local_accuracy, f"cache {remote_accuracy} vs local file {local_accuracy}"
