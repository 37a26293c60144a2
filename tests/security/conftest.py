"""Fixtures of the security gates: every template by name, tool lookup, CI policy."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlflow_platform.catalog import PRODUCTS
from portfolio.app import SNAPSHOT_DIR

ROOT = Path(__file__).resolve().parents[2]
TOOLS_VENV = ROOT / ".venv-tools" / "bin"
PORTFOLIO = "portfolio"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def tool_missing(message: str) -> None:
    """A tool the gate needs is absent: skip locally, fail under CI=true (CI installs it)."""
    if in_ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def require_tool(path: Path, install_hint: str) -> Path:
    if not path.exists():
        tool_missing(f"{path.relative_to(ROOT)} is not installed; {install_hint}")
    return path


# The same portfolio synthesized without sharing (a launch role per product): its template
# is scanned too, under PORTFOLIO + "@" + this, so skips and allow-list entries keyed by
# "portfolio" apply to both variants.
UNSHARED_VARIANT = "per-product-roles"
# The recipient accounts' launch-role template (portfolio.launch_role.RecipientLaunchRoleStack).
RECIPIENT_ROLE = "launch-role"


def template_files(synth: Any, unshared: Any = None) -> dict[str, Path]:
    """Every template a user can launch or an admin deploys, by a stable name: the portfolio
    (shared, with the local launch role), the recipient accounts' launch-role template,
    each product's current version (by slug), each released version still served from its
    snapshot (slug@version) and, given the unshared synth, its portfolio template
    (portfolio@per-product-roles). Names are "<template>@<variant>"; the part before "@"
    keys the skip and allow lists."""
    files = {PORTFOLIO: synth.outdir / synth.stack.template_file}
    recipient = synth.recipient_role_path()
    if recipient is not None:
        files[RECIPIENT_ROLE] = recipient
    if unshared is not None:
        files[f"{PORTFOLIO}@{UNSHARED_VARIANT}"] = unshared.outdir / unshared.stack.template_file
    for spec in PRODUCTS:
        files[spec.slug] = synth.product_path(spec.slug)
        for old in spec.released:
            for path in sorted(SNAPSHOT_DIR.glob(f"*.{old.name}.product.template.json")):
                if spec.slug.replace("-", "") in path.name.lower():
                    files[f"{spec.slug}@{old.name}"] = path
    return files


@pytest.fixture(scope="session")
def template_paths(synth: Any, synth_unshared: Any) -> dict[str, Path]:
    return template_files(synth, synth_unshared)


@pytest.fixture(scope="session")
def templates(template_paths: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Template JSON by name (see template_files)."""
    return {name: json.loads(path.read_text()) for name, path in template_paths.items()}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """An accepted-but-unaudited dependency set is said plainly at the end of the run."""
    from tests.security.test_scripts_and_images import UNAUDITED

    for message in dict.fromkeys(UNAUDITED):
        terminalreporter.write_line(f"SECURITY: {message}", red=True, bold=True)
