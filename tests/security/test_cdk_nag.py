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
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_servicecatalog as servicecatalog
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct

from portfolio.app import RECIPIENT_ROLE_STACK_NAME, STACK_NAME, build_app, recipient_role_stack
from tests.conftest import UNSHARED, make_context

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
    outdir: Path | None = None
    variant: str = ""

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


# Both shapes of the app: shared (one local launch role, plus the recipients' launch-role
# stack) and single-account (a launch role per product).
VARIANTS = {"shared-local-role": {}, "unshared-per-product-roles": UNSHARED}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def nag(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> NagRun:
    outdir = tmp_path_factory.mktemp("nag.out")
    app, _ = build_app(make_context(**VARIANTS[request.param]), outdir=str(outdir))
    run = run_validations(app, outdir)
    run.outdir, run.variant = outdir, request.param
    return run


def test_nag_checks_every_stack_of_the_variant(nag: NagRun) -> None:
    stacks = {c.node.id for c in nag.app.node.children if cdk.Stack.is_stack(c)}
    shared = not VARIANTS[nag.variant]
    assert stacks == ({STACK_NAME, RECIPIENT_ROLE_STACK_NAME} if shared else {STACK_NAME})
    assert (recipient_role_stack(nag.app) is not None) is shared


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


# --- acknowledged wildcards really occur ---------------------------------------------------
IAM5 = "AwsSolutions-IAM5"


def _iam5_acks(node: IConstruct) -> set[str]:
    """The IAM5 findings acknowledged on this node itself, e.g. "Resource::*"."""
    return {rule.split("[", 1)[1][:-1]
            for entry in node.node.metadata
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
            for rule in dict(entry.data)
            if RULE_ID.match(rule) and RULE_ID.match(rule).group(1) == IAM5 and "[" in rule}


def _outside_products(node: IConstruct) -> bool:
    return not any(isinstance(s, servicecatalog.ProductStack) for s in node.node.scopes)


def acknowledged_iam5(app: cdk.App) -> dict[str, tuple[set[str], list[dict[str, Any]]]]:
    """Construct path -> (acknowledged IAM5 findings, the synthesized IAM policy documents of
    every policy under it), for the portfolio and launch-role stacks (not product stacks)."""
    out: dict[str, tuple[set[str], list[dict[str, Any]]]] = {}
    for node in app.node.find_all():
        acks = _iam5_acks(node)
        if not acks or not _outside_products(node):
            continue
        stack = cdk.Stack.of(node)
        template = json.loads((Path(app.outdir) / stack.template_file).read_text())
        documents = []
        for child in node.node.find_all():
            if isinstance(child, iam.CfnPolicy):
                logical_id = stack.resolve(child.logical_id)
                documents.append(template["Resources"][logical_id]["Properties"]
                                 ["PolicyDocument"])
        out[node.node.path] = (acks, documents)
    return out


def nag_iam5_findings(tmp_path: Path, documents: dict[str, list[dict[str, Any]]]
                      ) -> dict[str, set[str]]:
    """What cdk-nag itself reports (IAM5, unacknowledged) for these policy documents, by
    key: each key's documents go into their own construct of a fresh app."""
    app = cdk.App(outdir=str(tmp_path), analytics_reporting=False)
    stack = cdk.Stack(app, "Findings")
    paths = {}
    for i, (key, docs) in enumerate(sorted(documents.items())):
        scope = Construct(stack, f"Node{i}")
        paths[scope.node.path] = key
        for j, doc in enumerate(docs):
            iam.CfnPolicy(scope, f"Policy{j}", policy_document=doc, policy_name=f"p{j}",
                          roles=["placeholder"])
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    run = run_validations(app, tmp_path)
    found: dict[str, set[str]] = {key: set() for key in documents}
    for plugin in run.report.get("pluginReports", []):
        for v in plugin.get("violations", []):
            m = RULE_ID.match(v["ruleName"])
            if not m or m.group(1) != IAM5 or not m.group(2):
                continue
            for c in v["violatingConstructs"]:
                key = paths["/".join(c["constructPath"].split("/")[:2])]
                found[key].add(m.group(2)[1:-1])
    return found


def test_every_acknowledged_wildcard_occurs_in_the_policies_it_covers(
    nag: NagRun, tmp_path: Path,
) -> None:
    """An acknowledgment for a wildcard the policy does not have would silently accept it
    if it appeared later: each acknowledged IAM5 finding must be one cdk-nag reports for
    the policies under that construct when nothing is acknowledged."""
    acked = acknowledged_iam5(nag.app)
    launch_roles = [p for p in acked if p.endswith("LaunchRolePolicy")]
    assert launch_roles, "no launch-role acknowledgments found: the walk is broken"
    found = nag_iam5_findings(tmp_path, {p: docs for p, (_, docs) in acked.items()})
    stale = {p: sorted(acks - found[p]) for p, (acks, _) in acked.items() if acks - found[p]}
    assert not stale, f"acknowledged wildcards that do not occur: {stale}"
    for path in launch_roles:  # derived from the policy: exactly its findings
        assert acked[path][0] == found[path], path


def test_launch_roles_acknowledge_only_their_own_wildcards(nag: NagRun) -> None:
    acked = acknowledged_iam5(nag.app)
    roles = {p.rsplit("/", 1)[-1]: acks for p, (acks, _) in acked.items()
             if p.endswith("LaunchRolePolicy")}
    if "NotebookLaunchRolePolicy" in roles:  # per-product roles differ by product
        assert roles["NotebookLaunchRolePolicy"] != roles["MlflowCoreLaunchRolePolicy"]
        assert not any("s3:::sc-*" in a or "servicediscovery" in a
                       for a in roles["NotebookLaunchRolePolicy"])
        assert "Action::servicediscovery:*" in roles["MlflowCoreLaunchRolePolicy"]
    else:
        assert set(roles) == {"LaunchRolePolicy"}
    policies = [n for n in nag.app.node.find_all()
                if isinstance(n, iam.Policy) and n.node.id.endswith("LaunchRolePolicy")]
    assert {p.node.path for p in policies} == {p for p in acked if p.endswith("LaunchRolePolicy")}
    whole_service = []
    for policy in policies:
        reasons = {rule: reason for entry in policy.node.metadata
                   if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
                   for rule, reason in dict(entry.data).items()}
        assert len(set(reasons.values())) > len(reasons) // 2, "reasons are not specific"
        whole = [r for k, r in reasons.items() if re.search(r"Action::[\w-]+:\*\]$", k)]
        assert all(r.startswith("Whole-service wildcard") for r in whole), whole
        assert not any("per-service verb" in r for r in reasons.values())
        whole_service += whole
    assert whole_service, "the core's whole-service wildcards were not found"


def test_the_occurrence_check_catches_a_stale_acknowledgment(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path / "out"), analytics_reporting=False)
    stack = cdk.Stack(app, "Tiny")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"],
                                           resources=["arn:aws:s3:::bucket/*"]))
    cdk.Validations.of(role).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket/*]",
                           reason="Objects of the one bucket this role reads."),
        cdk.Acknowledgment(id="AwsSolutions-IAM5[Resource::*]",
                           reason="Stale: the policy has no such wildcard any more."))
    app.synth()
    acked = acknowledged_iam5(app)
    found = nag_iam5_findings(tmp_path / "check", {p: d for p, (_, d) in acked.items()})
    assert acked["Tiny/Role"][0] - found["Tiny/Role"] == {"Resource::*"}
