"""flightcache.Client over grpc+tls:// (TLS roots and, for mTLS, a client certificate): puts a table,
reads it back through every location the server names, and prints ONE JSON line.

    python tls_client.py URL NAME CA [CERT KEY]
"""

import json
import sys

from all_types import build
from table_compare import compare_tables


def main(url, name, ca, cert=None, key=None):
    import flightcache

    def pem(path):
        with open(path, "rb") as f:
            return f.read()

    tls = {"tls_root_certs": pem(ca)}
    if cert is not None:
        tls.update(cert_chain=pem(cert), private_key=pem(key))
    expected = build("batches")
    with flightcache.Client(url, **tls) as client:
        client.put(name, expected, batch_rows=7)
        locations = sorted({loc.uri.decode() for e in client.flight_info(name).endpoints for loc in e.locations})
        equal, detail = compare_tables(expected, client.read(name))
    return {"equal": equal, "detail": detail, "locations": locations}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
