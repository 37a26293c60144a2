#!/usr/bin/env python3
"""Entrypoint of the MLflow tracking server: the container's, and the local stack's.

Steps, each logged on one line:
1. read the runtime contract from the environment (see ServerSettings.from_env; the Host
   allow-list and the CORS origins are lowercased, as MLflow matches them case-sensitively);
2. build the backend-store URI in-process (the password never reaches a command line or a log);
3. wait for the database with bounded exponential backoff (Aurora resuming from auto-pause
   takes 15-30 s and must not become a crash loop);
4. migrate the tracking schema, and in per-user mode the auth schema, under a MySQL advisory
   lock so several tasks starting at once migrate exactly once;
5. run `mlflow server` in this process (the MLflow modules imported for step 4 are reused:
   about 3 s of cold start), and when it would spawn uvicorn and only wait for it, exec
   uvicorn instead: uvicorn becomes PID 1 and handles SIGTERM itself, and the ~190 MB this
   process holds (MLflow, SQLAlchemy, the migrations) is freed. With job execution on,
   MLflow's process also runs the job consumers, so it stays.
"""

from __future__ import annotations

import configparser
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

LOG = logging.getLogger("mlflow_core.entrypoint")

AUTH_MODES = ("basic", "per-user", "iam")
BACKENDS = ("mysql", "sqlite")
PERMISSIONS = ("READ", "EDIT", "MANAGE", "NO_PERMISSIONS")
MIGRATION_LOCK = "mlflow_platform_schema_migration"
MIGRATION_LOCK_TIMEOUT_S = 900
# MLflow refuses admin passwords shorter than this; fail before migrating anything.
MIN_ADMIN_PASSWORD_LENGTH = 12
# pymysql waits 10 s for a connection by default; an auto-paused Aurora Serverless v2 takes
# 15-30 s to resume, so the first request after a pause would fail instead of waiting.
DB_CONNECT_TIMEOUT_S = 30
# MLflow compares Host and Origin with these lists case-sensitively (`==` or fnmatch), but DNS
# names are case-insensitive: the ALB name CloudFormation hands us keeps its capitals, while
# clients (urllib3, browsers) send it lowercased. Lowercased here, since a template cannot.
ALLOWED_HOSTS_ENV = "MLFLOW_SERVER_ALLOWED_HOSTS"
CORS_ORIGINS_ENV = "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class DatabaseSettings:
    host: str
    port: int
    name: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ServerSettings:
    """The server container's runtime contract (the CDK task definition sets these)."""

    backend: str
    artifacts_destination: str
    database: DatabaseSettings | None = None
    sqlite_path: str = "/tmp/mlflow/mlflow.db"  # noqa: S108 - local-only backend
    db_wait_seconds: float = 300.0
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 2
    auth_mode: str = "basic"
    admin_username: str = ""
    admin_password: str = field(default="", repr=False)
    flask_secret_key: str = field(default="", repr=False)
    auth_default_permission: str = "READ"
    auth_cache_ttl_seconds: int = 60
    auth_config_dir: str = ""
    # "idle-timeout" (default): a small pool whose idle connections the database itself closes
    # after db_idle_timeout_s (session wait_timeout), so Aurora can still auto-pause. Measured
    # here it doubles basic-mode throughput and makes per-user mode usable: NullPool opens a new
    # connection for every auth and permission query (per-user log_metric ~2.5 calls/s).
    # "null": NullPool, no connection outlives a request.
    db_pool: str = "idle-timeout"
    db_idle_timeout_s: int = 60
    # Lowercased (see ALLOWED_HOSTS_ENV); empty: MLflow's own defaults apply.
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServerSettings:
        backend = env.get("MLFLOW_BACKEND", "mysql")
        if backend not in BACKENDS:
            raise ValueError(f"MLFLOW_BACKEND must be one of {BACKENDS}, got {backend!r}")
        database = None
        if backend == "mysql":
            missing = [
                name
                for name in ("DB_HOST", "DB_NAME", "DB_USERNAME", "DB_PASSWORD")
                if not env.get(name)
            ]
            if missing:
                raise ValueError(f"MLFLOW_BACKEND=mysql needs {', '.join(missing)}")
            database = DatabaseSettings(
                host=env["DB_HOST"],
                port=_int(env, "DB_PORT", 3306, 1, 65535),
                name=env["DB_NAME"],
                username=env["DB_USERNAME"],
                password=env["DB_PASSWORD"],
            )
        artifacts = env.get("MLFLOW_ARTIFACTS_DESTINATION", "")
        if not artifacts:
            raise ValueError("MLFLOW_ARTIFACTS_DESTINATION is required (e.g. s3://bucket/prefix)")
        auth_mode = env.get("MLFLOW_AUTH_MODE", "basic")
        if auth_mode not in AUTH_MODES:
            raise ValueError(f"MLFLOW_AUTH_MODE must be one of {AUTH_MODES}, got {auth_mode!r}")
        permission = env.get("MLFLOW_AUTH_DEFAULT_PERMISSION", "READ")
        if permission not in PERMISSIONS:
            raise ValueError(f"MLFLOW_AUTH_DEFAULT_PERMISSION must be one of {PERMISSIONS}")
        settings = cls(
            backend=backend,
            artifacts_destination=artifacts,
            database=database,
            sqlite_path=env.get("MLFLOW_SQLITE_PATH", "/tmp/mlflow/mlflow.db"),  # noqa: S108
            db_wait_seconds=float(_int(env, "DB_WAIT_SECONDS", 300, 0, 3600)),
            host=env.get("MLFLOW_HOST", "127.0.0.1"),
            port=_int(env, "MLFLOW_PORT", 5000, 1, 65535),
            workers=_int(env, "MLFLOW_WORKERS", 2, 1, 16),
            auth_mode=auth_mode,
            admin_username=env.get("MLFLOW_ADMIN_USERNAME", ""),
            admin_password=env.get("MLFLOW_ADMIN_PASSWORD", ""),
            flask_secret_key=env.get("MLFLOW_FLASK_SERVER_SECRET_KEY", ""),
            auth_default_permission=permission,
            auth_cache_ttl_seconds=_int(env, "MLFLOW_AUTH_CACHE_TTL_SECONDS", 60, 0, 3600),
            auth_config_dir=env.get("MLFLOW_AUTH_CONFIG_DIR", ""),
            db_pool=_choice(env, "MLFLOW_DB_POOL", "idle-timeout", ("null", "idle-timeout")),
            db_idle_timeout_s=_int(env, "MLFLOW_DB_IDLE_TIMEOUT_SECONDS", 60, 10, 3600),
            allowed_hosts=_lowercase_list(env, ALLOWED_HOSTS_ENV),
            cors_origins=_lowercase_list(env, CORS_ORIGINS_ENV),
        )
        settings.validate_auth()
        return settings

    def validate_auth(self) -> None:
        if self.auth_mode != "per-user":
            return
        if not self.admin_username or ":" in self.admin_username:
            raise ValueError("per-user mode needs MLFLOW_ADMIN_USERNAME (without ':')")
        if len(self.admin_password) < MIN_ADMIN_PASSWORD_LENGTH:
            raise ValueError(
                f"per-user mode needs MLFLOW_ADMIN_PASSWORD of {MIN_ADMIN_PASSWORD_LENGTH}+ chars"
            )
        if len(self.flask_secret_key) < 16:
            raise ValueError(
                "per-user mode needs MLFLOW_FLASK_SERVER_SECRET_KEY (16+ chars, the same "
                "value in every task, or CSRF and sessions break across tasks)"
            )

    @property
    def secrets(self) -> tuple[str, ...]:
        values = [self.admin_password, self.flask_secret_key]
        if self.database:
            values.append(self.database.password)
        return tuple(v for v in values if v)


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "") or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _lowercase_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of host names or origins, trimmed and lowercased."""
    entries = (entry.strip().lower() for entry in env.get(name, "").split(","))
    return tuple(entry for entry in entries if entry)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


# --------------------------------------------------------------------------- URI, redaction


def build_backend_uri(settings: ServerSettings) -> str:
    """SQLAlchemy URI of the tracking store; credentials percent-encoded (any character works)."""
    if settings.backend == "sqlite":
        return f"sqlite:///{Path(settings.sqlite_path).resolve()}"
    db = settings.database
    assert db is not None  # from_env guarantees it for mysql
    user = quote(db.username, safe="")
    password = quote(db.password, safe="")
    host = f"[{db.host}]" if ":" in db.host else db.host
    query = f"charset=utf8mb4&connect_timeout={DB_CONNECT_TIMEOUT_S}"
    if settings.db_pool == "idle-timeout":
        # The server closes pooled connections idle this long; pool_pre_ping (always on in
        # MLflow) replaces them transparently on the next checkout.
        init = f"SET SESSION wait_timeout={settings.db_idle_timeout_s}"
        query += f"&init_command={quote(init, safe='')}"
    name = quote(db.name, safe="")
    return f"mysql+pymysql://{user}:{password}@{host}:{db.port}/{name}?{query}"


class Redactor(logging.Filter):
    """Replaces secrets (raw and percent-encoded) with *** in every record it sees."""

    MASK = "***"

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        # Longest first, so a secret containing another is masked whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, self.MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks of driver errors may quote connection arguments: keep the text only.
            error = record.exc_info[1]
            # str, not repr: repr escapes quotes and backslashes, hiding secrets from redact().
            record.msg = self.redact(f"{record.getMessage()}: {type(error).__name__}: {error}")
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


# Loggers whose handlers write. Importing mlflow gives mlflow, alembic (the migrations),
# sqlalchemy.engine and huey one shared handler of their own, with propagation off: records
# there never reach the root handler, so that handler needs the redactor too.
REDACTED_LOGGERS = ("", "mlflow", "alembic", "sqlalchemy.engine", "huey")


def install_redaction(redactor: Redactor, logger_names: Iterable[str] = REDACTED_LOGGERS) -> None:
    """Attach the redactor to the handlers that actually write (filters on handlers see all)."""
    for name in logger_names:
        for handler in logging.getLogger(name).handlers:
            if redactor not in handler.filters:
                handler.addFilter(redactor)


# --------------------------------------------------------------------------- waiting


def backoff_delays(
    first: float = 0.5, factor: float = 2.0, ceiling: float = 10.0
) -> Iterator[float]:
    """0.5, 1, 2, 4, 8, 10, 10, ... seconds: quick while a DB starts, bounded while it resumes."""
    delay = first
    while True:
        yield min(delay, ceiling)
        delay *= factor


def wait_for_database(
    connect: Callable[[], None],
    timeout_s: float,
    *,
    describe: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    delays: Iterator[float] | None = None,
) -> int:
    """Call connect until it succeeds; return the attempts used. Raise TimeoutError at timeout_s.

    Never sleeps past the deadline and always makes a last attempt at it.
    """
    deadline = clock() + timeout_s
    delays = delays or backoff_delays()
    attempt = 0
    while True:
        attempt += 1
        try:
            connect()
        except Exception as exc:
            left = deadline - clock()
            if left <= 0:
                raise TimeoutError(
                    f"database {describe} still unreachable after {attempt} attempts "
                    f"and {timeout_s:.0f} s: {exc}"
                ) from None
            delay = min(next(delays), left)
            LOG.warning(
                "database %s not reachable yet (attempt %d: %s); retrying in %.1f s, "
                "giving up in %.0f s",
                describe,
                attempt,
                _short(exc),
                delay,
                left,
            )
            sleep(delay)
            continue
        if attempt > 1:
            LOG.info("database %s reachable after %d attempts", describe, attempt)
        return attempt


def _short(exc: BaseException) -> str:
    # Mask before cutting: a cut through a secret would leave a prefix no redactor recognises.
    text = _redact(str(exc)).replace("\n", " ")
    return f"{type(exc).__name__}: {text[:200]}"


# The redactor main() built from the injected secrets; _short applies it before truncating.
_ACTIVE_REDACTOR: Redactor | None = None


def _redact(text: str) -> str:
    return _ACTIVE_REDACTOR.redact(text) if _ACTIVE_REDACTOR is not None else text


def mysql_connector(db: DatabaseSettings, *, connect_timeout: int = 5) -> Callable[[], object]:
    def connect() -> object:
        import pymysql  # deferred: sqlite-only runs need no driver

        return pymysql.connect(
            host=db.host,
            port=db.port,
            user=db.username,
            password=db.password,
            database=db.name,
            connect_timeout=connect_timeout,
        )

    return connect


# --------------------------------------------------------------------------- migrations


@contextlib.contextmanager
def migration_lock(settings: ServerSettings) -> Iterator[None]:
    """MySQL advisory lock held around migrations; a no-op for local SQLite."""
    if settings.database is None:
        yield
        return
    conn = mysql_connector(settings.database)()
    try:
        with conn.cursor() as cursor:  # type: ignore[attr-defined]
            LOG.info("waiting for the schema migration lock")
            cursor.execute("SELECT GET_LOCK(%s, %s)", (MIGRATION_LOCK, MIGRATION_LOCK_TIMEOUT_S))
            (granted,) = cursor.fetchone()
            if granted != 1:
                raise TimeoutError(f"no migration lock within {MIGRATION_LOCK_TIMEOUT_S} s")
        yield
    finally:
        # Closing the session releases the lock even if RELEASE_LOCK is never reached.
        conn.close()  # type: ignore[attr-defined]


def migrate_tracking_schema(uri: str) -> str:
    """Create or upgrade MLflow's tracking schema; return what was done."""
    import sqlalchemy
    from mlflow.store.db import utils as db_utils
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(uri, poolclass=NullPool)
    try:
        if not db_utils._all_tables_exist(engine):
            db_utils._initialize_tables(engine)
            return "created"
        if db_utils._get_schema_version(engine) != db_utils._get_latest_schema_revision():
            db_utils._upgrade_db(engine)
            return "upgraded"
        return "current"
    finally:
        engine.dispose()


