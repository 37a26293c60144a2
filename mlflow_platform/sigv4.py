"""SigV4 signing of MLflow client requests for a private API with AWS_IAM authorization.

MLflow's built-in `MLFLOW_TRACKING_AWS_SIGV4=true` signs with `requests-auth-aws-sigv4`,
which fails on artifact uploads: MLflow sends a file object as the body and that library
calls `.encode()` on it (AttributeError). This auth signs with botocore's SigV4Auth (the
AWS SDK's own canonicalisation of paths, query strings and payloads) and reads a file body
into bytes first; uploads above MLflow's multipart threshold go to presigned S3 URLs and are
never signed here, so the bodies read are small.

MLflow finds it by name through the `mlflow.request_auth_provider` entry point:
`MLFLOW_TRACKING_AUTH=mlflow-platform-sigv4` (what `mlflow-platform env` exports).
"""

from __future__ import annotations

import os
import re
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

PROVIDER_NAME = "mlflow-platform-sigv4"
SERVICE = "execute-api"
# Only these headers are signed: hop-by-hop and client-set ones may be changed on the way.
SIGNED_HEADERS = ("host", "content-type")
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class SigV4Error(RuntimeError):
    """The request cannot be signed (no credentials, no region)."""


def region_for(host: str, env: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The API's region: from its execute-api host name, else AWS_REGION/AWS_DEFAULT_REGION
    (a custom domain carries none)."""
    match = _EXECUTE_API_HOST.match(host.lower())
    region = match.group(1) if match else env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        raise SigV4Error(f"cannot tell the AWS region of {host}: set AWS_REGION")
    return region


def _body_bytes(request: Any) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data if isinstance(data, bytes) else data.encode("utf-8")
    raise SigV4Error(f"cannot sign a request body of type {type(body).__name__}")


class FileSafeSigV4:
    """A requests auth (any callable taking and returning the PreparedRequest) that signs
    for execute-api, file bodies included. No requests import: the CLI, which has no
    requests dependency, imports this module for PROVIDER_NAME."""

    def __init__(self, session: Any = None) -> None:
        self._session = session or boto3.Session()

    def __call__(self, request: Any) -> Any:
        credentials = self._session.get_credentials()
        if credentials is None:
            raise SigV4Error("no AWS credentials to sign the MLflow request with (SigV4)")
        body = _body_bytes(request)
        request.body = body  # the file was read: send what was signed
        if body:
            request.headers["Content-Length"] = str(len(body))
        host = request.headers.get("Host") or re.sub(r"^https?://([^/]+).*$", r"\1",
                                                      request.url)
        headers = {"Host": host, **{k: v for k, v in request.headers.items()
                                    if k.lower() in SIGNED_HEADERS}}
        aws_request = AWSRequest(method=request.method, url=request.url, data=body,
                                 headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), SERVICE,
                  region_for(host.split(":")[0])).add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws_request.headers:
                request.headers[name] = aws_request.headers[name]
        return request


try:  # the provider only where MLflow is installed (the CLI itself does not need it)
    from mlflow.tracking.request_auth.abstract_request_auth_provider import RequestAuthProvider
except ImportError:  # pragma: no cover - exercised where mlflow is absent
    RequestAuthProvider = object  # type: ignore[assignment,misc]


class SigV4AuthProvider(RequestAuthProvider):  # type: ignore[misc,valid-type]
    """MLflow request auth provider: MLFLOW_TRACKING_AUTH=mlflow-platform-sigv4."""

    def get_name(self) -> str:
        return PROVIDER_NAME

    def get_auth(self) -> FileSafeSigV4:
        return FileSafeSigV4()
