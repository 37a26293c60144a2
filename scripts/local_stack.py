#!/usr/bin/env python3
"""Run the MLflow core product's runtime on this machine: no AWS, no Docker.

Starts moto server as S3 (and creates the artifact bucket), SQLite or MariaDB as the backend
store, the server container's entrypoint and the proxy container's entrypoint (the same
rendered nginx.conf), each on a free port of 127.0.0.1, then prints the tracking URI and the
generated credentials. Ctrl-C or SIGTERM stops everything.

    python scripts/local_stack.py [--backend sqlite|mariadb] [--auth-mode basic|per-user]
                                  [--port N] [--check]

Also a library: `with LocalStack(backend="mariadb") as stack: stack.tracking_uri ...` is what the
integration tests, bench/runtime.py and other products' tests use.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlflow_platform.cli.output import shell_exports

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER_ENTRYPOINT = REPO_ROOT / "docker" / "mlflow_core" / "server" / "entrypoint.py"
PROXY_ENTRYPOINT = REPO_ROOT / "docker" / "mlflow_core" / "proxy" / "entrypoint.py"
BIN_DIR = Path(sys.executable).parent
LOCALHOST = "127.0.0.1"
# moto accepts any credentials; these only keep boto3 from looking for real ones.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
Progress = Callable[[str], None]


class StackError(RuntimeError):
    """A component did not start; the message names it and points at its log."""


def _quiet(_: str) -> None:
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def generate_password(length: int = 24) -> str:
    """Random password with shell metacharacters, quotes and a colon (they must all work)."""
    alphabet = string.ascii_letters + string.digits
    specials = "$`\"':;&|<>!*%#\\ "
    core = "".join(secrets.choice(alphabet) for _ in range(length - 6))
    # A fixed sprinkle guarantees the awkward characters are always exercised.
    return f"{core[:4]}:{core[4:8]}$'\"`{secrets.choice(specials)}{core[8:]}"


def find_binary(name: str, *extra_dirs: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in (*extra_dirs, "/usr/sbin", "/usr/local/sbin", "/sbin"):
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    return None


def http_status(url: str, timeout: float = 2.0, headers: Mapping[str, str] | None = None) -> int:
    # Only http://127.0.0.1 URLs built by this module.
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local http
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, proc: ManagedProcess | None = None
) -> float:
    """Poll check until true; return seconds waited. Fail early if proc died."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with {proc.poll()}; see {proc.log_path}")
        time.sleep(0.1)
    where = f"; see {proc.log_path}" if proc else ""
    raise StackError(f"{what} not ready after {timeout:.0f} s{where}")


def session_pids(leader: int) -> list[int]:
    """All processes of the session a ManagedProcess leads (for uvicorn: supervisor and workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == leader:  # field 6 of /proc/pid/stat: session id
            pids.append(int(entry.name))
    return pids


class ManagedProcess:
    """A child in its own session, so stop() reaches all of its children (uvicorn workers)."""

    def __init__(
        self, name: str, command: list[str], log_path: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.command = command
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None, f"{self.name} not started"
        return self._proc.pid

    def poll(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, sig)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(5)
        # Workers may outlive a killed parent for a moment: sweep the process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc = None


# --------------------------------------------------------------------------- S3


@dataclass
class MotoS3:
    """moto server on 127.0.0.1 standing in for S3."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self) -> MotoS3:
        binary = find_binary("moto_server", str(BIN_DIR))
        if binary is None:
            raise StackError("moto_server not found: pip install 'moto[server]'")
        self.process = ManagedProcess(
            "moto",
            [binary, "-H", LOCALHOST, "-p", str(self.port)],
            self.workdir / "logs" / "moto.log",
        ).start()
        wait_until(
            lambda: http_status(f"{self.endpoint}/moto-api/") == 200, 30, "moto", self.process
        )
        return self

    def client(self) -> object:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
            region_name=FAKE_AWS["AWS_DEFAULT_REGION"],
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.process:
            self.process.stop()


