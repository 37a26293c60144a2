"""Render the auth proxy's nginx.conf from nginx.conf.j2.

The one renderer used by the proxy container's entrypoint and by scripts/local_stack.py, so
both run the same configuration. Only the standard library and Jinja2 (Debian's
python3-jinja2 in the proxy image): this module must import without the project installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent
TEMPLATE_NAME = "nginx.conf.j2"
AUTH_MODES = ("basic", "per-user", "iam")
# RFC 1918 ranges: the ALB and API Gateway's VPC link reach the task from inside the VPC.
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.1/32")

# Values end up inside nginx directives: refuse anything that could end a directive or
# open a block, so a bad environment variable cannot inject configuration.
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/-]*$")
_UPSTREAM = re.compile(r"^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")
_LISTEN_ADDRESS = re.compile(r"^(\[[0-9A-Fa-f:]+\]|[0-9.]+)?$")
_CIDR = re.compile(r"^[0-9A-Fa-f.:]+/\d{1,3}$")


@dataclass(frozen=True)
class ProxyConfig:
    """Everything nginx.conf.j2 needs. Defaults are the container's values."""

    auth_mode: str = "basic"
    upstream: str = "127.0.0.1:5000"
    listen_port: int = 8080
    # Empty: all interfaces (the container; the ALB reaches the task's ENI). Locally 127.0.0.1.
    listen_address: str = ""
    runtime_dir: str = "/tmp/proxy"  # noqa: S108 - the container's private /tmp
    htpasswd_path: str = "/tmp/proxy/htpasswd"  # noqa: S108
    access_log: str = "/dev/stdout"
    error_log: str = "stderr"
    # None: no body cap. An int caps request bodies at that many MB (e.g. 10 to mimic the
    # API Gateway HTTP API payload quota in tests).
    max_body_mb: int | None = None
    worker_processes: int = 1
    real_ip_from: tuple[str, ...] = PRIVATE_RANGES
    # Only for a root master process (local runs as root); empty in the container.
    worker_user: str = ""

    def __post_init__(self) -> None:
        if self.auth_mode not in AUTH_MODES:
            raise ValueError(f"auth_mode must be one of {AUTH_MODES}, got {self.auth_mode!r}")
        if not _UPSTREAM.match(self.upstream):
            raise ValueError(f"upstream must be host:port, got {self.upstream!r}")
        if not 1 <= self.listen_port <= 65535:
            raise ValueError(f"listen_port out of range: {self.listen_port}")
        if not _LISTEN_ADDRESS.match(self.listen_address):
            raise ValueError(f"listen_address must be an IP address, got {self.listen_address!r}")
        for name in ("runtime_dir", "htpasswd_path"):
            if not _SAFE_PATH.match(getattr(self, name)):
                raise ValueError(f"{name} must be an absolute path of [A-Za-z0-9._/-]")
        for name in ("access_log", "error_log"):
            value = getattr(self, name)
            if value != "stderr" and not _SAFE_PATH.match(value):
                raise ValueError(f"{name} must be 'stderr' or an absolute path")
        if self.max_body_mb is not None and self.max_body_mb < 1:
            raise ValueError(f"max_body_mb must be at least 1, got {self.max_body_mb}")
        if not 1 <= self.worker_processes <= 16:
            raise ValueError(f"worker_processes out of range: {self.worker_processes}")
        if self.worker_user and not re.match(
            r"^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$", self.worker_user
        ):
            raise ValueError(f"worker_user must be 'user [group]', got {self.worker_user!r}")
        for cidr in self.real_ip_from:
            if not _CIDR.match(cidr):
                raise ValueError(f"real_ip_from entries must be CIDRs, got {cidr!r}")

    @property
    def listen(self) -> str:
        if self.listen_address:
            return f"{self.listen_address}:{self.listen_port}"
        return str(self.listen_port)

    @property
    def client_max_body_size(self) -> str:
        # 0 disables nginx's check; artifacts can be gigabytes and S3 is the real limit.
        return "0" if self.max_body_mb is None else f"{self.max_body_mb}m"


def render_nginx_conf(config: ProxyConfig) -> str:
    """Return the nginx.conf text for config."""
    env = jinja2.Environment(  # noqa: S701 - renders nginx.conf, not HTML: escaping would corrupt it
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = env.get_template(TEMPLATE_NAME)
    return template.render(
        auth_mode=config.auth_mode,
        upstream=config.upstream,
        listen=config.listen,
        runtime_dir=config.runtime_dir,
        htpasswd_path=config.htpasswd_path,
        access_log=config.access_log,
        error_log=config.error_log,
        client_max_body_size=config.client_max_body_size,
        worker_processes=config.worker_processes,
        real_ip_from=config.real_ip_from,
        worker_user=config.worker_user,
    )