# The first auth migration (8606fa83a998) names two foreign keys `fk_user_id`. MySQL wants
# constraint names unique per schema, so it fails there (mlflow#9642, #10964). Pre-creating
# exactly those three tables with unique names makes MLflow treat the schema as a pre-Alembic
# "legacy" one: it stamps 8606fa83a998 and runs every later migration itself. No later
# migration refers to `fk_user_id` by name.
AUTH_FK_NAMES = {
    "experiment_permissions": "fk_experiment_permissions_user_id",
    "registered_model_permissions": "fk_registered_model_permissions_user_id",
}


def initial_auth_metadata() -> object:
    import sqlalchemy as sa

    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False, primary_key=True),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=True),
        sa.UniqueConstraint("username"),
    )
    for table, key in (
        ("experiment_permissions", "experiment_id"),
        ("registered_model_permissions", "name"),
    ):
        unique = "unique_experiment_user" if key == "experiment_id" else "unique_name_user"
        sa.Table(
            table,
            metadata,
            sa.Column("id", sa.Integer(), nullable=False, primary_key=True),
            sa.Column(key, sa.String(length=255), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("permission", sa.String(length=255), nullable=True),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=AUTH_FK_NAMES[table]),
            sa.UniqueConstraint(key, "user_id", name=unique),
        )
    return metadata