# --------------------------------------------------------------------------- MariaDB


@dataclass
class MariaDB:
    """A private mariadbd (no systemd) with its own datadir, socket and port."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None
    root_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def datadir(self) -> Path:
        return self.workdir / "mariadb" / "data"

    @property
    def socket_path(self) -> Path:
        return self.workdir / "mariadb" / "mariadb.sock"

    @staticmethod
    def available() -> bool:
        return bool(find_binary("mariadbd") and find_binary("mariadb-install-db"))

    def install(self) -> None:
        if (self.datadir / "mysql").exists():
            return
        installer = find_binary("mariadb-install-db")
        if installer is None:
            raise StackError("mariadb-install-db not found: apt-get install mariadb-server")
        self.datadir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "logs" / "mariadb-install.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        user = [] if os.geteuid() != 0 else ["--user=root"]
        with open(log, "ab") as handle:
            subprocess.run(
                [
                    installer,
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    *user,
                ],
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=True,
            )

    def start(self) -> MariaDB:
        self.install()
        server = find_binary("mariadbd")
        if server is None:
            raise StackError("mariadbd not found: apt-get install mariadb-server")
        user = [] if os.geteuid() != 0 else ["--user=root"]
        self.process = ManagedProcess(
            "mariadb",
            [
                server,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--port={self.port}",
                f"--bind-address={LOCALHOST}",
                f"--socket={self.socket_path}",
                f"--pid-file={self.workdir / 'mariadb' / 'mariadb.pid'}",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--max-connections=500",
                *user,
            ],
            self.workdir / "logs" / "mariadb.log",
        ).start()
        wait_until(self._accepts_root, 60, "mariadb", self.process)
        return self

    def _root_connect(self) -> object:
        import pymysql

        # A fresh install has a password-less root on the socket; set one the first time.
        try:
            return pymysql.connect(
                unix_socket=str(self.socket_path), user="root", password=self.root_password
            )
        except pymysql.err.OperationalError:
            conn = pymysql.connect(unix_socket=str(self.socket_path), user="root")
            with conn.cursor() as cursor:
                cursor.execute(
                    "ALTER USER 'root'@'localhost' IDENTIFIED BY %s", (self.root_password,)
                )
            return conn

    def _accepts_root(self) -> bool:
        try:
            self._root_connect().close()  # type: ignore[attr-defined]
        except Exception:
            return False
        return True

    def create_database(self, name: str, user: str, password: str) -> None:
        conn = self._root_connect()
        try:
            with conn.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
                cursor.execute(
                    "CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s", (user, password)
                )
                cursor.execute(f"GRANT ALL ON `{name}`.* TO %s@'127.0.0.1'", (user,))
        finally:
            conn.close()  # type: ignore[attr-defined]

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = self._root_connect()
        try:
            with conn.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        finally:
            conn.close()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.process:
            self.process.stop(timeout=30)


# --------------------------------------------------------------------------- MLflow + proxy


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # A caller's tracking settings must not leak into the server.
        if not key.startswith(("MLFLOW_", "AWS_", "DB_"))
    }
    env.update(FAKE_AWS)
    env.update(overrides)
    return env


@dataclass
class ServerProcess:
    """The server container's entrypoint, run natively."""

    workdir: Path
    env: dict[str, str]
    name: str = "server"
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "logs" / f"{self.name}.log"

    def start(self, wait: bool = True, timeout: float = 120) -> float:
        """Start; return seconds until /health answered (0 when not waiting)."""
        env = child_env({**self.env, "MLFLOW_HOST": LOCALHOST, "MLFLOW_PORT": str(self.port)})
        started = time.monotonic()
        self.process = ManagedProcess(
            self.name, [sys.executable, str(SERVER_ENTRYPOINT)], self.log_path, env
        ).start()
        if not wait:
            return 0.0
        self.wait_healthy(timeout)
        return time.monotonic() - started

    def wait_healthy(self, timeout: float = 120) -> None:
        wait_until(lambda: self.healthy(), timeout, f"mlflow {self.name}", self.process)

    def healthy(self) -> bool:
        return http_status(f"{self.url}/health") == 200

    def stop(self) -> None:
        if self.process:
            self.process.stop(timeout=20)


