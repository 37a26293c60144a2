"""cfn-lint over templates, with the ignored rules and their reasons in one place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Rules ignored everywhere, each with the reason. Nothing else is ignored.
IGNORED_RULES: dict[str, str] = {
    "W3005": "CDK emits explicit DependsOn that cfn-lint finds redundant with Ref/GetAtt; "
    "harmless, and the generated code is not ours to edit.",
}


def lint(paths: list[Path]) -> list[dict]:
    """cfn-lint findings (errors and warnings) for the templates, as dicts."""
    cmd = [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json",
           "--ignore-checks", *IGNORED_RULES, "--", *map(str, paths)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 2, 4, 6, 8, 10, 12, 14):
        raise RuntimeError(f"cfn-lint failed to run: {proc.stderr}")
    return json.loads(proc.stdout or "[]")


def describe(findings: list[dict]) -> str:
    return "\n".join(
        f"{f['Rule']['Id']} {Path(f['Filename']).name}:{f['Location']['Start']['LineNumber']} "
        f"{f['Message']}"
        for f in findings
    )