def migrate_auth_schema(uri: str) -> str:
    """Create or upgrade the basic-auth app's schema (same database as tracking)."""
    import sqlalchemy

    # Importing the auth package reads MLFLOW_AUTH_CONFIG_PATH: write_auth_config runs first.
    from mlflow.server.auth.db import utils as auth_db_utils
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(uri, poolclass=NullPool)
    try:
        existed = "users" in sqlalchemy.inspect(engine).get_table_names()
        if not existed and engine.dialect.name == "mysql":
            initial_auth_metadata().create_all(engine)  # type: ignore[attr-defined]
        auth_db_utils.migrate_if_needed(engine, "head")
        return "checked" if existed else "created"
    finally:
        engine.dispose()


def sync_admin_password(uri: str, username: str, password: str) -> str:
    """Make the stored admin password the injected one (after a credentials rotation).

    MLflow creates the admin only when it does not exist; without this, rotating the secret
    would leave the old password in the auth database and lock the admin out.
    """
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore()
    store.init_db(uri)
    try:
        if not store.has_user(username):
            return "admin not created yet"
        if store.authenticate_user(username, password):
            return "admin password current"
        store.update_user(username, password=password)
        return "admin password updated from the secret"
    finally:
        store.engine.dispose()


def write_auth_config(settings: ServerSettings, uri: str, directory: str) -> Path:
    """Write the basic-auth app's ini (it holds the DB URI: private dir, mode 0600)."""
    parser = configparser.ConfigParser()
    # configparser interpolates '%': double it (percent-encoded passwords are full of them).
    parser["mlflow"] = {
        "default_permission": settings.auth_default_permission,
        "database_uri": uri.replace("%", "%%"),
        "admin_username": settings.admin_username.replace("%", "%%"),
        "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
        "grant_default_workspace_access": "false",
        # scrypt/PBKDF2 per request caps a worker at a few calls/s; cache verified credentials.
        # Password changes through the API invalidate the handling worker's entry at once,
        # other workers' within this TTL.
        "auth_cache_ttl_seconds": str(settings.auth_cache_ttl_seconds),
        "auth_cache_max_size": "10000",
    }
    path = Path(directory) / "basic_auth.ini"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)
    return path


