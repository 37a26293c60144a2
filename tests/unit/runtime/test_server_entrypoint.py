"""Pieces of the server entrypoint: settings, URI, redaction, backoff, auth config."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

NASTY = "p@ss:w/o%rd?#&'\" $(x)`y`;\\ü"

BASE_ENV = {
    "MLFLOW_ARTIFACTS_DESTINATION": "s3://bucket/prefix",
    "DB_HOST": "db.cluster-x.eu-west-1.rds.amazonaws.com",
    "DB_NAME": "mlflow",
    "DB_USERNAME": "admin@x",
    "DB_PASSWORD": NASTY,
}


def test_mysql_uri_round_trips_every_special_character(server_ep: ModuleType) -> None:
    from sqlalchemy.engine import make_url

    settings = server_ep.ServerSettings.from_env({**BASE_ENV, "DB_PORT": "3307"})
    url = make_url(server_ep.build_backend_uri(settings))
    assert url.drivername == "mysql+pymysql"
    assert (url.username, url.password) == ("admin@x", NASTY)
    assert (url.host, url.port, url.database) == (BASE_ENV["DB_HOST"], 3307, "mlflow")
    assert url.query["charset"] == "utf8mb4"


def test_sqlite_uri_is_absolute(server_ep: ModuleType, tmp_path: Path) -> None:
    settings = server_ep.ServerSettings.from_env(
        {
            "MLFLOW_BACKEND": "sqlite",
            "MLFLOW_SQLITE_PATH": str(tmp_path / "x.db"),
            "MLFLOW_ARTIFACTS_DESTINATION": "s3://b",
        }
    )
    assert server_ep.build_backend_uri(settings) == f"sqlite:///{tmp_path / 'x.db'}"


def test_settings_repr_hides_secrets(server_ep: ModuleType) -> None:
    settings = server_ep.ServerSettings.from_env(BASE_ENV)
    assert NASTY not in repr(settings)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"DB_PASSWORD": ""}, "DB_PASSWORD"),
        ({"MLFLOW_BACKEND": "postgres"}, "MLFLOW_BACKEND"),
        ({"MLFLOW_ARTIFACTS_DESTINATION": ""}, "MLFLOW_ARTIFACTS_DESTINATION"),
        ({"MLFLOW_WORKERS": "0"}, "MLFLOW_WORKERS"),
        ({"DB_PORT": "abc"}, "DB_PORT"),
        ({"MLFLOW_AUTH_MODE": "ldap"}, "MLFLOW_AUTH_MODE"),
        ({"MLFLOW_AUTH_MODE": "per-user"}, "MLFLOW_ADMIN_USERNAME"),
        (
            {
                "MLFLOW_AUTH_MODE": "per-user",
                "MLFLOW_ADMIN_USERNAME": "a",
                "MLFLOW_ADMIN_PASSWORD": "short",
            },
            "MLFLOW_ADMIN_PASSWORD",
        ),
        (
            {
                "MLFLOW_AUTH_MODE": "per-user",
                "MLFLOW_ADMIN_USERNAME": "a",
                "MLFLOW_ADMIN_PASSWORD": "long-enough-password",
            },
            "MLFLOW_FLASK_SERVER_SECRET_KEY",
        ),
    ],
)
def test_invalid_settings_fail_naming_the_variable(
    server_ep: ModuleType, override: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        server_ep.ServerSettings.from_env({**BASE_ENV, **override})


def test_redactor_masks_raw_and_percent_encoded_secrets(server_ep: ModuleType) -> None:
    settings = server_ep.ServerSettings.from_env(BASE_ENV)
    redactor = server_ep.Redactor(settings.secrets)
    uri = server_ep.build_backend_uri(settings)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "uri %s pw %s", (uri, NASTY), None)
    redactor.filter(record)
    message = record.getMessage()
    assert NASTY not in message
    assert uri not in message
    assert message.count("***") == 2
    assert "db.cluster-x" in message  # only the secret goes


def test_redactor_drops_tracebacks_that_could_quote_secrets(server_ep: ModuleType) -> None:
    redactor = server_ep.Redactor([NASTY])
    try:
        raise RuntimeError(f"connect failed for password={NASTY}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    redactor.filter(record)
    assert record.exc_info is None
    assert NASTY not in record.getMessage() and "***" in record.getMessage()


def test_backoff_grows_then_stays_bounded(server_ep: ModuleType) -> None:
    delays = server_ep.backoff_delays()
    assert [next(delays) for _ in range(8)] == [0.5, 1, 2, 4, 8, 10, 10, 10]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_database_gives_up_at_the_deadline_never_sleeping_past_it(
    server_ep: ModuleType,
) -> None:
    clock = FakeClock()

    def refuse() -> None:
        raise ConnectionRefusedError("no")

    with pytest.raises(TimeoutError, match="unreachable"):
        server_ep.wait_for_database(refuse, 30, describe="db", sleep=clock.sleep, clock=clock)
    assert clock.now == pytest.approx(30)
    assert max(clock.sleeps) <= 10
    assert sum(clock.sleeps) == pytest.approx(30)


def test_wait_for_database_returns_once_the_database_answers(server_ep: ModuleType) -> None:
    clock = FakeClock()
    attempts = iter([ConnectionRefusedError(), OSError("resuming"), None])

    def connect() -> None:
        error = next(attempts)
        if error:
            raise error

    used = server_ep.wait_for_database(connect, 300, describe="db", sleep=clock.sleep, clock=clock)
    assert used == 3
    assert clock.sleeps == [0.5, 1.0]


def test_auth_config_round_trips_through_mlflows_reader(
    server_ep: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **BASE_ENV,
        "MLFLOW_AUTH_MODE": "per-user",
        "MLFLOW_ADMIN_USERNAME": "admin",
        "MLFLOW_ADMIN_PASSWORD": "a-very-long-password",
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "k" * 32,
    }
    settings = server_ep.ServerSettings.from_env(env)
    uri = server_ep.build_backend_uri(settings)
    path = server_ep.write_auth_config(settings, uri, str(tmp_path))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "a-very-long-password" not in path.read_text()
    monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", str(path))
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_USERNAME", raising=False)
    from mlflow.server.auth.config import read_auth_config

    config = read_auth_config()
    assert config.database_uri == uri
    assert config.admin_username == "admin"
    assert config.auth_cache_ttl_seconds == 60
    assert config.default_permission == "READ"


def test_server_gets_secrets_through_environment_not_arguments(server_ep: ModuleType) -> None:
    env = {
        **BASE_ENV,
        "MLFLOW_AUTH_MODE": "per-user",
        "MLFLOW_ADMIN_USERNAME": "admin",
        "MLFLOW_ADMIN_PASSWORD": "a-very-long-password",
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "k" * 32,
    }
    settings = server_ep.ServerSettings.from_env(env)
    args = server_ep.server_arguments(settings)
    uri = server_ep.build_backend_uri(settings)
    child = server_ep.server_environment(settings, uri, Path("/tmp/a.ini"))
    assert args[-2:] == ["--app-name", "basic-auth"]
    assert not any(secret in " ".join(args) for secret in settings.secrets)
    assert child["MLFLOW_BACKEND_STORE_URI"] == uri
    # Default: a pool whose idle connections MySQL closes, so Aurora can still pause.
    assert child["MLFLOW_SQLALCHEMYSTORE_POOLCLASS"] == "QueuePool"
    assert "wait_timeout%3D60" in uri
    assert int(child["MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE"]) < 60
    assert child["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert "--workers" in args and args[args.index("--workers") + 1] == "2"
    assert args[args.index("--host") + 1] == "127.0.0.1"


def test_initial_auth_tables_use_unique_foreign_key_names_on_mysql(server_ep: ModuleType) -> None:
    from sqlalchemy.dialects import mysql
    from sqlalchemy.schema import CreateTable

    metadata = server_ep.initial_auth_metadata()
    ddl = [str(CreateTable(t).compile(dialect=mysql.dialect())) for t in metadata.sorted_tables]
    names = [
        line.split("CONSTRAINT ")[1].split()[0]
        for statement in ddl
        for line in statement.splitlines()
        if "FOREIGN KEY" in line
    ]
    assert sorted(names) == sorted(server_ep.AUTH_FK_NAMES.values())
    assert len(set(names)) == len(names)
    assert next(t.name for t in metadata.sorted_tables) == "users"
    os.environ.pop("MLFLOW_AUTH_CONFIG_PATH", None)


def test_null_pool_mode_keeps_no_connection_and_adds_no_session_timeout(
    server_ep: ModuleType,
) -> None:
    settings = server_ep.ServerSettings.from_env({**BASE_ENV, "MLFLOW_DB_POOL": "null"})
    uri = server_ep.build_backend_uri(settings)
    child = server_ep.server_environment(settings, uri, None)
    assert child["MLFLOW_SQLALCHEMYSTORE_POOLCLASS"] == "NullPool"
    assert "wait_timeout" not in uri


def test_idle_timeout_pool_uri_carries_the_session_timeout_to_pymysql(
    server_ep: ModuleType,
) -> None:
    from sqlalchemy import create_engine

    settings = server_ep.ServerSettings.from_env(
        {**BASE_ENV, "MLFLOW_DB_IDLE_TIMEOUT_SECONDS": "30"}
    )
    engine = create_engine(server_ep.build_backend_uri(settings))
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert kwargs["init_command"] == "SET SESSION wait_timeout=30"
    assert kwargs["password"] == NASTY


class _Execed(Exception):
    """Stands for os.execvpe, which never returns."""


def _hand_over(server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list]:
    import mlflow.server

    # Registered first, so monkeypatch puts MLflow's launcher back after the test.
    monkeypatch.setattr(mlflow.server, "_exec_cmd", mlflow.server._exec_cmd)
    execed: list[list[str]] = []

    def record(cmd: list[str], **_: object) -> None:
        execed.append(cmd)
        raise _Execed

    return server_ep.hand_over_to_uvicorn(exec_=record), execed


# A real child that carries the word "uvicorn" in its argv and exits at once.
FAKE_UVICORN = [sys.executable, "-c", "import sys; sys.exit(0)", "uvicorn"]


def test_uvicorn_spawn_becomes_an_exec_when_job_execution_is_off(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.server

    monkeypatch.setenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    wrapper, execed = _hand_over(server_ep, monkeypatch)
    assert mlflow.server._exec_cmd is wrapper
    with pytest.raises(_Execed):
        mlflow.server._exec_cmd(FAKE_UVICORN, extra_env={}, synchronous=False)
    assert execed == [FAKE_UVICORN]


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_uvicorn_is_supervised_as_usual_when_job_execution_is_on(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    import mlflow.server

    monkeypatch.setenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", value)
    _, execed = _hand_over(server_ep, monkeypatch)
    child = mlflow.server._exec_cmd(
        FAKE_UVICORN, extra_env={}, capture_output=False, synchronous=False
    )
    assert child.wait(timeout=30) == 0
    assert execed == []


def test_other_commands_go_to_mlflows_launcher_unchanged(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.server

    monkeypatch.setenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    _, execed = _hand_over(server_ep, monkeypatch)
    command = [sys.executable, "-c", "print('ok')"]
    done = mlflow.server._exec_cmd(command, capture_output=True, synchronous=True)
    assert (done.returncode, done.stdout) == (0, "ok\n")
    assert execed == []


def test_exec_passes_the_uvicorn_argv_and_the_merged_environment(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FROM_PARENT", "1")
    calls: list[tuple[str, list[str], dict[str, str]]] = []
    cmd = [sys.executable, "-m", "uvicorn", "--workers", "2", "mlflow.server.fastapi_app:app"]
    server_ep.exec_instead_of_spawn(
        cmd, extra_env={"_MLFLOW_SERVER_FILE_STORE": "x"}, execvpe=lambda *a: calls.append(a)
    )
    [(program, argv, env)] = calls
    assert (program, argv) == (sys.executable, cmd)
    assert env["FROM_PARENT"] == "1" and env["_MLFLOW_SERVER_FILE_STORE"] == "x"


PER_USER_SECRETS = {
    "DB_PASSWORD": NASTY,
    "MLFLOW_ADMIN_PASSWORD": "a-very-long-password",
    "MLFLOW_AUTH_ADMIN_PASSWORD": "a-very-long-password",
    "MLFLOW_FLASK_SERVER_SECRET_KEY": "k" * 32,
    "MLFLOW_BACKEND_STORE_URI": "mysql+pymysql://u:secret@db/mlflow",
}


def test_exec_drops_the_raw_secrets_uvicorn_does_not_read(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in PER_USER_SECRETS.items():
        monkeypatch.setenv(name, value)
    calls: list[tuple[str, list[str], dict[str, str]]] = []
    mlflow_env = {
        "_MLFLOW_SERVER_FILE_STORE": "mysql+pymysql://u:secret@db/mlflow",
        "_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED": "true",
    }
    server_ep.exec_instead_of_spawn(
        ["uvicorn"], extra_env=mlflow_env, execvpe=lambda *a: calls.append(a)
    )
    [(_, _, env)] = calls
    for dropped in (
        "DB_PASSWORD",
        "MLFLOW_ADMIN_PASSWORD",
        "MLFLOW_AUTH_ADMIN_PASSWORD",
        "MLFLOW_BACKEND_STORE_URI",
    ):
        assert dropped not in env
    assert NASTY not in env.values() and "a-very-long-password" not in env.values()
    # What the workers still read: the stores MLflow passes them, and the CSRF key.
    assert env["_MLFLOW_SERVER_FILE_STORE"] == mlflow_env["_MLFLOW_SERVER_FILE_STORE"]
    assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == "k" * 32


def test_exec_keeps_the_admin_password_when_mlflow_did_not_bootstrap_the_admin(
    server_ep: ModuleType,
) -> None:
    # Without the marker the workers create the admin themselves and need the password.
    env = server_ep.exec_environment(PER_USER_SECRETS, {})
    assert env["MLFLOW_AUTH_ADMIN_PASSWORD"] == "a-very-long-password"
    assert "DB_PASSWORD" not in env


def test_workers_started_with_the_exec_environment_skip_the_admin_bootstrap(
    server_ep: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow's own worker start-up succeeds without the admin password once bootstrapped."""
    import subprocess

    settings = server_ep.ServerSettings.from_env(
        {
            "MLFLOW_BACKEND": "sqlite",
            "MLFLOW_SQLITE_PATH": str(tmp_path / "m.db"),
            "MLFLOW_ARTIFACTS_DESTINATION": "s3://b",
            "MLFLOW_AUTH_MODE": "per-user",
            "MLFLOW_ADMIN_USERNAME": "admin",
            "MLFLOW_ADMIN_PASSWORD": "a-very-long-password",
            "MLFLOW_FLASK_SERVER_SECRET_KEY": "k" * 32,
        }
    )
    uri = server_ep.build_backend_uri(settings)
    ini = server_ep.write_auth_config(settings, uri, str(tmp_path))
    base = {
        **server_ep.server_environment(settings, uri, ini),
        "PATH": os.environ.get("PATH", ""),
        "MLFLOW_ADMIN_PASSWORD": settings.admin_password,
    }
    env = server_ep.exec_environment(base, {"_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED": "true"})
    # The admin exists (as after `mlflow server` bootstrapped it); then a worker's create_app.
    script = (
        "import os, sys\n"
        "from mlflow.server.auth import create_app, store\n"
        "from mlflow.server import app\n"
        "create_app(app)\n"
        "print('admin' if store.has_user('admin') else 'no-admin')\n"
    )
    bootstrap = {
        **env,
        "_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED": "false",
        "MLFLOW_AUTH_ADMIN_PASSWORD": settings.admin_password,
    }
    for step_env in (bootstrap, env):
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=step_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().splitlines()[-1] == "admin", done.stdout
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" not in env


