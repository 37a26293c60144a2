"""Pieces of the proxy entrypoint: credentials, hashing, file modes, nginx command."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType

import pytest

PASSWORD = "p@ss:w\"o'rd $(id) `id` ;|&\\ x"


def test_sha512_crypt_reads_the_password_from_stdin_only(
    proxy_ep: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], str]] = []
    real_run = subprocess.run

    def spy(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append((args, str(kwargs.get("input"))))
        return real_run(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(proxy_ep.subprocess, "run", spy)
    digest = proxy_ep.sha512_crypt(PASSWORD)
    assert digest.startswith("$6$rounds=1000$")
    ((args, stdin),) = calls
    assert PASSWORD not in " ".join(args)
    assert stdin == PASSWORD + "\n"
    salt = "$".join(digest.split("$")[2:4])  # rounds=1000$<salt>
    again = real_run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout.strip() == digest


@pytest.mark.parametrize(
    ("user", "password"),
    [("", "x"), ("a:b", "x"), ("a\nb", "x"), ("a", ""), ("a", "line\nbreak")],
)
def test_credentials_that_break_htpasswd_are_refused(
    proxy_ep: ModuleType, user: str, password: str
) -> None:
    with pytest.raises(ValueError):
        proxy_ep.validate_credentials(user, password)


def test_basic_mode_without_credentials_is_a_configuration_error(proxy_ep: ModuleType) -> None:
    assert proxy_ep.main({"AUTH_MODE": "basic"}) == 2


def test_prepare_writes_private_htpasswd_and_config(proxy_ep: ModuleType, tmp_path: Path) -> None:
    settings = proxy_ep.ProxySettings.from_env(
        {
            "AUTH_MODE": "basic",
            "MLFLOW_USERNAME": "mlflow",
            "MLFLOW_PASSWORD": PASSWORD,
            "RUNTIME_DIR": str(tmp_path / "rt"),
            "NGINX_WORKER_USER": "nobody",
        }
    )
    conf = proxy_ep.prepare(settings)
    htpasswd = tmp_path / "rt" / "htpasswd"
    assert oct(htpasswd.stat().st_mode & 0o777) == "0o400"
    assert htpasswd.read_text().startswith("mlflow:$6$")
    assert PASSWORD not in conf.read_text()
    assert f"auth_basic_user_file {htpasswd};" in conf.read_text()
    command = proxy_ep.nginx_command(settings, conf)
    assert command[-2:] == ["-g", "daemon off;"]
    assert PASSWORD not in " ".join(command)


def test_iam_mode_needs_no_credentials(proxy_ep: ModuleType, tmp_path: Path) -> None:
    settings = proxy_ep.ProxySettings.from_env(
        {"AUTH_MODE": "iam", "RUNTIME_DIR": str(tmp_path / "rt")}
    )
    conf = proxy_ep.prepare(settings)
    assert "auth_basic_user_file" not in conf.read_text()
    assert not (tmp_path / "rt" / "htpasswd").exists()
