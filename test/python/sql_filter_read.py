"""Reads a filtered dataset with the Python package: FlightCacheDataset(filter=...) on every rank of a
world and Client.read(filter=...). Prints {"ranks": [[ids...] per rank], "read": [ids...]}.

  sql_filter_read.py ENDPOINT DATASET FILTER WORLD_SIZE
"""
import json
import sys

from flightcache import Client
from flightcache.torch import FlightCacheDataset


def main():
    endpoint, dataset, predicate, world = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ranks = []
    for rank in range(world):
        data = FlightCacheDataset(endpoint, dataset, batch_size=7, columns=["id"], filter=predicate,
                                  shuffle=True, seed=3, rank=rank, world_size=world, transport="grpc")
        ranks.append([int(i) for batch in data for i in batch["id"].tolist()])
    read = Client(endpoint).read(dataset, filter=predicate).column("id").to_pylist()
    print(json.dumps({"ranks": ranks, "read": read}))


if __name__ == "__main__":
    main()