class _RecordingStream:
    def __init__(self) -> None:
        self.pending = ""
        self.written = ""

    def write(self, text: str) -> int:
        self.pending += text
        return len(text)

    def flush(self) -> None:
        self.written += self.pending
        self.pending = ""


def test_exec_flushes_stdout_and_stderr_first(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = _RecordingStream(), _RecordingStream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    print("buffered stdout line", end="")
    sys.stderr.write("buffered stderr line")
    seen: list[tuple[str, str]] = []
    server_ep.exec_instead_of_spawn(
        ["uvicorn"], extra_env={}, execvpe=lambda *a: seen.append((out.pending, err.pending))
    )
    assert seen == [("", "")]
    assert out.written == "buffered stdout line" and err.written == "buffered stderr line"


FAILING_MAIN = """
import importlib.util, logging, sys
spec = importlib.util.spec_from_file_location("ep", sys.argv[1])
ep = importlib.util.module_from_spec(spec)
sys.modules["ep"] = ep
spec.loader.exec_module(ep)

def prepare(settings, env):
    import mlflow.store.db.utils  # as the real migration does: MLflow configures its loggers

    password = settings.database.password
    # What a migration could log, on the loggers MLflow configures with their own handler.
    logging.getLogger("alembic.runtime.migration").warning("migration saw %s", password)
    logging.getLogger("mlflow.store.db.utils").warning("uri %s", ep.build_backend_uri(settings))
    raise RuntimeError("migration failed for password=" + password)

ep.prepare = prepare
sys.exit(ep.main())
"""


def test_unexpected_startup_failure_is_logged_masked_and_exits_non_zero(
    server_ep: ModuleType,
) -> None:
    import subprocess
    from urllib.parse import quote, quote_plus

    env = {**BASE_ENV, "PATH": os.environ.get("PATH", ""), "MLFLOW_LOGGING_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", FAILING_MAIN, server_ep.__file__],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    for form in (NASTY, quote(NASTY, safe=""), quote_plus(NASTY)):
        assert form not in output
    assert "Traceback" not in output
    assert "migration saw ***" in output
    assert "uri mysql+pymysql://admin%40x:***@" in output
    assert "startup failed: RuntimeError: migration failed for password=***" in output


def test_short_error_text_masks_before_truncating(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-" * 10
    monkeypatch.setattr(server_ep, "_ACTIVE_REDACTOR", server_ep.Redactor([secret]))
    text = server_ep._short(OSError("x" * 180 + secret))
    assert "s3cr3t" not in text and text.endswith("***")


# What CloudFormation puts in the task: the ALB's DNSName keeps its capitals.
ALB_NAME = "internal-SC-1234-Entry-1ABC-123.us-east-1.elb.amazonaws.com"
HOST_POLICY_ENV = {
    **BASE_ENV,
    "MLFLOW_SERVER_ALLOWED_HOSTS": f"{ALB_NAME}, MLflow.Example.com,*.execute-api.us-east-1"
    ".amazonaws.com,localhost:5000",
    "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": f"http://{ALB_NAME},HTTPS://MLflow.Example.com",
}


def test_allowed_hosts_and_cors_origins_reach_mlflow_lowercased(server_ep: ModuleType) -> None:
    settings = server_ep.ServerSettings.from_env(HOST_POLICY_ENV)
    child = server_ep.server_environment(settings, server_ep.build_backend_uri(settings), None)
    assert child["MLFLOW_SERVER_ALLOWED_HOSTS"] == (
        f"{ALB_NAME.lower()},mlflow.example.com,*.execute-api.us-east-1.amazonaws.com,"
        "localhost:5000"
    )
    assert child["MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"] == (
        f"http://{ALB_NAME.lower()},https://mlflow.example.com"
    )


def test_mlflow_accepts_the_lowercased_host_and_origin_clients_send(
    server_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow's own checks, fed what the entrypoint hands over (urllib3 lowercases the host)."""
    from mlflow.server import security_utils

    settings = server_ep.ServerSettings.from_env(HOST_POLICY_ENV)
    child = server_ep.server_environment(settings, server_ep.build_backend_uri(settings), None)
    for name in ("MLFLOW_SERVER_ALLOWED_HOSTS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"):
        monkeypatch.setenv(name, child[name])
    hosts = security_utils.get_allowed_hosts_from_env()
    origins = security_utils.get_allowed_origins_from_env()
    assert security_utils.is_allowed_host_header(hosts, ALB_NAME.lower())
    assert security_utils.is_allowed_host_header(hosts, "mlflow.example.com")
    assert not security_utils.is_allowed_host_header(hosts, "evil.example")
    origin = f"http://{ALB_NAME.lower()}"
    assert not security_utils.should_block_cors_request(origin, "POST", origins)
    assert security_utils.should_block_cors_request("https://evil.example", "POST", origins)


def test_without_a_host_policy_mlflows_defaults_stay(server_ep: ModuleType) -> None:
    settings = server_ep.ServerSettings.from_env(
        {**BASE_ENV, "MLFLOW_SERVER_ALLOWED_HOSTS": " , "}
    )
    child = server_ep.server_environment(settings, server_ep.build_backend_uri(settings), None)
    assert (settings.allowed_hosts, settings.cors_origins) == ((), ())
    assert "MLFLOW_SERVER_ALLOWED_HOSTS" not in child
    assert "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS" not in child


def test_prepare_hands_the_lowercased_host_policy_to_mlflow_server(
    server_ep: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mlflow server` reads the lists from os.environ: prepare must overwrite the task's."""
    task_env = {
        "MLFLOW_BACKEND": "sqlite",
        "MLFLOW_SQLITE_PATH": str(tmp_path / "m.db"),
        "MLFLOW_ARTIFACTS_DESTINATION": "s3://b",
        "MLFLOW_SERVER_ALLOWED_HOSTS": HOST_POLICY_ENV["MLFLOW_SERVER_ALLOWED_HOSTS"],
        "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": HOST_POLICY_ENV["MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"],
    }
    # prepare writes os.environ: give it a scratch copy holding the task's environment.
    monkeypatch.setattr(os, "environ", {**os.environ, **task_env})
    monkeypatch.setattr(server_ep, "migrate_tracking_schema", lambda uri: "stubbed")
    server_ep.prepare(server_ep.ServerSettings.from_env(task_env), task_env)
    assert os.environ["MLFLOW_SERVER_ALLOWED_HOSTS"].startswith(ALB_NAME.lower() + ",")
    assert os.environ["MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"] == (
        f"http://{ALB_NAME.lower()},https://mlflow.example.com"
    )


def test_mysql_connections_wait_long_enough_for_aurora_to_resume(server_ep: ModuleType) -> None:
    from sqlalchemy import create_engine

    settings = server_ep.ServerSettings.from_env(BASE_ENV)
    uri = server_ep.build_backend_uri(settings)
    engine = create_engine(uri)
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    # pymysql's default (10 s) is shorter than a resume from auto-pause (15-30 s).
    assert kwargs["connect_timeout"] == 30
    assert kwargs["password"] == NASTY and NASTY not in uri
