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


def template_files(synth: Any) -> dict[str, Path]:
    """Every template a user can launch, by a stable name: the portfolio, each product's
    current version (by slug) and each released version still served from its snapshot
    (slug@version)."""
    files = {PORTFOLIO: synth.outdir / synth.stack.template_file}
    for spec in PRODUCTS:
        files[spec.slug] = synth.product_path(spec.slug)
        for old in spec.released:
            for path in sorted(SNAPSHOT_DIR.glob(f"*.{old.name}.product.template.json")):
                if spec.slug.replace("-", "") in path.name.lower():
                    files[f"{spec.slug}@{old.name}"] = path
    return files


@pytest.fixture(scope="session")
def templates(synth: Any) -> dict[str, dict[str, Any]]:
    """Template JSON by name (see template_files)."""
    return {name: json.loads(path.read_text()) for name, path in template_files(synth).items()}


@pytest.fixture(scope="session")
def template_paths(synth: Any) -> dict[str, Path]:
    return template_files(synth)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """An accepted-but-unaudited dependency set is said plainly at the end of the run."""
    from tests.security.test_scripts_and_images import UNAUDITED

    for message in dict.fromkeys(UNAUDITED):
        terminalreporter.write_line(f"SECURITY: {message}", red=True, bold=True)
