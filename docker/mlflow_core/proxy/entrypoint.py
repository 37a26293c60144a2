#!/usr/bin/env python3
"""Entrypoint of the auth proxy: the container's, and the local stack's.

1. read AUTH_MODE, MLFLOW_USERNAME/MLFLOW_PASSWORD, UPSTREAM, LISTEN_PORT (and local overrides);
2. basic mode: hash the password with SHA-512 crypt (`openssl passwd -6 -stdin`, password on
   stdin, never in argv) and write the htpasswd file, mode 0400, owned by this (non-root) user,
   which is also nginx's worker user;
3. render nginx.conf from service_templates/mlflow_core/nginx.conf.j2;
4. exec nginx in the foreground (it becomes PID 1 and handles SIGTERM/SIGQUIT itself).

Standard library and Jinja2 only: in the image this runs on Debian's python3.
"""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from service_templates.mlflow_core.render import (
    AUTH_MODES,
    PRIVATE_RANGES,
    ProxyConfig,
    render_nginx_conf,
)


@dataclass(frozen=True)
class ProxySettings:
    config: ProxyConfig
    username: str = ""
    password: str = field(default="", repr=False)
    nginx_bin: str = "nginx"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProxySettings:
        auth_mode = env.get("AUTH_MODE", "basic")
        if auth_mode not in AUTH_MODES:
            raise ValueError(f"AUTH_MODE must be one of {AUTH_MODES}, got {auth_mode!r}")
        runtime_dir = env.get("RUNTIME_DIR", "/tmp/proxy")  # noqa: S108 - container-private /tmp
        max_body = env.get("MAX_BODY_MB", "")
        real_ip = env.get("REAL_IP_FROM", "")
        config = ProxyConfig(
            auth_mode=auth_mode,
            upstream=env.get("UPSTREAM", "127.0.0.1:5000"),
            listen_port=int(env.get("LISTEN_PORT", "8080")),
            listen_address=env.get("LISTEN_ADDRESS", ""),
            runtime_dir=runtime_dir,
            htpasswd_path=f"{runtime_dir}/htpasswd",
            access_log=env.get("ACCESS_LOG", "/dev/stdout"),
            error_log=env.get("ERROR_LOG", "stderr"),
            max_body_mb=int(max_body) if max_body else None,
            worker_processes=int(env.get("NGINX_WORKER_PROCESSES", "1")),
            real_ip_from=tuple(real_ip.split(",")) if real_ip else PRIVATE_RANGES,
            # A root master hands requests to unprivileged workers; the image never runs as root.
            worker_user=worker_user(env.get("NGINX_WORKER_USER", "nobody"))
            if os.geteuid() == 0
            else "",
        )
        username = env.get("MLFLOW_USERNAME", "")
        password = env.get("MLFLOW_PASSWORD", "")
        if auth_mode == "basic":
            validate_credentials(username, password)
        return cls(
            config=config,
            username=username,
            password=password,
            nginx_bin=env.get("NGINX_BIN", "nginx"),
        )


def worker_user(name: str) -> str:
    """'user group' for nginx's `user` directive (its default group, `user`, may not exist)."""
    import grp
    import pwd

    entry = pwd.getpwnam(name)
    return f"{name} {grp.getgrgid(entry.pw_gid).gr_name}"


def validate_credentials(username: str, password: str) -> None:
    """Basic auth sends user:password; htpasswd is line- and colon-separated."""
    if not username or ":" in username or any(c in username for c in "\r\n"):
        raise ValueError("MLFLOW_USERNAME must be non-empty and contain no ':' or newline")
    if not password or any(c in password for c in "\r\n\0"):
        raise ValueError("MLFLOW_PASSWORD must be non-empty and contain no newline or NUL")


# nginx runs crypt() on every request. SHA-512 crypt's default 5000 rounds cost ~2.3 ms each
# (measured here: proxied log_metric at 0.65 of direct); 1000 rounds (the minimum) cost
# ~0.4 ms. The file never leaves the task's /tmp and the secret is a long generated password,
# so the lower work factor buys throughput without a practical offline-guessing risk.
HTPASSWD_ROUNDS = 1000
_SALT_ALPHABET = string.ascii_letters + string.digits + "./"


def sha512_crypt(password: str, rounds: int = HTPASSWD_ROUNDS, openssl: str = "openssl") -> str:
    """SHA-512 crypt hash ($6$rounds=N$salt$...) of password, given to openssl on stdin only."""
    salt = "".join(secrets.choice(_SALT_ALPHABET) for _ in range(16))
    result = subprocess.run(
        [openssl, "passwd", "-6", "-salt", f"rounds={rounds}${salt}", "-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    digest = result.stdout.strip()
    if not digest.startswith(f"$6$rounds={rounds}$"):
        raise RuntimeError("openssl passwd -6 returned no SHA-512 crypt hash")
    return digest


def write_private_file(path: Path, content: str, mode: int) -> None:
    """Write content so that it is never readable by others, even for an instant."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(path, mode)


def prepare(settings: ProxySettings) -> Path:
    """Write htpasswd (basic mode) and nginx.conf; return the nginx.conf path."""
    config = settings.config
    runtime = Path(config.runtime_dir)
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    if config.auth_mode == "basic":
        line = f"{settings.username}:{sha512_crypt(settings.password)}\n"
        write_private_file(Path(config.htpasswd_path), line, 0o400)
    conf = runtime / "nginx.conf"
    write_private_file(conf, render_nginx_conf(config), 0o600)
    if config.worker_user:
        hand_over_to_worker(config)
    return conf


def hand_over_to_worker(config: ProxyConfig) -> None:
    """Root master only: the worker user must own htpasswd and the temp directories."""
    import pwd

    entry = pwd.getpwnam(config.worker_user.split()[0])
    os.chown(config.runtime_dir, entry.pw_uid, entry.pw_gid)
    htpasswd = Path(config.htpasswd_path)
    if htpasswd.exists():
        os.chown(htpasswd, entry.pw_uid, entry.pw_gid)


def nginx_command(settings: ProxySettings, conf: Path) -> list[str]:
    return [
        settings.nginx_bin,
        "-e",
        "stderr",
        "-p",
        settings.config.runtime_dir,
        "-c",
        str(conf),
        "-g",
        "daemon off;",
    ]


def main(env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    try:
        settings = ProxySettings.from_env(env)
    except ValueError as exc:
        print(f"proxy entrypoint: invalid configuration: {exc}", file=sys.stderr)
        return 2
    conf = prepare(settings)
    command = nginx_command(settings, conf)
    binary = shutil.which(command[0])
    if binary is None:
        print(f"proxy entrypoint: {command[0]} not found", file=sys.stderr)
        return 127
    print(
        f"proxy entrypoint: auth mode {settings.config.auth_mode}, listening on "
        f"{settings.config.listen}, upstream {settings.config.upstream}",
        file=sys.stderr,
        flush=True,
    )
    # The credentials are in the htpasswd hash now; keep them out of nginx's environment.
    for name in ("MLFLOW_PASSWORD", "MLFLOW_USERNAME"):
        os.environ.pop(name, None)
    os.execv(binary, command)  # noqa: S606 - fixed argv, no shell
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
