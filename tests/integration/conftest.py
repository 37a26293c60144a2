"""Session fixtures: one MariaDB, one moto S3, one MLflow server and its nginx proxy.

Everything runs as real processes on 127.0.0.1 (scripts/local_stack.py), with the containers'
entrypoints and the rendered nginx.conf. Missing nginx/MariaDB binaries skip these tests on a
developer machine, but fail them under CI=true: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_stack import LocalStack, MariaDB, MotoS3, ProxyProcess

REPO_ROOT = Path(__file__).resolve().parents[2]

# The stock client retries 5xx for minutes by default; keep failures fast but leave enough
# retries (about 1, 2, 4, 8 s) to ride out a MariaDB restart.
CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "5",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.2",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_ENABLE_ASYNC_TRACE_LOGGING": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}


def require_local_services() -> None:
    missing = []
    if not ProxyProcess.available():
        missing.append("nginx")
    if not MariaDB.available():
        missing.append("mariadbd/mariadb-install-db")
    if not missing:
        return
    message = f"integration tests need {', '.join(missing)} (apt-get install nginx mariadb-server)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: pytest resets its base directory to 0700, and nginx workers (which
    # drop root when the tests run as root) must traverse down to their runtime directory.
    path = Path(tempfile.mkdtemp(prefix="mlflow-it-"))
    path.chmod(0o711)
    yield path
    if os.environ.get("LOCAL_STACK_KEEP") != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def infra(workdir: Path) -> Iterator[tuple[MariaDB, MotoS3]]:
    require_local_services()
    s3 = MotoS3(workdir).start()
    mariadb = MariaDB(workdir).start()
    yield mariadb, s3
    mariadb.stop()
    s3.stop()


@pytest.fixture(scope="session")
def mariadb(infra: tuple[MariaDB, MotoS3]) -> MariaDB:
    return infra[0]


@pytest.fixture(scope="session")
def stack(infra: tuple[MariaDB, MotoS3], workdir: Path) -> Iterator[LocalStack]:
    """Basic-auth stack on MariaDB (the production path)."""
    mariadb, s3 = infra
    with LocalStack(
        backend="mariadb",
        auth_mode="basic",
        mariadb=mariadb,
        s3=s3,
        workdir=workdir / "basic",
        db_name="mlflow_basic",
        bucket="artifacts-basic",
    ) as running:
        yield running


@pytest.fixture(scope="session", autouse=True)
def client_environment() -> Iterator[None]:
    """Client settings for the whole session; restored afterwards."""
    saved = {key: os.environ.get(key) for key in CLIENT_ENV}
    os.environ.update(CLIENT_ENV)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def as_client(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """Point the stock MLflow client at the stack's proxy with its credentials."""
    import mlflow

    for key, value in stack.client_env.items():
        monkeypatch.setenv(key, value)
    mlflow.set_tracking_uri(stack.tracking_uri)
    yield stack
    mlflow.set_tracking_uri(None)