# --------------------------------------------------------------------------- server


def server_environment(
    settings: ServerSettings, uri: str, auth_config: Path | None
) -> dict[str, str]:
    """Environment for `mlflow server` and its workers (secrets in env, never in argv)."""
    env = {
        "MLFLOW_BACKEND_STORE_URI": uri,
        "MLFLOW_ARTIFACTS_DESTINATION": settings.artifacts_destination,
        # No idle pooled connections, so Aurora Serverless v2 can auto-pause (MLFLOW_DB_POOL=null;
        # the idle-timeout pool below replaces this for MySQL by default).
        "MLFLOW_SQLALCHEMYSTORE_POOLCLASS": "NullPool",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        # Private subnets have no route to MLflow's telemetry endpoint: do not even try.
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        # uvicorn keeps idle connections longer than nginx's upstream keepalive (30 s), so
        # nginx never reuses a connection that uvicorn is closing.
        "MLFLOW_UVICORN_OPTS": "--timeout-keep-alive 60",
    }
    if settings.db_pool == "idle-timeout" and settings.backend == "mysql":
        env.update(
            {
                "MLFLOW_SQLALCHEMYSTORE_POOLCLASS": "QueuePool",
                "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "4",
                "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "8",
                # Recycle before the server-side timeout fires.
                "MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE": str(max(5, settings.db_idle_timeout_s - 5)),
            }
        )
    # Replace the task's mixed-case lists with the lowercased ones MLflow can match.
    if settings.allowed_hosts:
        env[ALLOWED_HOSTS_ENV] = ",".join(settings.allowed_hosts)
    if settings.cors_origins:
        env[CORS_ORIGINS_ENV] = ",".join(settings.cors_origins)
    if auth_config is not None:
        env.update(
            {
                "MLFLOW_AUTH_CONFIG_PATH": str(auth_config),
                "MLFLOW_AUTH_ADMIN_USERNAME": settings.admin_username,
                "MLFLOW_AUTH_ADMIN_PASSWORD": settings.admin_password,
                "MLFLOW_FLASK_SERVER_SECRET_KEY": settings.flask_secret_key,
            }
        )
    return env


