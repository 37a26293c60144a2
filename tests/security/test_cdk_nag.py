"""cdk-nag AwsSolutions over the whole app (portfolio and product stacks) as a gate.

The app adds AwsSolutionsChecks as a Validations plugin, so `app.synth()` fails on an
unacknowledged finding and writes validation-report.json into the outdir. These tests
synthesize the app once more (the shared `synth` fixture would only error) so a failure
lists the findings; then they walk every acknowledgment in the construct tree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_servicecatalog as servicecatalog
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from portfolio.app import build_app
from tests.conftest import make_context

REPORT_NAMES = ("validation-report.json", "policy-validation-report.json")
# cdk-nag reports one finding per offending value for these: an acknowledgment must name it
# (RULE[finding]) so that a new wildcard on the same resource is not silently accepted.
FINDING_RULES = ("AwsSolutions-IAM4", "AwsSolutions-IAM5")
RULE_ID = re.compile(r"^(?:(?:AwsSolutions|Annotation)::)?(AwsSolutions-[A-Z]+\d+)(\[.+\])?$")
# aws-cdk-lib acknowledges some of its own CloudFormation-Validate warnings (e.g. F3002 on
# flow logs, W3045 on buckets). Those must name a rule and give a reason like ours; only
# this one is put on a whole stack, by cdk.Stack itself, when a stack reads its AZs.
LIBRARY_RULE_ID = re.compile(r"^CloudFormation-Validate::[EFWI]\d{4}$")
LIBRARY_STACK_WIDE = frozenset({"CloudFormation-Validate::W3010"})
# An acknowledgment sits on the construct it concerns: an L1, or an L2 whose few resources
# (e.g. a bucket and its policy, a function with its role) belong together.
MAX_RESOURCES_UNDER_ACKNOWLEDGMENT = 6
PLACEHOLDER_REASONS = re.compile(r"\b(todo|fixme|tbd|xxx|later|suppress(ed)?|ignore[d]?)\b",
                                 re.IGNORECASE)
MIN_REASON = 40


@dataclass
class NagRun:
    app: cdk.App
    error: str | None
    report: dict[str, Any]

    def violations(self) -> list[str]:
        out = []
        for plugin in self.report.get("pluginReports", []):
            for v in plugin.get("violations", []):
                for c in v.get("violatingConstructs", []):
                    out.append(f"[{plugin['pluginName']}] {v['ruleName']} ({v['severity']}) "
                               f"{c['constructPath']}: {v['description']}")
        return out


def run_validations(app: cdk.App, outdir: Path) -> NagRun:
    """Synthesize; return the report whether validation passed or failed."""
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # jsii surfaces ValidationFailed as RuntimeError
        if "ValidationFailed" not in str(exc) and "Validation failed" not in str(exc):
            raise
        error = str(exc)
    reports = [outdir / n for n in REPORT_NAMES if (outdir / n).exists()]
    report = json.loads(reports[0].read_text()) if reports else {}
    if error and not reports:
        pytest.fail(f"validation failed but wrote no report in {outdir}: {error}")
    return NagRun(app, error, report)


@pytest.fixture(scope="module")
def nag(tmp_path_factory: pytest.TempPathFactory) -> NagRun:
    outdir = tmp_path_factory.mktemp("nag.out")
    app, _ = build_app(make_context(), outdir=str(outdir))
    return run_validations(app, outdir)


# --- the gate -----------------------------------------------------------------------------
def test_whole_app_has_no_unacknowledged_nag_findings(nag: NagRun) -> None:
    violations = nag.violations()
    assert not violations and nag.error is None, (
        f"{len(violations)} unacknowledged finding(s); fix them, or acknowledge each on its "
        "resource with products.common.nag.acknowledge(construct, rule, reason):\n"
        + "\n".join(violations)
    )


# --- every acknowledgment is specific and justified ---------------------------------------
@dataclass(frozen=True)
class Ack:
    path: str
    rule: str
    reason: str
    construct: IConstruct


def acknowledgments(root: IConstruct) -> list[Ack]:
    out = []
    for node in root.node.find_all():
        for entry in node.node.metadata:
            if entry.type != cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                continue
            for rule, reason in dict(entry.data).items():
                out.append(Ack(node.node.path, rule, reason, node))
    return out


def acknowledgment_problems(acks: list[Ack]) -> list[str]:
    problems = []
    for a in acks:
        label = f"{a.path}: {a.rule}"
        m = RULE_ID.match(a.rule)
        if not m and not LIBRARY_RULE_ID.match(a.rule):
            problems.append(f"{label}: does not name an AwsSolutions rule")
        elif m and m.group(1) in FINDING_RULES and not m.group(2):
            problems.append(f"{label}: {m.group(1)} must name the finding, e.g. "
                            f"{m.group(1)}[Resource::*]")
        if cdk.Stack.is_stack(a.construct) or cdk.App.is_app(a.construct) or \
                cdk.Stage.is_stage(a.construct):
            if a.rule not in LIBRARY_STACK_WIDE:
                problems.append(f"{label}: acknowledged on a whole stack or app")
        else:
            count = sum(isinstance(n, cdk.CfnResource) for n in a.construct.node.find_all())
            if count == 0:
                problems.append(f"{label}: the construct holds no resource")
            elif count > MAX_RESOURCES_UNDER_ACKNOWLEDGMENT:
                problems.append(f"{label}: covers {count} resources; acknowledge on the one "
                                "resource it concerns")
        reason = a.reason.strip()
        if len(reason) < MIN_REASON or PLACEHOLDER_REASONS.search(reason):
            problems.append(f"{label}: reason is not a real justification: {reason!r}")
    return problems


def test_every_acknowledgment_names_a_rule_sits_on_a_resource_and_says_why(
    nag: NagRun,
) -> None:
    acks = acknowledgments(nag.app)
    assert acks, "no acknowledgments found: the metadata walk is broken"
    problems = acknowledgment_problems(acks)
    assert not problems, "\n".join(problems)


# --- the gate can fail --------------------------------------------------------------------
def _tiny_app(tmp_path: Path, build: Any) -> NagRun:
    app = cdk.App(outdir=str(tmp_path), analytics_reporting=False)
    stack = cdk.Stack(app, "Tiny")
    build(stack)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return run_validations(app, tmp_path)


def _open_security_group(stack: cdk.Stack) -> None:
    vpc = ec2.CfnVPC(stack, "Vpc", cidr_block="10.0.0.0/16")
    ec2.CfnSecurityGroup(
        stack, "Open", group_description="open", vpc_id=vpc.ref,
        security_group_ingress=[ec2.CfnSecurityGroup.IngressProperty(
            ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="0.0.0.0/0")],
    )


def _unencrypted_bucket(stack: cdk.Stack) -> None:
    s3.CfnBucket(stack, "Plain")


def test_nag_fails_an_open_security_group(tmp_path: Path) -> None:
    run = _tiny_app(tmp_path, _open_security_group)
    assert run.error is not None
    assert any("AwsSolutions-EC23" in v for v in run.violations())


def test_nag_fails_a_bucket_without_tls_or_logging(tmp_path: Path) -> None:
    run = _tiny_app(tmp_path, _unencrypted_bucket)
    assert run.error is not None
    rules = " ".join(run.violations())
    assert "AwsSolutions-S10" in rules and "AwsSolutions-S1" in rules


def test_nag_checks_resources_inside_a_product_stack(tmp_path: Path) -> None:
    """The products are ProductStacks nested in the portfolio stack: nag must see them."""
    def product_with_bad_bucket(stack: cdk.Stack) -> None:
        _unencrypted_bucket(servicecatalog.ProductStack(stack, "Product"))

    run = _tiny_app(tmp_path, product_with_bad_bucket)
    assert any("Tiny/Product/Plain" in v for v in run.violations()), run.violations()


def test_nag_passes_a_compliant_bucket(tmp_path: Path) -> None:
    def compliant(stack: cdk.Stack) -> None:
        logs = s3.Bucket(stack, "Logs", enforce_ssl=True,
                         block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                         encryption=s3.BucketEncryption.S3_MANAGED)
        # The log bucket itself: the textbook acknowledgment (a log bucket logging to
        # itself would loop).
        cdk.Validations.of(logs).acknowledge(cdk.Acknowledgment(
            id="AwsSolutions-S1", reason="Server access log destination; logging it to "
            "itself would recurse."))
        s3.Bucket(stack, "Data", enforce_ssl=True, server_access_logs_bucket=logs,
                  block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                  encryption=s3.BucketEncryption.S3_MANAGED)

    run = _tiny_app(tmp_path, compliant)
    assert run.error is None, run.violations()
    assert not acknowledgment_problems(acknowledgments(run.app))


def test_acknowledgment_checks_reject_a_stack_wide_vague_or_unnamed_acknowledgment(
    tmp_path: Path,
) -> None:
    def sloppy(stack: cdk.Stack) -> None:
        _unencrypted_bucket(stack)
        cdk.Validations.of(stack).acknowledge(
            cdk.Acknowledgment(id="AwsSolutions-S1", reason="TODO"),
            cdk.Acknowledgment(id="AwsSolutions-S10", reason="TODO"))
        cdk.Validations.of(stack.node.find_child("Plain")).acknowledge(
            cdk.Acknowledgment(id="AwsSolutions-IAM5", reason="Wildcards are fine here, "
                               "really, for every resource and action."))

    run = _tiny_app(tmp_path, sloppy)
    problems = "\n".join(acknowledgment_problems(acknowledgments(run.app)))
    assert "whole stack" in problems
    assert "not a real justification" in problems
    assert "must name the finding" in problems
