"""scripts/publish_images.sh refuses clearly when it cannot build or push."""

from __future__ import annotations

import json
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
    result = _run("--registry", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "3.17.2-1",
                  path=str(bindir))
    assert result.returncode == 3
    assert "docker CLI is not installed" in result.stderr


REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

# Stand-ins for the docker, aws and git CLIs: each logs its argv (one JSON list a line) and
# answers as the real one would for the case under test, set through environment variables.
FAKE = """#!/usr/bin/env python3
import json, os, sys
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps([name, *args]) + "\\n")
if name == "git":
    if args[2:3] == ["status"]:
        print(os.environ.get("FAKE_GIT_STATUS", ""), end="")
    else:
        print("abc1234")
elif name == "docker":
    if args[:2] == ["buildx", "inspect"]:
        print("Name: multi\\nDriver: docker-container")
        print("Platforms: " + os.environ.get("FAKE_PLATFORMS", "linux/amd64, linux/arm64"))
    elif args[:2] == ["buildx", "build"] and "--push" in args and \\
            os.environ.get("FAKE_PUSH_FAILS") and \\
            os.environ["FAKE_PUSH_FAILS"] in " ".join(args):
        sys.exit(1)
elif name == "aws":
    repo = args[args.index("--repository-name") + 1]
    state = json.loads(os.environ.get("FAKE_TAGS", "{}")).get(repo, "missing")
    if state == "exists":
        print("3.17.2-3")
    elif state == "missing":
        print("An error occurred (ImageNotFoundException) when calling the DescribeImages "
              "operation: not found", file=sys.stderr)
        sys.exit(254)
    else:
        print("Unable to locate credentials.", file=sys.stderr)
        sys.exit(253)
"""


def _fake_path(tmp_path: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir(parents=True)
    for tool in ("docker", "aws", "git"):
        (bindir / tool).write_text(FAKE)
        (bindir / tool).chmod(0o755)
    for tool in ("dirname", "grep", "python3", "cat"):
        for candidate in (Path("/usr/bin") / tool, Path("/bin") / tool):
            if candidate.exists():
                (bindir / tool).symlink_to(candidate)
                break
    return bindir


def _publish(tmp_path: Path, *args: str, **fake: str) -> tuple[subprocess.CompletedProcess[str],
                                                              list[list[str]]]:
    log = tmp_path / "calls.log"
    env = {"PATH": str(_fake_path(tmp_path)), "FAKE_LOG": str(log), "ECR_REGISTRY": REGISTRY,
           **{f"FAKE_{k.upper()}": v for k, v in fake.items()}}
    result = subprocess.run(["/bin/bash", str(SCRIPT), *args], capture_output=True, text=True,
                            env=env)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def _builds(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in calls if c[:3] == ["docker", "buildx", "build"]]


def test_both_tags_are_checked_and_both_images_built_before_anything_is_pushed(
        tmp_path: Path) -> None:
    result, calls = _publish(tmp_path, "3.17.2-3")
    assert result.returncode == 0, result.stderr
    checks = [i for i, c in enumerate(calls) if c[:3] == ["aws", "ecr", "describe-images"]]
    builds = [i for i, c in enumerate(calls) if c[:3] == ["docker", "buildx", "build"]]
    pushes = [i for i in builds if "--push" in calls[i]]
    assert len(checks) == 2 and len(builds) == 4 and len(pushes) == 2
    assert max(checks) < min(builds)
    assert max(i for i in builds if i not in pushes) < min(pushes)
    for i in builds:
        assert calls[i][calls[i].index("--platform") + 1] == "linux/amd64,linux/arm64"
        assert "org.opencontainers.image.revision=abc1234" in calls[i]
    assert f"{REGISTRY}/mlflow-platform/server:3.17.2-3" in calls[pushes[0]]
    assert f"{REGISTRY}/mlflow-platform/proxy:3.17.2-3" in calls[pushes[1]]


def test_an_existing_proxy_tag_stops_before_the_server_is_built_or_pushed(
        tmp_path: Path) -> None:
    result, calls = _publish(tmp_path, "3.17.2-3", tags='{"mlflow-platform/proxy": "exists"}')
    assert result.returncode == 4
    assert "mlflow-platform/proxy:3.17.2-3 already exists" in result.stderr
    assert _builds(calls) == []


def test_a_tag_check_that_cannot_reach_ecr_is_not_taken_for_a_free_tag(tmp_path: Path) -> None:
    result, calls = _publish(tmp_path, "3.17.2-3", tags='{"mlflow-platform/server": "denied"}')
    assert result.returncode == 3
    assert "cannot check mlflow-platform/server:3.17.2-3" in result.stderr
    assert "Unable to locate credentials" in result.stderr
    assert _builds(calls) == []


def test_a_builder_without_arm64_is_refused_with_the_way_out(tmp_path: Path) -> None:
    result, calls = _publish(tmp_path, "3.17.2-3", platforms="linux/amd64, linux/386")
    assert result.returncode == 3
    assert "cannot build linux/arm64" in result.stderr and "binfmt" in result.stderr
    assert _builds(calls) == []


def test_a_dirty_work_tree_is_refused_unless_allowed(tmp_path: Path) -> None:
    result, calls = _publish(tmp_path, "3.17.2-3", git_status=" M docker/x")
    assert result.returncode == 2
    assert "uncommitted changes" in result.stderr
    assert _builds(calls) == []
    allowed, calls = _publish(tmp_path / "again", "--allow-dirty", "3.17.2-3",
                              git_status=" M docker/x")
    assert allowed.returncode == 0, allowed.stderr
    assert all("org.opencontainers.image.revision=abc1234-dirty" in c for c in _builds(calls))


def test_a_failed_push_names_the_command_that_finishes_the_publish(tmp_path: Path) -> None:
    result, calls = _publish(tmp_path, "3.17.2-3", push_fails="proxy:3.17.2-3")
    assert result.returncode == 1
    assert "--only proxy 3.17.2-3" in result.stderr
    finish, calls = _publish(tmp_path / "again", "--only", "proxy", "3.17.2-3",
                             tags='{"mlflow-platform/server": "exists"}')
    assert finish.returncode == 0, finish.stderr
    assert all("mlflow-platform/proxy:3.17.2-3" in " ".join(c) for c in _builds(calls))


def test_a_registry_that_is_not_ecr_is_a_usage_error(tmp_path: Path) -> None:
    result, _ = _publish(tmp_path, "--registry", "docker.io/me", "3.17.2-3")
    assert result.returncode == 2
    assert "not an ECR registry" in result.stderr


def test_dry_run_builds_both_images_for_both_architectures() -> None:
    result = _run("--dry-run", "--registry", REGISTRY, "3.17.2-1")
    assert result.returncode == 0, result.stderr
    pushes = [line for line in result.stdout.splitlines()
              if "buildx build" in line and "--push" in line]
    assert len(pushes) == 2
    assert all("linux/amd64\\,linux/arm64" in line for line in pushes)
    assert "mlflow-platform/server:3.17.2-1" in pushes[0]
    assert "mlflow-platform/proxy:3.17.2-1" in pushes[1]