@dataclass
class ProxyProcess:
    """The proxy container's entrypoint, run natively with nginx from the system."""

    workdir: Path
    upstream_port: int
    auth_mode: str
    username: str
    password: str
    name: str = "proxy"
    max_body_mb: int | None = None
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def runtime_dir(self) -> Path:
        return self.workdir / self.name

    @property
    def access_log(self) -> Path:
        return self.workdir / "logs" / f"{self.name}-access.log"

    @staticmethod
    def available() -> bool:
        return find_binary("nginx") is not None

    def start(self) -> ProxyProcess:
        nginx = find_binary("nginx")
        if nginx is None:
            raise StackError("nginx not found: apt-get install nginx")
        env = child_env(
            {
                "AUTH_MODE": self.auth_mode,
                "MLFLOW_USERNAME": self.username,
                "MLFLOW_PASSWORD": self.password,
                "UPSTREAM": f"{LOCALHOST}:{self.upstream_port}",
                "LISTEN_PORT": str(self.port),
                "LISTEN_ADDRESS": LOCALHOST,
                "RUNTIME_DIR": str(self.runtime_dir),
                "ACCESS_LOG": str(self.access_log),
                "NGINX_BIN": nginx,
                "PYTHONPATH": str(REPO_ROOT),
                **({"MAX_BODY_MB": str(self.max_body_mb)} if self.max_body_mb else {}),
            }
        )
        self.process = ManagedProcess(
            self.name,
            [sys.executable, str(PROXY_ENTRYPOINT)],
            self.workdir / "logs" / f"{self.name}.log",
            env,
        ).start()
        wait_until(
            lambda: http_status(f"{self.url}/elb-status") == 200, 30, self.name, self.process
        )
        return self

    def stop(self) -> None:
        if self.process:
            # SIGQUIT: nginx's graceful shutdown.
            self.process.stop(sig=signal.SIGQUIT, timeout=10)


