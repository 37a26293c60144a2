"""cfn-lint over one synthesized template, with the repository's documented ignores.

The ignored rules and their reasons live in one place: tests/helpers/cfn_lint.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers.cfn_lint import CFN_LINT, IGNORED_RULES

__all__ = ["CFN_LINT", "IGNORED_RULES", "cfn_lint"]


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    """Run cfn-lint; returncode 0 means clean."""
    return subprocess.run(
        [str(CFN_LINT), "--ignore-checks", *IGNORED_RULES, "--", str(path)],
        capture_output=True, text=True, check=False, timeout=120,
    )
