"""No secret in the template, secrets generated, IAM scoped to this deployment's secrets."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk.assertions import Match, Template


def test_mlflow_login_is_generated_by_secrets_manager(template: Template) -> None:
    template.has_resource("AWS::SecretsManager::Secret", {
        "DeletionPolicy": "Retain",
        "Properties": Match.object_like({"GenerateSecretString": Match.object_like({
            "SecretStringTemplate": '{"username":"mlflow"}',
            "GenerateStringKey": "password",
            "PasswordLength": 32,
        })}),
    })


def test_no_secret_value_anywhere(template_json: dict[str, Any]) -> None:
    secrets = [v for v in template_json["Resources"].values()
               if v["Type"] == "AWS::SecretsManager::Secret"]
    assert len(secrets) == 3  # database, MLflow login, Flask key
    for secret in secrets:
        assert "SecretString" not in secret["Properties"]
        assert "GenerateSecretString" in secret["Properties"]
    text = json.dumps(template_json)
    # Credentials only travel as Secrets Manager references.
    assert not re.search(r'"(Name|Key)": "[A-Z_]*(PASSWORD|SECRET_KEY)", "Value"', text)
    for task in (v for v in template_json["Resources"].values()
                 if v["Type"] == "AWS::ECS::TaskDefinition"):
        for container in task["Properties"]["ContainerDefinitions"]:
            names = {e["Name"] for e in container.get("Environment", [])}
            assert not {n for n in names if "PASSWORD" in n or "SECRET" in n}
    for cluster in (v for v in template_json["Resources"].values()
                    if v["Type"] == "AWS::RDS::DBCluster"):
        assert "{{resolve:secretsmanager:" in json.dumps(cluster["Properties"][
            "MasterUserPassword"])


def test_secret_reads_are_scoped_to_this_deployments_secrets(
        template_json: dict[str, Any]) -> None:
    resources = template_json["Resources"]
    secret_ids = {k for k, v in resources.items()
                  if v["Type"] in ("AWS::SecretsManager::Secret",
                                   "AWS::SecretsManager::SecretTargetAttachment")}
    statements = [s for v in resources.values() if v["Type"] == "AWS::IAM::Policy"
                  for s in v["Properties"]["PolicyDocument"]["Statement"]
                  if any(str(a).startswith("secretsmanager:") for a in _list(s["Action"]))]
    assert statements
    for statement in statements:
        for resource in _list(statement["Resource"]):
            assert resource.get("Ref") in secret_ids, resource


def test_no_policy_grants_everything(template_json: dict[str, Any]) -> None:
    for body in template_json["Resources"].values():
        if body["Type"] != "AWS::IAM::Policy":
            continue
        for statement in body["Properties"]["PolicyDocument"]["Statement"]:
            actions = _list(statement["Action"])
            assert "*" not in actions
            assert not [a for a in actions if a.endswith(":*")], actions
        assert "ManagedPolicyArns" not in body["Properties"]
    for body in template_json["Resources"].values():
        if body["Type"] == "AWS::IAM::Role":
            assert "AmazonS3FullAccess" not in json.dumps(body)
            assert body["Properties"]["Path"] == "/mlflow-platform/"


def test_no_fixed_physical_names(template_json: dict[str, Any]) -> None:
    name_props = {"BucketName", "RoleName", "ClusterName", "DBClusterIdentifier",
                  "LoadBalancerName", "LogGroupName", "DashboardName", "AlarmName",
                  "ServiceName", "Family", "Name"}
    derived = {  # names derived from DeploymentName (unique per account and region)
        "AWS::SSM::Parameter", "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "AWS::ECS::TaskDefinition", "AWS::ApiGatewayV2::VpcLink",
    }
    not_names = {"AWS::EC2::VPCEndpoint", "AWS::ServiceDiscovery::Service"}  # in a namespace
    for logical_id, body in template_json["Resources"].items():
        props = body.get("Properties", {})
        if body["Type"] in derived:
            for prop in name_props & set(props):
                assert "DeploymentName" in json.dumps(props[prop]), (logical_id, prop)
        elif body["Type"] not in not_names:
            literal = {p for p in name_props & set(props) if isinstance(props[p], str)}
            assert not literal, (logical_id, literal)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
