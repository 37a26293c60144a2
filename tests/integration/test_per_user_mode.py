"""Per-user mode: MLflow's basic-auth app behind the proxy, its auth tables on MariaDB."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_stack import LocalStack, MariaDB, MotoS3, session_pids

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALICE_PASSWORD = "alice:Pa$$w0rd'\"with spaces"


@pytest.fixture(scope="module")
def per_user(infra: tuple[MariaDB, MotoS3], workdir: Path) -> Iterator[LocalStack]:
    mariadb, s3 = infra
    with LocalStack(
        backend="mariadb",
        auth_mode="per-user",
        mariadb=mariadb,
        s3=s3,
        workdir=workdir / "per-user",
        db_name="mlflow_per_user",
        bucket="artifacts-per-user",
        username="admin",
    ) as running:
        yield running


def _client(stack: LocalStack, user: str, password: str, monkeypatch: pytest.MonkeyPatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
    return mlflow.tracking.MlflowClient(tracking_uri=stack.tracking_uri)


def _status(url: str, user: str, password: str) -> int:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_auth_tables_live_in_the_tracking_database_with_unique_fk_names(
    per_user: LocalStack, mariadb: MariaDB
) -> None:
    rows = mariadb.query(
        "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = %s AND REFERENCED_TABLE_NAME = 'users'",
        (per_user.db_name,),
    )
    names = [str(row[0]) for row in rows]
    assert "fk_experiment_permissions_user_id" in names
    assert len(names) == len(set(names))
    sql = f"SELECT COUNT(*) FROM `{per_user.db_name}`.alembic_version_auth"  # noqa: S608
    assert mariadb.query(sql)[0][0]


def test_user_without_permission_cannot_write_until_the_admin_grants_it(
    per_user: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.server import get_app_client

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    admin = _client(per_user, per_user.username, per_user.password, monkeypatch)
    experiment_id = admin.create_experiment("team-a-only")
    auth = get_app_client("basic-auth", tracking_uri=per_user.tracking_uri)
    auth.create_user("alice", ALICE_PASSWORD)

    alice = _client(per_user, "alice", ALICE_PASSWORD, monkeypatch)
    assert alice.get_experiment(experiment_id).name == "team-a-only"  # default READ
    with pytest.raises(MlflowException) as denied:
        alice.create_run(experiment_id)
    assert denied.value.error_code == "PERMISSION_DENIED"

    _client(per_user, per_user.username, per_user.password, monkeypatch)
    auth.grant_user_permission("alice", "experiment", experiment_id, "EDIT")

    alice = _client(per_user, "alice", ALICE_PASSWORD, monkeypatch)
    run = alice.create_run(experiment_id)
    alice.log_metric(run.info.run_id, "granted", 1.0)
    assert alice.get_run(run.info.run_id).data.metrics == {"granted": 1.0}


def test_bad_credentials_are_rejected_by_mlflow_through_the_proxy(per_user: LocalStack) -> None:
    url = f"{per_user.tracking_uri}/api/2.0/mlflow/experiments/search?max_results=1"
    assert _status(url, per_user.username, per_user.password) == 200
    assert _status(url, per_user.username, per_user.password + "x") == 401
    assert _status(url, "nobody-like-this", "whatever-password") == 401
    request = urllib.request.Request(url)  # noqa: S310 - local http
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - local
    assert missing.value.code == 401


def test_rotated_admin_password_takes_effect_at_the_next_start(per_user: LocalStack) -> None:
    # The rotate action writes a new secret value, then restarts the tasks: the server must
    # adopt the injected password, not keep the one in its auth database.
    assert per_user.server is not None
    url = f"{per_user.direct_uri}/api/2.0/mlflow/users/get?username={per_user.username}"
    old, new = per_user.password, "rotated-" + per_user.password[::-1]
    original_env = per_user.server.env
    try:
        per_user.server.stop()
        per_user.server.env = per_user.server_env(MLFLOW_ADMIN_PASSWORD=new)
        per_user.server.start()
        assert _status(url, per_user.username, new) == 200
        assert _status(url, per_user.username, old) == 401
    finally:
        per_user.server.stop()
        per_user.server.env = original_env
        per_user.server.start()
    assert _status(url, per_user.username, old) == 200


def test_workers_run_without_the_admin_password_but_with_the_shared_flask_key(
    per_user: LocalStack,
) -> None:
    """The exec hand-over drops what the workers do not read and keeps what they do."""
    assert per_user.server is not None and per_user.server.process is not None
    url = f"{per_user.tracking_uri}/api/2.0/mlflow/experiments/search?max_results=1"
    assert _status(url, per_user.username, per_user.password) == 200
    environments = []
    for pid in session_pids(per_user.server.process.pid):
        try:
            raw = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        environments.append(dict(p.decode().partition("=")[::2] for p in raw.split(b"\0") if p))
    assert environments
    for env in environments:
        for name in ("MLFLOW_ADMIN_PASSWORD", "MLFLOW_AUTH_ADMIN_PASSWORD", "DB_PASSWORD"):
            assert name not in env
        assert per_user.password not in env.values()
        assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == per_user.flask_secret
        assert env["_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED"] == "true"
