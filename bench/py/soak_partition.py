"""One-shot client steps of the soak suite's network-partition case, run inside a network namespace
(`ip netns exec NS python soak_partition.py COMMAND ...`); each prints one JSON line.

    put --url U --dataset D --batches B --rows R   put ids [0, B*R) in batches of R -> {"rows"}
    read --url U --dataset D --rows N              read D through the coordinator with failover
                                                   -> {"rows", "lost", "duplicated"} or {"error"}
    drop --url U --dataset D                       -> {"dropped": true} or {"error"}
    stats --url U                                  -> {"members": {id: state}, "datasets": {name: status}} or {"error"}
    held --url SHARD --prefix P                    partitions of datasets named P#... a shard stores,
                                                   and the rows a direct DoGet of each returns
                                                   -> {"partitions": [...], "rows": n} or {"error"}

A failed call answers {"error": CODE} (its gRPC code, from soak_worker.code_of).
"""

import argparse
import json

import flightcache
import numpy as np
import pyarrow.flight as flight
from soak_worker import code_of, id_table

CALL_TIMEOUT_SECONDS = 5


def put(args):
    with flightcache.Client(args.url) as client:
        return {"rows": client.put(args.dataset, id_table(0, args.batches * args.rows), batch_rows=args.rows)}


def read(args):
    with flightcache.Client(args.url, retry_timeout=CALL_TIMEOUT_SECONDS) as client:
        ids = [batch.column("id").to_numpy() for batch, _ in client.read_batches(args.dataset)]
    ids = np.concatenate(ids).astype(np.int64) if ids else np.empty(0, dtype=np.int64)
    inside = ids[(ids >= 0) & (ids < args.rows)]
    counts = np.bincount(inside, minlength=args.rows)
    duplicated = int(np.sum(np.maximum(counts - 1, 0))) + int(ids.size - inside.size)
    return {"rows": int(ids.size), "lost": int(np.count_nonzero(counts == 0)), "duplicated": duplicated}


def drop(args):
    with flightcache.Client(args.url) as client:
        client.drop(args.dataset)
    return {"dropped": True}


def stats(args):
    client = flight.connect(args.url)
    options = flight.FlightCallOptions(timeout=CALL_TIMEOUT_SECONDS)
    try:
        result = next(iter(client.do_action(flight.Action("stats", b""), options)))
        body = json.loads(result.body.to_pybytes())
    finally:
        client.close()
    return {
        "members": {m["id"]: m["state"] for m in body["members"]},
        "live": {m["id"]: m["live"] for m in body["members"]},
        "datasets": {d["name"]: d["status"] for d in body["datasets"]},
    }


def held(args):
    client = flight.connect(args.url)
    options = flight.FlightCallOptions(timeout=CALL_TIMEOUT_SECONDS)
    try:
        names = [info.descriptor.path[0].decode() for info in client.list_flights(b"", options)]
        partitions = sorted(n for n in names if n.startswith(f"{args.prefix}#"))
        rows = 0
        for name in partitions:
            info = client.get_flight_info(flight.FlightDescriptor.for_path(name), options)
            for endpoint in info.endpoints:
                rows += client.do_get(endpoint.ticket, options).read_all().num_rows
    finally:
        client.close()
    return {"partitions": partitions, "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["put", "read", "drop", "stats", "held"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--dataset")
    parser.add_argument("--batches", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--prefix")
    args = parser.parse_args()
    step = {"put": put, "read": read, "drop": drop, "stats": stats, "held": held}[args.command]
    try:
        result = step(args)
    except Exception as error:  # noqa: BLE001 - the parent records the failure by its gRPC code
        result = {"error": code_of(error), "message": str(error).splitlines()[0][:300] if str(error) else ""}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