class LocalStack:
    """MariaDB or SQLite + moto S3 + MLflow server + nginx proxy, all on 127.0.0.1.

    Pass `mariadb` and/or `s3` to share already running ones (they are then not stopped).
    """

    def __init__(
        self,
        *,
        backend: str = "sqlite",
        auth_mode: str = "basic",
        port: int | None = None,
        workdir: Path | None = None,
        workers: int = 2,
        mariadb: MariaDB | None = None,
        s3: MotoS3 | None = None,
        db_name: str = "mlflow",
        bucket: str = "mlflow-artifacts",
        username: str = "mlflow",
        password: str | None = None,
        progress: Progress = _quiet,
        extra_server_env: Mapping[str, str] | None = None,
    ) -> None:
        if backend not in ("sqlite", "mariadb"):
            raise ValueError(f"backend must be sqlite or mariadb, got {backend!r}")
        if auth_mode not in ("basic", "per-user"):
            raise ValueError(f"auth_mode must be basic or per-user, got {auth_mode!r}")
        self.backend = backend
        self.auth_mode = auth_mode
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="mlflow-local-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Traversable (not listable) so that nginx workers, which drop root when the stack
        # runs as root, reach their runtime directory below it.
        self.workdir.chmod(0o711)
        self.workers = workers
        self._progress = progress
        self._own_mariadb = mariadb is None
        self._own_s3 = s3 is None
        self.mariadb = mariadb
        self.s3 = s3
        self.db_name = db_name
        self.db_user = f"{db_name}_user"[:32]
        # Special characters on purpose: the URI building must survive them.
        self.db_password = f"db:{secrets.token_urlsafe(12)}@/%?#'\""
        self.bucket = bucket
        self.username = username
        self.password = password or generate_password()
        self.flask_secret = secrets.token_hex(32)
        self.extra_server_env = dict(extra_server_env or {})
        self.server: ServerProcess | None = None
        self.proxies: list[ProxyProcess] = []
        self._requested_port = port
        self.startup_seconds = 0.0

    # ---- public attributes -------------------------------------------------------------
    @property
    def tracking_uri(self) -> str:
        return self.proxies[0].url

    @property
    def direct_uri(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def s3_endpoint(self) -> str:
        assert self.s3 is not None
        return self.s3.endpoint

    @property
    def db_host(self) -> str:
        return LOCALHOST

    @property
    def db_port(self) -> int:
        assert self.mariadb is not None, "db_port needs backend='mariadb'"
        return self.mariadb.port

    @property
    def client_env(self) -> dict[str, str]:
        """What a client sets to log through the proxy."""
        return {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_TRACKING_USERNAME": self.username,
            "MLFLOW_TRACKING_PASSWORD": self.password,
        }

    # ---- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> LocalStack:
        started = time.monotonic()
        if self.s3 is None:
            self._progress("starting moto S3 ...")
            self.s3 = MotoS3(self.workdir).start()
        self.s3.create_bucket(self.bucket)
        if self.backend == "mariadb":
            if self.mariadb is None:
                self._progress("starting MariaDB ...")
                self.mariadb = MariaDB(self.workdir).start()
            self.mariadb.create_database(self.db_name, self.db_user, self.db_password)
        self._progress(f"starting MLflow server ({self.backend}, {self.auth_mode}) ...")
        self.server = ServerProcess(self.workdir, self.server_env())
        self.server.start()
        self._progress("starting nginx proxy ...")
        self.add_proxy(port=self._requested_port)
        self.startup_seconds = time.monotonic() - started
        return self

    def server_env(self, **overrides: str) -> dict[str, str]:
        """The server container's environment for this stack (tests start more servers)."""
        assert self.s3 is not None
        env = {
            "MLFLOW_ARTIFACTS_DESTINATION": f"s3://{self.bucket}/artifacts",
            "MLFLOW_S3_ENDPOINT_URL": self.s3.endpoint,
            "MLFLOW_WORKERS": str(self.workers),
            "MLFLOW_AUTH_MODE": self.auth_mode,
            "MLFLOW_AUTH_CONFIG_DIR": str(self.workdir),
        }
        if self.backend == "mariadb":
            assert self.mariadb is not None
            env.update(
                {
                    "MLFLOW_BACKEND": "mysql",
                    "DB_HOST": LOCALHOST,
                    "DB_PORT": str(self.mariadb.port),
                    "DB_NAME": self.db_name,
                    "DB_USERNAME": self.db_user,
                    "DB_PASSWORD": self.db_password,
                    "DB_WAIT_SECONDS": "60",
                }
            )
        else:
            env.update(
                {
                    "MLFLOW_BACKEND": "sqlite",
                    "MLFLOW_SQLITE_PATH": str(self.workdir / "mlflow.db"),
                }
            )
        if self.auth_mode == "per-user":
            env.update(
                {
                    "MLFLOW_ADMIN_USERNAME": self.username,
                    "MLFLOW_ADMIN_PASSWORD": self.password,
                    "MLFLOW_FLASK_SERVER_SECRET_KEY": self.flask_secret,
                }
            )
        env.update(self.extra_server_env)
        env.update(overrides)
        return env

    def add_proxy(self, *, max_body_mb: int | None = None, port: int | None = None) -> str:
        """Start another proxy in front of the same server (e.g. one capping bodies at 10 MB)."""
        assert self.server is not None
        name = "proxy" if not self.proxies else f"proxy{len(self.proxies)}"
        proxy = ProxyProcess(
            self.workdir,
            upstream_port=self.server.port,
            auth_mode=self.auth_mode,
            username=self.username,
            password=self.password,
            name=name,
            max_body_mb=max_body_mb,
            **({"port": port} if port else {}),
        )
        self.proxies.append(proxy.start())
        return proxy.url

    def restart_server(self) -> float:
        """Stop and start the MLflow server on the same port; return seconds to healthy."""
        assert self.server is not None
        self.server.stop()
        return self.server.start()

    def stop(self) -> None:
        for proxy in reversed(self.proxies):
            proxy.stop()
        self.proxies = []
        if self.server:
            self.server.stop()
        if self.mariadb and self._own_mariadb:
            self.mariadb.stop()
        if self.s3 and self._own_s3:
            self.s3.stop()
        if self._own_workdir and os.environ.get("LOCAL_STACK_KEEP") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)


