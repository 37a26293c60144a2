"""scripts/publish_images.sh refuses clearly when it cannot build or push."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "publish_images.sh"


def _run(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECR_REGISTRY": ""}
    if path is not None:
        env["PATH"] = path
    bash = "/bin/bash"  # absolute: some tests strip PATH down
    return subprocess.run([bash, str(SCRIPT), *args], capture_output=True, text=True, env=env)


def test_help_exits_zero_and_explains_the_tag() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "immutable" in result.stdout and "linux/arm64" in result.stdout


def test_missing_tag_or_registry_is_a_usage_error() -> None:
    assert _run().returncode == 2
    assert _run("3.17.2-1").returncode == 2
    assert "latest" in _run("--registry", "r", "latest").stderr


def test_without_docker_it_says_so_and_exits_non_zero(tmp_path: Path) -> None:
    # A PATH with bash's basics but no docker binary.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("dirname", "git", "cut"):
        for candidate in (Path("/usr/bin") / tool, Path("/bin") / tool):
            if candidate.exists():
                (bindir / tool).symlink_to(candidate)
                break
    result = _run("--registry", "123.dkr.ecr.eu-west-1.amazonaws.com", "3.17.2-1", path=str(bindir))
    assert result.returncode == 3
    assert "docker CLI is not installed" in result.stderr


def test_dry_run_builds_both_images_for_both_architectures() -> None:
    result = _run("--dry-run", "--registry", "123.dkr.ecr.eu-west-1.amazonaws.com", "3.17.2-1")
    assert result.returncode == 0, result.stderr
    builds = [line for line in result.stdout.splitlines() if "buildx build" in line]
    assert len(builds) == 2
    assert all("linux/amd64\\,linux/arm64" in line and "--push" in line for line in builds)
    assert "mlflow-platform/server:3.17.2-1" in builds[0]
    assert "mlflow-platform/proxy:3.17.2-1" in builds[1]
