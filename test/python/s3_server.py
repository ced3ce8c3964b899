"""An S3-compatible server for the load tests: moto's, on loopback, holding a directory's files.

    python s3_server.py DIR BUCKET [CREDENTIALS_FILE]
        starts moto's server on a free port, uploads every file under DIR to BUCKET (keys relative to
        DIR), prints "s3 ready http://127.0.0.1:PORT" and serves until terminated. Any credentials
        work, unless CREDENTIALS_FILE is given: then moto checks keys and IAM policies, and the file
        (AWS shared credentials format) gets profiles "reader" (may list and read BUCKET) and
        "nobody" (may do nothing), keys of two IAM users.
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


def write_users(url, bucket, path):
    """IAM users reader and nobody, their keys as profiles in `path`; then moto enforces IAM."""
    import json

    from moto import settings

    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    lines = []
    for user in ("reader", "nobody"):
        iam.create_user(UserName=user)
        if user == "reader":
            iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        lines += [f"[{user}]", f"aws_access_key_id = {key['AccessKeyId']}", f"aws_secret_access_key = {key['SecretAccessKey']}", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0


def main(root, bucket, credentials=None):
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
    if credentials:
        write_users(url, bucket, credentials)
    print(f"s3 ready {url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
