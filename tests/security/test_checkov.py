"""checkov over every synthesized template, offline, as a gate.

checkov lives in .venv-tools (scripts/install_tools.sh): its pins clash with the project's.
Skips are in checkov_skips.py with a reason each; everything else that fails, fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.security import checkov_skips
from tests.security.conftest import (
    PORTFOLIO,
    RECIPIENT_ROLE,
    TOOLS_VENV,
    UNSHARED_VARIANT,
    require_tool,
)

CHECKOV = TOOLS_VENV / "checkov"
_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")
MIN_REASON = 40


@dataclass(frozen=True)
class Failure:
    template: str
    check_id: str
    resource: str  # "<Type>.<logical ID>"
    name: str

    @property
    def stem(self) -> str:
        kind, _, logical_id = self.resource.partition(".")
        return f"{kind}.{_HASH_SUFFIX.sub('', logical_id)}"

    def __str__(self) -> str:
        return f"{self.template}: {self.check_id} {self.resource}: {self.name}"


def run_checkov(paths: dict[str, Path]) -> tuple[list[Failure], dict[str, Any]]:
    """Failed checks over the named templates, and checkov's summary."""
    checkov = require_tool(CHECKOV, "run `make setup` (scripts/install_tools.sh)")
    by_path = {str(p.resolve()): name for name, p in paths.items()}
    cmd = [str(checkov), "--framework", "cloudformation", "--skip-download", "--quiet",
           "--compact", "-o", "json"]
    for p in paths.values():
        cmd += ["-f", str(p)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        pytest.fail(f"checkov did not run (exit {proc.returncode}): {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    failures, summary = [], {}
    for report in reports:
        if report.get("check_type") != "cloudformation":
            continue
        summary = report.get("summary", {})
        for f in report.get("results", {}).get("failed_checks", []):
            name = by_path.get(str(Path(f["file_abs_path"]).resolve()), f["file_path"])
            failures.append(Failure(name, f["check_id"], f["resource"], f["check_name"]))
    if summary.get("parsing_errors"):
        pytest.fail(f"checkov could not parse a template: {summary}")
    return failures, summary


def unskipped(failures: list[Failure]) -> list[Failure]:
    return [
        f for f in failures
        if f.check_id not in checkov_skips.GLOBAL
        and (f.template.split("@")[0], f.check_id, f.stem) not in checkov_skips.RESOURCE
    ]


@pytest.fixture(scope="module")
def checkov_result(template_paths: dict[str, Path]) -> tuple[list[Failure], dict[str, Any]]:
    start = time.monotonic()
    failures, summary = run_checkov(template_paths)
    print(f"checkov: {summary} in {time.monotonic() - start:.1f} s")
    return failures, summary


def test_checkov_finds_no_failures_outside_the_skip_list(
    checkov_result: tuple[list[Failure], dict[str, Any]],
) -> None:
    failures, summary = checkov_result
    assert summary.get("resource_count", 0) > 0, f"checkov saw no resources: {summary}"
    left = unskipped(failures)
    assert not left, (
        f"{len(left)} failed checkov check(s); fix them, or add a skip with the reason in "
        "tests/security/checkov_skips.py:\n" + "\n".join(f"  {f} [stem {f.stem}]" for f in left)
    )


def test_checkov_scans_both_portfolio_variants_and_the_recipient_role(
    checkov_result: tuple[list[Failure], dict[str, Any]],
) -> None:
    """The launch-role write check fails on every launch-role policy (skipped with a reason):
    seeing it in each of these templates proves each was scanned."""
    failures, _ = checkov_result
    by_template = {f.template for f in failures if f.check_id == "CKV_AWS_111"}
    assert {PORTFOLIO, f"{PORTFOLIO}@{UNSHARED_VARIANT}", RECIPIENT_ROLE} <= by_template


def test_every_resource_skip_still_matches_a_failure(
    checkov_result: tuple[list[Failure], dict[str, Any]],
) -> None:
    failures, _ = checkov_result
    seen = {(f.template.split("@")[0], f.check_id, f.stem) for f in failures}
    stale = [k for k in checkov_skips.RESOURCE if k not in seen]
    assert not stale, f"skips that no longer match a failure (remove them): {stale}"


def test_every_skip_has_a_real_reason() -> None:
    reasons = {**checkov_skips.GLOBAL,
               **{"/".join(k): v for k, v in checkov_skips.RESOURCE.items()}}
    weak = {k: v for k, v in reasons.items()
            if len(v.strip()) < MIN_REASON or re.search(r"\btodo\b|\bfixme\b", v, re.I)}
    assert not weak, weak
    assert all(re.fullmatch(r"CKV2?_AWS_\d+", k) for k in checkov_skips.GLOBAL)
    assert all(re.fullmatch(r"CKV2?_AWS_\d+", k[1]) and "." in k[2]
               for k in checkov_skips.RESOURCE)


BAD_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Plain": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Open": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "open to the world",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                          "CidrIp": "0.0.0.0/0"}],
            },
        },
        "Admin": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "admin",
                "Roles": ["someone"],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            },
        },
    },
}


def test_checkov_fails_a_deliberately_bad_template(tmp_path: Path) -> None:
    """The gate can fail: open SSH, an admin policy and a plain bucket are all reported,
    and none of them is hidden by the skip list."""
    path = tmp_path / "bad.template.json"
    path.write_text(json.dumps(BAD_TEMPLATE))
    failures, _ = run_checkov({"bad": path})
    left = {f.check_id for f in unskipped(failures)}
    assert "CKV_AWS_24" in left  # SSH from 0.0.0.0/0
    assert {"CKV_AWS_62", "CKV_AWS_63"} & left or "CKV_AWS_286" in left  # admin policy
    assert "CKV_AWS_18" in left or "CKV_AWS_21" in left  # bucket without logging/versioning
