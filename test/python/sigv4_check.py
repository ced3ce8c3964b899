"""botocore's SigV4 signature of an S3 GET, the reference the TypeScript signer is checked against.

    python sigv4_check.py URL AMZDATE     prints {"authorization", "x-amz-date", "x-amz-content-sha256"}
                                          for keys AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1
"""

import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main(url, amz_date):
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    request = AWSRequest(method="GET", url=url)
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    with mock.patch.object(botocore.auth.datetime, "datetime", wraps=datetime.datetime) as clock:
        clock.utcnow.return_value = when
        clock.now.return_value = when
        botocore.auth.S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
    print(json.dumps({k.lower(): v for k, v in request.headers.items() if k.lower() in ("authorization", "x-amz-date", "x-amz-content-sha256")}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
