"""The notebook kernels' SigV4 path (private API with AWS_IAM): MLflow's own signer, the
real requests-auth-aws-sigv4 pin the notebook installs, fails on a file body (every artifact
upload); the kernel startup hook makes it read the file first."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import requests_auth_aws_sigv4

from service_templates.notebook.render import SIGV4_PACKAGE, render_kernel_startup

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/api/2.0/mlflow-artifacts/artifacts/a"


@pytest.fixture
def fresh_signer(monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """AWSSigV4 with its original __call__ restored afterwards, and fake credentials."""
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40,
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    cls = requests_auth_aws_sigv4.AWSSigV4
    monkeypatch.setattr(cls, "__call__", cls.__call__)
    yield cls


def _upload(body: object) -> requests.PreparedRequest:
    return requests.Request("PUT", URL, data=body).prepare()


def _run_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: str) -> None:
    settings = tmp_path / "client.env"
    settings.write_text(f"MLFLOW_PLATFORM_AUTH={auth}\n")
    monkeypatch.setenv("MLFLOW_PLATFORM_CLIENT_ENV", str(settings))
    monkeypatch.delenv("MLFLOW_PLATFORM_AUTH", raising=False)
    exec(compile(render_kernel_startup(), "kernel_startup.py", "exec"), {})  # noqa: S102


def test_the_pinned_library_is_what_the_notebook_installs() -> None:
    from importlib.metadata import version

    assert f"requests-auth-aws-sigv4=={version('requests-auth-aws-sigv4')}" == SIGV4_PACKAGE


def test_unpatched_the_library_fails_on_an_artifact_upload(fresh_signer: type) -> None:
    with pytest.raises(AttributeError):
        fresh_signer("execute-api")(_upload(io.BytesIO(b"model bytes")))


def test_the_kernel_hook_makes_file_uploads_signable(
        fresh_signer: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_hook(tmp_path, monkeypatch, "sigv4")
    signed = fresh_signer("execute-api")(_upload(io.BytesIO(b"model bytes")))
    assert signed.body == b"model bytes"
    assert signed.headers["Content-Length"] == "11"
    assert signed.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    # Bytes bodies sign as before, and a second kernel start does not wrap it twice.
    _run_hook(tmp_path, monkeypatch, "sigv4")
    assert fresh_signer("execute-api")(_upload(b"{}")).body == b"{}"


def test_basic_auth_kernels_leave_the_library_alone(
        fresh_signer: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = fresh_signer.__call__
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "u")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "p")
    _run_hook(tmp_path, monkeypatch, "basic")
    assert fresh_signer.__call__ is before
