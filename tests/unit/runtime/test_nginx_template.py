"""nginx.conf.j2 per auth mode, and the guards against configuration injection."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from service_templates.mlflow_core.render import ProxyConfig, render_nginx_conf


def _conf(tmp_path: Path, **kwargs: object) -> str:
    return render_nginx_conf(
        ProxyConfig(runtime_dir=str(tmp_path), htpasswd_path=f"{tmp_path}/htpasswd", **kwargs)  # type: ignore[arg-type]
    )


def test_basic_mode_authenticates_at_nginx_and_strips_the_credential(tmp_path: Path) -> None:
    conf = _conf(tmp_path, auth_mode="basic")
    assert f"auth_basic_user_file {tmp_path}/htpasswd;" in conf
    assert 'proxy_set_header Authorization "";' in conf
    assert "proxy_intercept_errors" not in conf


def test_per_user_mode_passes_the_credential_to_mlflow(tmp_path: Path) -> None:
    conf = _conf(tmp_path, auth_mode="per-user")
    assert "auth_basic_user_file" not in conf
    assert "proxy_set_header Authorization $http_authorization;" in conf
    assert "proxy_intercept_errors on;" in conf


def test_iam_mode_has_no_auth_and_no_challenge(tmp_path: Path) -> None:
    conf = _conf(tmp_path, auth_mode="iam")
    assert "auth_basic_user_file" not in conf
    assert "WWW-Authenticate" not in conf


def test_every_mode_streams_bodies_forwards_host_and_hides_the_version(tmp_path: Path) -> None:
    for mode in ("basic", "per-user", "iam"):
        conf = _conf(tmp_path, auth_mode=mode)
        assert "proxy_request_buffering off;" in conf
        assert "proxy_set_header Host $host$host_port;" in conf
        assert "server_tokens off;" in conf
        assert "client_max_body_size 0;" in conf
        assert "location = /elb-status" in conf
        assert "listen 8080 default_server;" in conf
        assert '$http_authorization"' not in conf.split("log_format")[1].split(";")[0]


def test_nginx_keeps_idle_connections_longer_than_the_load_balancer(tmp_path: Path) -> None:
    """Else nginx closes connections the ALB still reuses: sporadic 502s."""
    from products.mlflow_core.constructs.entry import IDLE_TIMEOUT_S

    # The client side's: the upstream block has its own (shorter, towards uvicorn).
    client_side = _conf(tmp_path).split("upstream mlflow_server")[0]
    (keepalive,) = re.findall(r"^\s*keepalive_timeout (\d+)s;", client_side, re.MULTILINE)
    assert int(keepalive) > IDLE_TIMEOUT_S


def test_body_cap_renders_when_asked(tmp_path: Path) -> None:
    assert "client_max_body_size 10m;" in _conf(tmp_path, max_body_mb=10)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_mode": "none"},
        {"upstream": "127.0.0.1:5000; include /etc/passwd"},
        {"upstream": "no-port"},
        {"listen_port": 0},
        {"access_log": "/tmp/x; evil"},
        {"max_body_mb": 0},
        {"real_ip_from": ("0.0.0.0/0 ; x",)},
        {"worker_user": "root; daemon on"},
    ],
)
def test_values_that_could_inject_configuration_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ProxyConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.skipif(
    shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="no nginx binary"
)
@pytest.mark.parametrize("mode", ["basic", "per-user", "iam"])
def test_rendered_config_passes_nginx_t(tmp_path: Path, mode: str) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    (tmp_path / "htpasswd").write_text("u:$6$x$y\n")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        _conf(tmp_path, auth_mode=mode, access_log=f"{tmp_path}/access.log", max_body_mb=10)
    )
    result = subprocess.run(
        [nginx, "-t", "-q", "-e", "stderr", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
