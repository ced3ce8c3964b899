"""Reads a flightcache node the way Kubeflow Trainer's DataCacheDataset reads its cache.

    python kubeflow_reader.py URL put BATCHES ROWS   write dataset "kubeflow": ids 0.. in BATCHES batches
    python kubeflow_reader.py URL read TOTAL         read every worker index 0..TOTAL-1

For each index: GetFlightInfo(FlightDescriptor.for_path(str(index), str(TOTAL))), then for every
endpoint and EVERY location of it, FlightClient(location.uri).do_get(endpoint.ticket), as the
DataCacheDataset does (an endpoint listing two locations would be read twice). Prints one JSON line.
"""

import json
import sys

import pyarrow as pa
import pyarrow.flight as flight


def put(url, batches, rows):
    """Writes `batches` record batches of `rows` int64 ids each, numbered from 0."""
    client = flight.connect(url)
    schema = pa.schema([("id", pa.int64())])
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("kubeflow"), schema)
    for b in range(batches):
        writer.write_batch(pa.record_batch([pa.array(range(b * rows, (b + 1) * rows), pa.int64())], schema=schema))
    writer.close()
    return {"put": batches * rows}


def read(url, total):
    """Reads every worker index's share; returns the ids per index and what each batch carried."""
    head = flight.connect(url)
    shares = []
    for index in range(total):
        info = head.get_flight_info(flight.FlightDescriptor.for_path(str(index), str(total)))
        ids, cursors, locations = [], [], []
        for endpoint in info.endpoints:
            for location in endpoint.locations:
                locations.append(location.uri.decode())
                reader = flight.FlightClient(location.uri).do_get(endpoint.ticket)
                while True:
                    try:
                        chunk = reader.read_chunk()
                    except StopIteration:
                        break
                    ids.extend(chunk.data.column("id").to_pylist())
                    cursors.append(chunk.app_metadata.to_pybytes().decode("ascii") if chunk.app_metadata else None)
        shares.append({"total_records": info.total_records, "ids": ids, "cursors": cursors, "locations": locations})
    return {"shares": shares}


def main(argv):
    url, mode = argv[1], argv[2]
    if mode == "put":
        result = put(url, int(argv[3]), int(argv[4]))
    else:
        result = read(url, int(argv[3]))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
