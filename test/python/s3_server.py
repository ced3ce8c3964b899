"""An S3-compatible server for the load tests: moto's, on loopback, holding a directory's files.

    python s3_server.py DIR BUCKET
        starts moto's server on a free port, uploads every file under DIR to BUCKET (keys relative to
        DIR), prints "s3 ready http://127.0.0.1:PORT" and serves until terminated. Any credentials work.
"""

import os
import signal
import socket
import sys
import threading

import boto3
from moto.server import ThreadedMotoServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(root, bucket):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket=bucket)
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            s3.upload_file(path, bucket, os.path.relpath(path, root))
    print(f"s3 ready {url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
