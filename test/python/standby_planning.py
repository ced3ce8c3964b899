"""Planning calls of the flightcache Python client made while coordinators switch leaders.

    python standby_planning.py URL DATASET

Lists the datasets and describes DATASET through URL (a Service in front of the coordinators) with
the client's retry on UNAVAILABLE; prints one JSON line: the names listed and DATASET's rows.
"""

import json
import sys

from flightcache import Client


def main(url, dataset):
    with Client(url, retry_timeout=15.0) as client:
        names = sorted(info.name for info in client.datasets())
        rows = client.flight_info(dataset).total_records
    print(json.dumps({"datasets": names, "rows": rows}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
