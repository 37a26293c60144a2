"""Scans of every synthesized template (portfolio and products) and the scripts they carry.

The checks live in scan.py; the second half of this module feeds each one a bad synthetic
template to prove it can fail.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from service_templates.mlflow_core.render import AUTH_MODES, ProxyConfig, render_nginx_conf
from tests.security import scan
from tests.security.conftest import RECIPIENT_ROLE, ROOT, UNSHARED_VARIANT
from tests.security.wildcard_allowlist import ALLOWED

Templates = dict[str, dict[str, Any]]
CHECKS = {
    "plaintext secrets": scan.plaintext_secrets,
    "open ingress": scan.open_ingress,
    "buckets": scan.bucket_findings,
    "log groups": scan.log_group_findings,
    "access log formats": scan.access_log_findings,
    "broad grants": scan.broad_grants,
}


def _report(findings: list[scan.Finding]) -> str:
    return "\n".join(str(f) for f in findings)


@pytest.mark.parametrize("check", CHECKS)
def test_templates_pass(check: str, templates: Templates) -> None:
    findings = [f for name, t in templates.items() for f in CHECKS[check](name, t)]
    assert not findings, f"{check}:\n{_report(findings)}"


def test_every_template_was_scanned(templates: Templates) -> None:
    # Both shapes of the portfolio (shared with a local launch role; one role per product)
    # and the recipient accounts' launch-role template.
    assert {"portfolio", f"portfolio@{UNSHARED_VARIANT}", RECIPIENT_ROLE, "mlflow-core",
            "private-api", "notebook"} <= set(templates)
    assert all(t.get("Resources") for t in templates.values())


# --- IAM wildcards ------------------------------------------------------------------------
def allowlist_key(st: scan.Statement) -> list[tuple[str, str]]:
    template = st.template.split("@")[0]
    return [(template, st.sid)] if st.sid else [(template, a) for a in st.actions]


def unlisted_wildcards(templates: Templates) -> list[str]:
    out = []
    for name, t in templates.items():
        for st in scan.wildcard_statements(name, t):
            missing = [k for k in allowlist_key(st) if k not in ALLOWED]
            if missing:
                out.append(f"{name}: {st.resource}: {missing}")
    return out


def test_every_wildcard_resource_statement_is_allowlisted(templates: Templates) -> None:
    unlisted = unlisted_wildcards(templates)
    assert not unlisted, (
        "IAM statements on Resource '*' that tests/security/wildcard_allowlist.py does not "
        "justify (scope them, or add the reason):\n" + "\n".join(unlisted)
    )


def test_allowlist_has_no_stale_or_unreasoned_entries(templates: Templates) -> None:
    used = {k for name, t in templates.items() for st in scan.wildcard_statements(name, t)
            for k in allowlist_key(st)}
    stale = [k for k in ALLOWED if k not in used]
    assert not stale, f"allow-list entries that match no wildcard statement: {stale}"
    weak = [k for k, reason in ALLOWED.items() if len(reason) < 30]
    assert not weak, f"allow-list entries without a real reason: {weak}"


# --- scripts carried by templates, rendered configs, logs --------------------------------
def test_lifecycle_scripts_hold_no_secret(templates: Templates) -> None:
    findings = []
    for name, t in templates.items():
        for where, text in scan.lifecycle_scripts(t).items():
            findings += [f"{name}: {where}: {hit}" for hit in scan.text_secrets(text)]
            if scan.DYNAMIC_REFERENCE.search(text):
                findings.append(f"{name}: {where}: resolves a secret into the script")
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_proxy_access_log_records_no_credentials(mode: str) -> None:
    conf = render_nginx_conf(ProxyConfig(auth_mode=mode))
    assert "log_format" in conf
    findings = scan.nginx_log_format_findings(f"nginx.conf ({mode})", conf)
    findings += [scan.Finding("nginx", mode, hit) for hit in scan.text_secrets(conf)]
    assert not findings, _report(findings)


RUNTIME_SOURCES = ("docker", "scripts", "service_templates")


def runtime_python_files() -> list[Path]:
    return sorted(p for d in RUNTIME_SOURCES for p in (ROOT / d).rglob("*.py"))


# (file, what is printed) -> why it is fine. Keyed by name, not line, so it survives edits.
INTENTIONAL_PRINTS: dict[tuple[str, str], str] = {
    ("scripts/local_stack.py", "password"): "The local stack's throwaway credential "
    "(MariaDB and nginx on 127.0.0.1 for one developer session), printed once so the "
    "developer can log in; no deployed component runs this script.",
}


def test_runtime_code_never_prints_or_logs_a_secret() -> None:
    """Entrypoints and scripts handle the MLflow, database and Flask secrets: none of them
    may pass a secret-named value to print() or a logger."""
    findings = []
    for path in runtime_python_files():
        rel = str(path.relative_to(ROOT))
        findings += [f for f in scan.logged_secrets(rel, path.read_text())
                     if (rel, f.message.rsplit(" ", 1)[-1]) not in INTENTIONAL_PRINTS]
    assert not findings, _report(findings)


# --- the helpers can fail -----------------------------------------------------------------
def _template(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Resources": resources, **sections}


def _res(type_: str, **properties: Any) -> dict[str, Any]:
    return {"Type": type_, "Properties": properties}


FAKE_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9Q2vLk8Tn"  # AWS-secret-key-shaped, random


@pytest.mark.parametrize("template, expected", [
    (_template({}, Parameters={"DbPassword": {"Type": "String", "NoEcho": True,
                                              "Default": "hunter22"}}),
     "NoEcho parameter with a default"),
    (_template({}, Parameters={"AdminPassword": {"Type": "String", "Default": "x"}}),
     "not NoEcho"),
    (_template({"Db": _res("AWS::RDS::DBCluster", MasterUserPassword="hunter2hunter2")}),
     "literal value for secret property MasterUserPassword"),
    (_template({"S": _res("AWS::SecretsManager::Secret", SecretString="plaintext!")}),
     "literal value for secret property SecretString"),
    (_template({"Task": _res("AWS::ECS::TaskDefinition", ContainerDefinitions=[
        {"Name": "app", "Environment": [{"Name": "MLFLOW_TRACKING_PASSWORD",
                                         "Value": "hunter2"}]}])}),
     "environment variable MLFLOW_TRACKING_PASSWORD"),
    (_template({"Task": _res("AWS::ECS::TaskDefinition", ContainerDefinitions=[
        {"Name": "app", "Environment": [{"Name": "DB_URI", "Value": {"Fn::Join": ["", [
            "{{resolve:secretsmanager:", {"Ref": "S"}, ":SecretString:password::}}"]]}}]}])}),
     "secret dynamic reference resolved into plaintext"),
    (_template({"F": _res("AWS::Lambda::Function", Environment={"Variables": {
        "API_TOKEN": "abc123"}})}), "environment variable API_TOKEN"),
    (_template({"F": _res("AWS::Lambda::Function", Description=f"key {FAKE_KEY}")}),
     "high-entropy literal"),
    (_template({"F": _res("AWS::Lambda::Function", Description="AKIAIOSFODNN7EXAMPLF")}),
     "AWS access key ID"),
    (_template({}, Outputs={"Url": {"Value": "mysql://mlflow:s3cr3tpass@db:3306/mlflow"}}),
     "password in a URL"),
    (_template({}, Outputs={"DbPassword": {"Value": {"Fn::Join": ["", [
        "{{resolve:secretsmanager:", {"Ref": "S"}, ":SecretString:password::}}"]]}}}),
     "output resolves a secret"),
])
def test_secret_scan_catches(template: dict[str, Any], expected: str) -> None:
    report = _report(scan.plaintext_secrets("bad", template))
    assert expected in report, report


def test_secret_scan_accepts_generated_and_injected_secrets() -> None:
    good = _template({
        "S": _res("AWS::SecretsManager::Secret", GenerateSecretString={
            "SecretStringTemplate": '{"username":"mlflow"}', "GenerateStringKey": "password",
            "PasswordLength": 32, "ExcludePunctuation": True}),
        "Db": _res("AWS::RDS::DBCluster", MasterUsername="mlflow", MasterUserPassword={
            "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "S"},
                              ":SecretString:password::}}"]]}),
        "Task": _res("AWS::ECS::TaskDefinition", ContainerDefinitions=[{
            "Name": "app", "Secrets": [{"Name": "MLFLOW_PASSWORD",
                                        "ValueFrom": {"Fn::Join": [":", [{"Ref": "S"},
                                                                         "password::"]]}}],
            "Environment": [{"Name": "MLFLOW_SECRET_ARN", "Value": {"Ref": "S"}}]}]),
        "Asset": _res("AWS::Lambda::Function", Code={
            "S3Key": "9b8fce7ae7f25ef82fdbaf6b72523b99d0875c0c9c826642819fb51f11d9b125.zip"}),
    }, Parameters={"DbSecretArn": {"Type": "String", "Default": ""}})
    assert scan.plaintext_secrets("good", good) == []


def test_text_secrets_flags_credentials_in_scripts() -> None:
    script = "#!/bin/bash\nexport MLFLOW_TRACKING_PASSWORD=Zx81kPqa0vB2\n" \
             "curl https://admin:Zx81kPqa0vB2@mlflow.internal/\n"
    hits = " ".join(scan.text_secrets(script))
    assert "password assignment" in hits and "password in a URL" in hits
    ok = '#!/bin/bash\nexport MLFLOW_TRACKING_PASSWORD="$(aws secretsmanager get-secret-value)"\n'
    assert scan.text_secrets(ok) == []


def _sg(**rule: Any) -> dict[str, Any]:
    return _res("AWS::EC2::SecurityGroup", GroupDescription="x",
                SecurityGroupIngress=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                       **rule}])


@pytest.mark.parametrize("template", [
    _template({"Sg": _sg(CidrIp="0.0.0.0/0")}),
    _template({"Sg": _sg(CidrIpv6="::/0")}),
    _template({"Rule": _res("AWS::EC2::SecurityGroupIngress", GroupId="sg-1", IpProtocol="-1",
                            CidrIp="0.0.0.0/0")}),
    _template({"Rule": _res("AWS::EC2::SecurityGroupIngress", GroupId="sg-1", IpProtocol="-1",
                            CidrIp={"Fn::If": ["C", "10.0.0.0/8", "0.0.0.0/0"]})}),
    _template({"Sg": _sg(CidrIp={"Ref": "ClientCidr"})},
              Parameters={"ClientCidr": {"Type": "String", "Default": "0.0.0.0/0"}}),
    _template({"Sg": _sg(CidrIp={"Ref": "ClientCidr"})},
              Parameters={"ClientCidr": {"Type": "String", "Default": "10.0.0.0/8",
                                         "AllowedPattern": r"^[0-9./]+$"}}),
], ids=["inline-v4", "inline-v6", "ingress-resource", "behind-if", "param-default",
        "param-pattern"])
def test_open_ingress_is_caught(template: dict[str, Any]) -> None:
    assert scan.open_ingress("bad", template)


def test_closed_ingress_passes() -> None:
    pattern = r"^(\d{1,3}\.){3}\d{1,3}/([89]|[12]\d|3[0-2])$"
    good = _template({"Sg": _sg(CidrIp={"Ref": "ClientCidr"}),
                      "Peer": _sg(SourceSecurityGroupId="sg-2")},
                     Parameters={"ClientCidr": {"Type": "String", "Default": "10.0.0.0/16",
                                                "AllowedPattern": pattern}})
    assert scan.open_ingress("good", good) == []


GOOD_BUCKET = {
    "B": _res("AWS::S3::Bucket",
              BucketEncryption={"ServerSideEncryptionConfiguration": [
                  {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
              PublicAccessBlockConfiguration=dict.fromkeys(scan.BLOCK_ALL, True)),
    "P": _res("AWS::S3::BucketPolicy", Bucket={"Ref": "B"}, PolicyDocument={"Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}),
}


def test_bucket_checks_pass_a_good_bucket_and_fail_each_gap() -> None:
    assert scan.bucket_findings("good", _template(GOOD_BUCKET)) == []
    for gap, expected in [("BucketEncryption", "encryption"),
                          ("PublicAccessBlockConfiguration", "public access")]:
        bucket = {k: v for k, v in GOOD_BUCKET["B"]["Properties"].items() if k != gap}
        bad = {**GOOD_BUCKET, "B": _res("AWS::S3::Bucket", **bucket)}
        assert expected in _report(scan.bucket_findings("bad", _template(bad)))
    no_policy = {"B": GOOD_BUCKET["B"]}
    assert "SecureTransport" in _report(scan.bucket_findings("bad", _template(no_policy)))


def test_log_group_checks() -> None:
    bad = _template({
        "G": _res("AWS::Logs::LogGroup"),
        "F": _res("AWS::Lambda::Function", Runtime="python3.13"),
        "Db": _res("AWS::RDS::DBCluster", EnableCloudwatchLogsExports=["error"]),
    })
    report = _report(scan.log_group_findings("bad", bad))
    assert "without RetentionInDays" in report
    assert "implicit /aws/lambda" in report
    assert "exported error log" in report
    good = _template({
        "G": _res("AWS::Logs::LogGroup", RetentionInDays={"Ref": "Days"}),
        "F": _res("AWS::Lambda::Function", LoggingConfig={"LogGroup": {"Ref": "G"}}),
    })
    assert scan.log_group_findings("good", good) == []


def test_access_log_format_check() -> None:
    bad = _template({"S": _res("AWS::ApiGatewayV2::Stage", AccessLogSettings={
        "Format": '{"auth":"$request.header.Authorization"}'})})
    assert scan.access_log_findings("bad", bad)
    conf = 'log_format main escape=json \'{"auth":"$http_authorization"}\';'
    assert scan.nginx_log_format_findings("bad", conf)


def _policy(*statements: dict[str, Any], managed: list[Any] | None = None) -> dict[str, Any]:
    return _template({
        "P": _res("AWS::IAM::Policy", PolicyDocument={"Statement": list(statements)}),
        "R": _res("AWS::IAM::Role", ManagedPolicyArns=managed or []),
    })


@pytest.mark.parametrize("template, expected", [
    (_policy(managed=[{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                         ":iam::aws:policy/AmazonS3FullAccess"]]}]),
     "AmazonS3FullAccess"),
    (_policy(managed=["arn:aws:iam::aws:policy/AdministratorAccess"]), "AdministratorAccess"),
    (_policy(managed=["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]), "FullAccess"),
    (_policy({"Effect": "Allow", "Action": "*", "Resource": "*"}), "Action '*'"),
    (_policy({"Effect": "Allow", "Action": "*:*", "Resource": "*"}), "Action '*:*'"),
    (_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), "s3:* on every"),
    (_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}),
     "s3:* on every"),
    (_policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}), "escalation"),
    (_policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "NotAction"),
    (_policy({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"}),
     "reads all such data"),
])
def test_broad_grants_are_caught(template: dict[str, Any], expected: str) -> None:
    assert expected in _report(scan.broad_grants("bad", template))


def test_the_notebooks_full_access_opt_in_passes_only_when_conditional() -> None:
    arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    conditional = _policy(managed=[{"Fn::If": ["AttachFullAccess", arn,
                                               {"Ref": "AWS::NoValue"}]}])
    assert scan.broad_grants("notebook", conditional) == []
    assert "FullAccess" in _report(scan.broad_grants("notebook", _policy(managed=[arn])))
    assert "FullAccess" in _report(scan.broad_grants("mlflow-core", conditional))


def test_wildcard_statements_are_found_and_need_the_allowlist() -> None:
    t = _policy({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
                {"Effect": "Allow", "Sid": "Scoped", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::bucket/*"},
                {"Effect": "Allow", "Sid": "Either", "Action": "logs:PutLogEvents",
                 "Resource": {"Fn::If": ["C", "*", "arn:aws:logs:us-east-1:1:log-group:x"]}})
    found = scan.wildcard_statements("bad", t)
    assert [s.sid for s in found] == [None, "Either"]
    assert unlisted_wildcards({"bad": t})


def test_lifecycle_scripts_are_decoded_and_rendered() -> None:
    script = "#!/bin/bash\nset -euo pipefail\necho ${!HOME} ${AWS::Region}\n"
    t = _template({"L": _res("AWS::SageMaker::NotebookInstanceLifecycleConfig",
                             OnStart=[{"Content": {"Fn::Base64": {"Fn::Sub": script}}}],
                             OnCreate=[{"Content": base64.b64encode(b"echo hi").decode()}])})
    rendered = scan.lifecycle_scripts(t)
    assert rendered["L.OnCreate[0]"] == "echo hi"
    assert "${HOME} PLACEHOLDER_AWS__Region" in rendered["L.OnStart[0]"]


def test_logged_secret_detection() -> None:
    source = ("import logging, sys\nlog = logging.getLogger()\npassword = 'x'\n"
              "log.info('pw %s', password)\nprint(f'login {creds.password}')\n"
              "sys.stderr.write(db_password)\n"
              "log.info('reading %s', secret_arn)\nopen('f').write(password)\n")
    findings = scan.logged_secrets("bad.py", source)
    assert sorted(int(f.where.split(":")[1]) for f in findings) == [4, 5, 6]


def test_high_entropy_detector_spares_identifiers_and_digests() -> None:
    spared = ("MlflowPlatformPortfolioMlflowCoreProductD6783C8B "
              "9b8fce7ae7f25ef82fdbaf6b72523b99d0875c0c9c826642819fb51f11d9b125 "
              "arn:aws:iam::111111111111:role/mlflow-platform/SC-111111111111-pp-abc "
              "ELBSecurityPolicy-TLS13-1-2-2021-06 AwsSolutions-IAM5")
    assert scan.high_entropy_tokens(spared) == []
    assert scan.high_entropy_tokens(f"token {FAKE_KEY}")
    assert re.search("high-entropy", " ".join(scan.text_secrets(FAKE_KEY)))