# --------------------------------------------------------------------------- CLI


def check(stack: LocalStack) -> None:
    """Log one run through the proxy with the stock client and read it back."""
    os.environ.update(stack.client_env)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    import mlflow

    mlflow.set_tracking_uri(stack.tracking_uri)
    mlflow.set_experiment("local-stack-check")
    with mlflow.start_run() as run:
        mlflow.log_param("check", "yes")
        mlflow.log_metric("answer", 42.0)
        mlflow.log_text("hello from the local stack\n", "check.txt")
    got = mlflow.get_run(run.info.run_id)
    if got.data.metrics.get("answer") != 42.0:
        raise StackError("check: metric did not round-trip")
    text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/check.txt")
    if "hello" not in text:
        raise StackError("check: artifact did not round-trip")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run the MLflow core runtime locally (moto S3, MLflow, nginx); no AWS."
    )
    parser.add_argument("--backend", choices=("sqlite", "mariadb"), default="sqlite")
    parser.add_argument("--auth-mode", choices=("basic", "per-user"), default="basic")
    parser.add_argument("--port", type=int, default=None, help="proxy port (default: free port)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, log one run through the proxy with the MLflow client, stop; exit 0 if ok",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep state here")
    return parser.parse_args(argv)


def client_exports(tracking_uri: str, username: str, password: str) -> str:
    """Shell lines a client sources or pastes: values quoted, since generated passwords
    carry shell metacharacters."""
    values = {"MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_TRACKING_USERNAME": username,
              "MLFLOW_TRACKING_PASSWORD": password}
    return "".join(f"{line}\n" for line in shell_exports(values, unset=()))


def write_client_env(workdir: Path, exports: str) -> Path:
    """The exports in a file only the owner can read, for `source` from another shell."""
    path = workdir / "client.env"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(exports)
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    # Explicit for SIGINT too: a shell starting us in the background (make, CI) ignores it.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    def progress(message: str) -> None:
        print(f"[local-stack] {message}", flush=True)

    stack = LocalStack(
        backend=args.backend,
        auth_mode=args.auth_mode,
        port=args.port,
        workdir=args.workdir,
        progress=progress,
    )
    try:
        with stack:
            progress(f"ready in {stack.startup_seconds:.1f} s (logs: {stack.workdir / 'logs'})")
            # The one place a password is printed: a throwaway local credential.
            exports = client_exports(stack.tracking_uri, stack.username, stack.password)
            env_file = write_client_env(stack.workdir, exports)
            print(f"\n{exports}", flush=True)
            progress(f"the same exports are in {env_file}: `source` it in another shell")
            if args.check:
                check(stack)
                progress("check passed: one run logged and read back through the proxy")
                return 0
            progress("open the URI in a browser; Ctrl-C stops everything")
            while not stop.is_set():
                stop.wait(1)
    except KeyboardInterrupt:
        progress("stopping ...")
    except StackError as exc:
        print(f"[local-stack] error: {exc}", file=sys.stderr)
        return 1
    progress("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
