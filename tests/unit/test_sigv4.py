"""The private API's SigV4 signer: what MLflow sends, file bodies included, signed exactly
as botocore signs the same bytes (execute-api), and found by MLflow by name."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mlflow_platform import sigv4

URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/2.0/mlflow-artifacts/artifacts/x"
FROZEN = datetime(2026, 12, 4, 1, 30, 0)
SESSION_TOKEN = "session-token-example"


class _Session:
    def __init__(self) -> None:
        self._credentials = Credentials("AKIDEXAMPLE", "secret-example", SESSION_TOKEN)

    def get_credentials(self) -> Credentials:
        return self._credentials


def _prepared(body: object, method: str = "PUT", url: str = URL) -> requests.PreparedRequest:
    return requests.Request(method, url, data=body,
                            headers={"Content-Type": "application/octet-stream"}).prepare()


def _expected(method: str, url: str, body: bytes, host: str) -> str:
    request = AWSRequest(method=method, url=url, data=body,
                         headers={"Host": host, "Content-Type": "application/octet-stream"})
    SigV4Auth(_Session().get_credentials(), "execute-api", "eu-west-1").add_auth(request)
    return request.headers["Authorization"]


@pytest.fixture(autouse=True)
def _frozen_clock():
    # Both signatures of a comparison at one instant (botocore reads the clock per signing).
    with mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN):
        yield


def test_a_file_body_is_read_signed_and_sent_as_the_signed_bytes(tmp_path: Path) -> None:
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(b"\x00\x01 model bytes " * 1000)
    with artifact.open("rb") as handle:
        request = _prepared(handle)
        assert hasattr(request.body, "read")  # what MLflow's artifact upload hands requests
        signed = sigv4.FileSafeSigV4(_Session())(request)
    assert signed.body == artifact.read_bytes()
    assert signed.headers["Content-Length"] == str(len(artifact.read_bytes()))
    host = "abc123.execute-api.eu-west-1.amazonaws.com"
    assert signed.headers["Authorization"] == _expected("PUT", URL, artifact.read_bytes(), host)
    assert "/eu-west-1/execute-api/aws4_request" in signed.headers["Authorization"]
    assert signed.headers["X-Amz-Security-Token"] == SESSION_TOKEN
    assert signed.headers["X-Amz-Date"] == "20261204T013000Z"


def test_the_library_mlflow_uses_by_default_fails_on_the_same_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Why this module exists: the real requests-auth-aws-sigv4 (MLflow's
    MLFLOW_TRACKING_AWS_SIGV4 signer) calls .encode() on a file body."""
    from requests_auth_aws_sigv4 import AWSSigV4

    for key, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40,
                       "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(AttributeError):
        AWSSigV4("execute-api")(_prepared(io.BytesIO(b"artifact")))
    assert sigv4.FileSafeSigV4(_Session())(_prepared(io.BytesIO(b"artifact"))).body == b"artifact"


def test_queries_with_spaces_are_signed_as_botocore_canonicalises_them() -> None:
    url = ("https://abc123.execute-api.eu-west-1.amazonaws.com/api/2.0/mlflow/model-versions/"
           "search?filter=name%3D%27my+model%27&max_results=10")
    signed = sigv4.FileSafeSigV4(_Session())(_prepared(None, "GET", url))
    host = "abc123.execute-api.eu-west-1.amazonaws.com"
    assert signed.headers["Authorization"] == _expected("GET", url, b"", host)


def test_a_custom_domain_takes_the_region_from_the_environment() -> None:
    assert sigv4.region_for("mlflow.example.com", {"AWS_REGION": "us-east-2"}) == "us-east-2"
    assert sigv4.region_for("abc.execute-api.ap-south-1.amazonaws.com", {}) == "ap-south-1"
    with pytest.raises(sigv4.SigV4Error, match="set AWS_REGION"):
        sigv4.region_for("mlflow.example.com", {})


def test_no_credentials_is_a_clear_error() -> None:
    session = mock.Mock()
    session.get_credentials.return_value = None
    with pytest.raises(sigv4.SigV4Error, match="no AWS credentials"):
        sigv4.FileSafeSigV4(session)(_prepared(b"x"))


def test_mlflow_finds_the_provider_by_the_name_env_exports() -> None:
    from mlflow.tracking.request_auth.registry import fetch_auth

    assert isinstance(fetch_auth(sigv4.PROVIDER_NAME), sigv4.FileSafeSigV4)
