"""The server image installs a hashed lock of its whole closure, consistent with its pins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from scripts import lock_server_image
from tests.security.test_scripts_and_images import pins

IMAGE = Path(__file__).resolve().parents[3] / "docker" / "mlflow_core" / "server"
LOCK = IMAGE / "requirements.lock"


def _entries(text: str) -> dict[str, list[str]]:
    """name -> hashes of each `name==version \\ --hash=...` block."""
    out: dict[str, list[str]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", text.split("\n", 3)[3].strip()):
        name = canonicalize_name(block.split("==", 1)[0])
        out[name] = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
    return out


def test_every_direct_pin_is_in_the_lock_at_the_same_version() -> None:
    direct = pins(IMAGE / "requirements.txt")
    locked = pins(LOCK)
    assert {name: locked.get(name) for name in direct} == direct
    assert len(locked) > len(direct)  # the closure, not just the direct pins


def test_every_locked_package_has_a_wheel_hash_for_each_platform_at_most() -> None:
    entries = _entries(LOCK.read_text())
    assert set(entries) == set(pins(LOCK))
    assert all(1 <= len(h) <= len(lock_server_image.PLATFORMS) for h in entries.values()), {
        n: h for n, h in entries.items() if not 1 <= len(h) <= 2}
    # Compiled packages have one wheel per platform.
    assert len(entries["pyarrow"]) == 2 and len(entries["numpy"]) == 2


def test_the_dockerfile_installs_the_lock_with_hashes_and_no_resolution() -> None:
    dockerfile = (IMAGE / "Dockerfile").read_text()
    install = re.search(r"RUN pip install(?:[^\n]*\\\n)*[^\n]*", dockerfile)
    assert install, "no pip install in the server Dockerfile"
    command = install.group(0)
    for flag in ("--require-hashes", "--only-binary=:all:", "--no-deps",
                 "-r /tmp/requirements.lock", "pip check"):
        assert flag in command, flag
    assert "requirements.txt" not in dockerfile


def test_render_refuses_platforms_that_resolve_differently() -> None:
    per_platform = {"linux/amd64": {"numpy": ("2.0.0", "a" * 64)},
                    "linux/arm64": {"numpy": ("1.26.4", "b" * 64)}}
    with pytest.raises(SystemExit, match="resolve differently"):
        lock_server_image.render(per_platform)


def test_render_lists_each_platforms_hash_once() -> None:
    text = lock_server_image.render({
        "linux/amd64": {"numpy": ("2.0.0", "a" * 64), "six": ("1.16.0", "c" * 64)},
        "linux/arm64": {"numpy": ("2.0.0", "b" * 64), "six": ("1.16.0", "c" * 64)},
    })
    assert _entries(text) == {"numpy": ["a" * 64, "b" * 64], "six": ["c" * 64]}
