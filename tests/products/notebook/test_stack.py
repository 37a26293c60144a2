"""The notebook template, option by option (conditions evaluated for launch values)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from service_templates.notebook.render import render_lifecycle
from tests.helpers.conditions import launched


def _ref(key: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["{{resolve:ssm:/mlflow-platform/", {"Ref": "DeploymentName"},
                              f"/{key}}}}}"]]}


def _launch(template_json: dict[str, Any], **values: str) -> Template:
    return Template.from_json(launched(template_json, values))


def _notebook(template: Template) -> dict[str, Any]:
    (notebook,) = template.find_resources("AWS::SageMaker::NotebookInstance").values()
    return notebook["Properties"]


def _statements(template: Template) -> list[dict[str, Any]]:
    return [s for p in template.find_resources("AWS::IAM::Policy").values()
            for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_notebook_runs_al2023_with_size_and_root_access_parameters(template: Template) -> None:
    props = _notebook(template)
    assert props["PlatformIdentifier"] == "notebook-al2023-v1"
    assert props["InstanceType"] == {"Ref": "InstanceType"}
    assert props["VolumeSizeInGB"] == {"Ref": "VolumeSizeInGB"}
    assert props["RootAccess"] == {"Ref": "RootAccess"}


def test_defaults_are_private_and_without_root(template_json: dict[str, Any]) -> None:
    params = template_json["Parameters"]
    assert params["RootAccess"]["Default"] == "Disabled"
    # auto: Disabled wherever the deployment's private subnets have NAT (what core publishes).
    assert params["DirectInternetAccess"]["Default"] == "auto"
    assert params["Connection"]["Default"] == "vpc"
    assert params["AttachSageMakerFullAccess"]["Default"] == "false"


def test_in_vpc_the_notebook_uses_the_first_private_subnet_and_client_sg(
    template_json: dict[str, Any]
) -> None:
    props = _notebook(_launch(template_json, Connection="vpc"))
    # One published subnet ID: Fn::Split runs before a dynamic reference resolves, so
    # splitting private-subnet-ids would hand SageMaker both IDs as one.
    assert props["SubnetId"] == _ref("notebook-subnet-id")
    # The client group reaches the load balancer; the notebook group adds HTTPS out.
    assert props["SecurityGroupIds"] == [_ref("client-security-group-id"),
                                         _ref("notebook-security-group-id")]
    # The default (auto) follows the deployment's network, as MLflow core publishes it.
    assert props["DirectInternetAccess"] == _ref("notebook-direct-internet-access")


@pytest.mark.parametrize("choice", ["Disabled", "Enabled"])
def test_in_vpc_an_explicit_internet_access_choice_wins_over_the_deployment(
    template_json: dict[str, Any], choice: str
) -> None:
    props = _notebook(_launch(template_json, Connection="vpc", DirectInternetAccess=choice))
    assert props["DirectInternetAccess"] == {"Ref": "DirectInternetAccess"}


def test_with_the_private_api_the_notebook_is_outside_the_vpc(
    template_json: dict[str, Any]
) -> None:
    props = _notebook(_launch(template_json, Connection="private-api"))
    assert "SubnetId" not in props
    assert "SecurityGroupIds" not in props
    assert props["DirectInternetAccess"] == "Enabled"


def test_volume_uses_sagemaker_default_encryption(template: Template) -> None:
    # SageMaker always encrypts the ML storage volume (AWS managed key); no KmsKeyId means no
    # KMS grants for the launch role (see the SM2 acknowledgment in products/notebook/stack.py).
    assert "KmsKeyId" not in _notebook(template)


def test_lifecycle_config_runs_on_create_and_on_start(template: Template) -> None:
    props = _notebook(template)
    assert props["LifecycleConfigName"]["Fn::GetAtt"][1] == "NotebookInstanceLifecycleConfigName"
    (config,) = template.find_resources(
        "AWS::SageMaker::NotebookInstanceLifecycleConfig").values()
    for hook in ("OnCreate", "OnStart"):
        (script,) = config["Properties"][hook]
        assert set(script["Content"]) == {"Fn::Base64"}
    on_start = json.dumps(config["Properties"]["OnStart"])
    assert '{"Ref": "DeploymentName"}' in on_start
    assert '{"Ref": "Connection"}' in on_start
    assert "systemctl --no-block restart jupyter-server" in on_start


def test_role_reads_only_this_deployments_settings_and_login(template: Template) -> None:
    statements = {s["Sid"]: s for s in _statements(template)}
    assert statements["ReadDeploymentSettings"] == {
        "Sid": "ReadDeploymentSettings", "Effect": "Allow", "Action": "ssm:GetParameters",
        "Resource": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, ":ssm:", {"Ref": "AWS::Region"}, ":",
            {"Ref": "AWS::AccountId"}, ":parameter/mlflow-platform/", {"Ref": "DeploymentName"},
            "/*"]]},
    }
    assert statements["ReadMlflowLogin"]["Action"] == "secretsmanager:GetSecretValue"
    # The shared login only: in per-user mode core publishes an ARN naming no secret here.
    assert statements["ReadMlflowLogin"]["Resource"] == _ref("shared-login-secret-arn")
    assert all(s["Resource"] != "*" for s in statements.values())
    actions = {a for s in statements.values() for a in
               ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any(a.endswith("*") or a.startswith(("s3:", "sagemaker:")) for a in actions)


@pytest.mark.parametrize(("connection", "present"), [("vpc", False), ("private-api", True)])
def test_invoke_permission_on_the_private_api_only_when_used(
    template_json: dict[str, Any], connection: str, present: bool
) -> None:
    statements = _statements(_launch(template_json, Connection=connection))
    invoke = [s for s in statements if s["Action"] == "execute-api:Invoke"]
    if present:
        assert invoke == [{"Sid": "CallPrivateApi", "Effect": "Allow",
                           "Action": "execute-api:Invoke", "Resource": _ref("api-invoke-arn")}]
    else:
        assert invoke == []


@pytest.mark.parametrize(("value", "attached"), [("false", False), ("true", True)])
def test_sagemaker_full_access_only_on_request(
    template_json: dict[str, Any], value: str, attached: bool
) -> None:
    launch = _launch(template_json, AttachSageMakerFullAccess=value)
    (role,) = launch.find_resources("AWS::IAM::Role").values()
    arns = json.dumps(role["Properties"].get("ManagedPolicyArns", []))
    assert ("AmazonSageMakerFullAccess" in arns) == attached


def test_role_is_assumed_by_sagemaker_under_the_platform_path(template: Template) -> None:
    template.has_resource_properties("AWS::IAM::Role", {
        "Path": "/mlflow-platform/",
        "AssumeRolePolicyDocument": Match.object_like({"Statement": [Match.object_like({
            "Principal": {"Service": "sagemaker.amazonaws.com"}})]}),
    })


def test_notebook_waits_for_the_role_policy_but_not_the_conditional_one(
    template_json: dict[str, Any]
) -> None:
    resources = template_json["Resources"]
    (notebook,) = [r for r in resources.values()
                   if r["Type"] == "AWS::SageMaker::NotebookInstance"]
    for name in notebook.get("DependsOn", []):
        assert "Condition" not in resources[name]


def _called_actions() -> set[str]:
    """The IAM actions the rendered lifecycle scripts and the kernel hook call."""
    scripts = render_lifecycle(deployment="team-a", connection="vpc", region="us-east-1")
    shell = scripts.on_create + scripts.on_start
    cli = {f"{service}:{''.join(w.title() for w in command.split('-'))}"
           for service, command in re.findall(r"\baws ([a-z0-9-]+) ([a-z][a-z-]+)", shell)}
    # The kernel startup hook (Python) is written by the OnStart script.
    python = shell
    sdk = {f"{service}:{''.join(w.title() for w in call.split('_'))}"
           for service, call in re.findall(
               r'boto3\.client\("([a-z0-9-]+)".*?\)\s*\n.*?client\.([a-z_]+)\(',
               python, flags=re.S)}
    return cli | sdk


def test_the_role_grants_every_aws_call_the_scripts_make(template: Template) -> None:
    called = _called_actions()
    # What the scripts call today; a new call must come with its permission.
    assert called == {"ssm:GetParameters", "secretsmanager:GetSecretValue"}
    granted = {a for s in _statements(template) for a in
               ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert called <= granted, f"the role lacks {sorted(called - granted)}"
