"""What `make local` prints for a client: exports a shell can use as they are."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from scripts.local_stack import client_exports, write_client_env

NASTY = "VCLL:y3Bj$'\"`<4C51M !x;$(id)"


def _sourced(exports: str) -> list[str]:
    result = subprocess.run(
        ["bash", "-c", f'{exports}\nprintf "%s\\n" "$MLFLOW_TRACKING_URI" '
         '"$MLFLOW_TRACKING_USERNAME" "$MLFLOW_TRACKING_PASSWORD"'],
        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"},
    )
    return result.stdout.splitlines()


def test_exports_survive_a_shell_with_metacharacters_in_the_password() -> None:
    exports = client_exports("http://127.0.0.1:5000", "mlflow", NASTY)
    assert _sourced(exports) == ["http://127.0.0.1:5000", "mlflow", NASTY]


def test_client_env_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    exports = client_exports("http://127.0.0.1:5000", "mlflow", NASTY)
    path = write_client_env(tmp_path, exports)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _sourced(f"source {path}") == ["http://127.0.0.1:5000", "mlflow", NASTY]