def server_arguments(settings: ServerSettings) -> list[str]:
    args = [
        "server",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--workers",
        str(settings.workers),
    ]
    if settings.auth_mode == "per-user":
        args += ["--app-name", "basic-auth"]
    return args


def prepare(settings: ServerSettings, env: Mapping[str, str]) -> dict[str, str]:
    """Steps 2-4; return the environment overrides for `mlflow server`."""
    uri = build_backend_uri(settings)
    if settings.database is not None:
        db = settings.database
        wait_for_database(
            mysql_connector(db),
            settings.db_wait_seconds,
            describe=f"{db.host}:{db.port}/{db.name}",
        )
    else:
        Path(settings.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    auth_config = None
    if settings.auth_mode == "per-user":
        directory = settings.auth_config_dir or tempfile.mkdtemp(prefix="mlflow-auth-")
        auth_config = write_auth_config(settings, uri, directory)
        os.environ["MLFLOW_AUTH_CONFIG_PATH"] = str(auth_config)
    overrides = {**server_environment(settings, uri, auth_config)}
    # Operator settings win over our defaults (e.g. MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true).
    for name in ("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "MLFLOW_UVICORN_OPTS"):
        if env.get(name):
            overrides[name] = env[name]
    os.environ.update(overrides)
    started = time.monotonic()
    with migration_lock(settings):
        LOG.info("tracking schema: %s", migrate_tracking_schema(uri))
        if auth_config is not None:
            LOG.info("auth schema: %s", migrate_auth_schema(uri))
            outcome = sync_admin_password(uri, settings.admin_username, settings.admin_password)
            LOG.info("%s", outcome)
    LOG.info("schema check took %.1f s", time.monotonic() - started)
    return overrides


# Raw secrets that the exec'd uvicorn (MLflow 3.17) never reads, so they leave the environment
# with this process:
# - DB_PASSWORD and MLFLOW_BACKEND_STORE_URI: workers open the tracking and registry stores
#   from _MLFLOW_SERVER_FILE_STORE / _MLFLOW_SERVER_REGISTRY_STORE, which `mlflow server` sets
#   (MLFLOW_BACKEND_STORE_URI is only the CLI option's default, and the job runner's, which
#   never runs after an exec);
# - MLFLOW_ADMIN_PASSWORD: this entrypoint's own input.
# Kept on purpose: MLFLOW_FLASK_SERVER_SECRET_KEY (every worker's auth create_app() refuses to
# start without it, and CSRF needs the same value in all workers and tasks) and
# MLFLOW_AUTH_CONFIG_PATH (its ini holds the auth database URI the workers open).
EXEC_DROPPED_ENV = ("DB_PASSWORD", "MLFLOW_ADMIN_PASSWORD", "MLFLOW_BACKEND_STORE_URI")
# Workers read the admin password only to create the admin, which `mlflow server` has already
# done in this process when it sets this marker (its workers then skip the bootstrap).
ADMIN_BOOTSTRAPPED_MARKER = "_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED"


def exec_environment(base: Mapping[str, str], extra_env: Mapping[str, str]) -> dict[str, str]:
    """The environment uvicorn gets: ours plus MLflow's, minus the secrets it does not need."""
    env = {**base, **extra_env}
    for name in EXEC_DROPPED_ENV:
        env.pop(name, None)
    if env.get(ADMIN_BOOTSTRAPPED_MARKER, "").lower() in ("true", "1"):
        # Removed, not emptied: MLflow treats a set-but-empty variable as "no password".
        env.pop("MLFLOW_AUTH_ADMIN_PASSWORD", None)
    return env


def flush_output() -> None:
    """Flush every logging handler and the std streams: exec discards unwritten buffers."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            with contextlib.suppress(Exception):
                handler.flush()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()


def exec_instead_of_spawn(
    cmd: list[str],
    *,
    extra_env: Mapping[str, str] | None = None,
    execvpe: Callable[[str, list[str], dict[str, str]], object] = os.execvpe,
    **_: object,
) -> None:
    """Replace this process by the uvicorn command `mlflow server` built (argv has no secret)."""
    env = exec_environment(os.environ, extra_env or {})
    LOG.info("handing over to uvicorn (exec, %d workers)", _workers_in(cmd))
    flush_output()
    execvpe(cmd[0], cmd, env)


def _workers_in(cmd: list[str]) -> int:
    with contextlib.suppress(ValueError, IndexError):
        return int(cmd[cmd.index("--workers") + 1])
    return 1


def job_execution_requested() -> bool:
    """MLflow's own reading of MLFLOW_SERVER_ENABLE_JOB_EXECUTION ("true", "1", ...)."""
    from mlflow.environment_variables import MLFLOW_SERVER_ENABLE_JOB_EXECUTION

    return bool(MLFLOW_SERVER_ENABLE_JOB_EXECUTION.get())


def hand_over_to_uvicorn(
    exec_: Callable[..., None] = exec_instead_of_spawn,
) -> Callable[..., object]:
    """Wrap MLflow's process launcher so the uvicorn spawn becomes an exec; return the wrapper.

    `mlflow server` (MLflow 3.17) calls `_exec_cmd(uvicorn..., synchronous=False)` once, then
    only forwards signals and waits. Any other command, and every command while job execution
    is requested, goes to MLflow's launcher unchanged.
    """
    import mlflow.server

    original = mlflow.server._exec_cmd

    def exec_cmd(cmd: object, **kwargs: object) -> object:
        is_uvicorn_spawn = (
            isinstance(cmd, list) and "uvicorn" in cmd and kwargs.get("synchronous") is False
        )
        if is_uvicorn_spawn and not job_execution_requested():
            exec_(cmd, **kwargs)
        return original(cmd, **kwargs)

    mlflow.server._exec_cmd = exec_cmd
    return exec_cmd


def run_server(settings: ServerSettings) -> int:
    from mlflow.cli import cli

    hand_over_to_uvicorn()

    LOG.info(
        "starting mlflow server on %s:%d, %d workers, auth mode %s",
        settings.host,
        settings.port,
        settings.workers,
        settings.auth_mode,
    )
    try:
        cli.main(args=server_arguments(settings), prog_name="mlflow", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def main(env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s [entrypoint] %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = ServerSettings.from_env(env)
    except ValueError as exc:
        LOG.error("invalid configuration: %s", exc)
        return 2
    global _ACTIVE_REDACTOR
    redactor = _ACTIVE_REDACTOR = Redactor(settings.secrets)
    install_redaction(redactor)
    # Anything unexpected is logged as one masked line (type and message, no traceback, which
    # could quote connection arguments) and exits non-zero, so ECS replaces the task.
    try:
        # Importing mlflow configures its loggers (mlflow, alembic, sqlalchemy.engine, huey);
        # they get the redactor before any migration logs a line.
        import mlflow  # noqa: F401

        install_redaction(redactor)
        prepare(settings, env)
    except TimeoutError as exc:
        LOG.error("%s", redactor.redact(str(exc)))
        return 3
    except Exception as exc:
        LOG.error("startup failed: %s: %s", type(exc).__name__, redactor.redact(str(exc)))
        return 4
    try:
        return run_server(settings)
    except Exception as exc:
        LOG.error("mlflow server failed: %s: %s", type(exc).__name__, redactor.redact(str(exc)))
        return 5


if __name__ == "__main__":
    sys.exit(main())
