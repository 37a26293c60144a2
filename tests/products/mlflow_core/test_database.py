"""Database: Aurora MySQL 3 Serverless v2, snapshot on delete, reachable from the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.helpers.rules import failed_assertions

from .resources import of_type, only


def test_cluster_is_encrypted_aurora_mysql_3_serverless_v2(template: Template) -> None:
    template.has_resource("AWS::RDS::DBCluster", {
        "DeletionPolicy": "Snapshot",
        "UpdateReplacePolicy": "Snapshot",
        "Properties": Match.object_like({
            "Engine": "aurora-mysql",
            "EngineVersion": Match.string_like_regexp(r"^8\.0\.mysql_aurora\.3\.(0[89]|1\d)"),
            "StorageEncrypted": True,
            "DatabaseName": "mlflow",
            "BackupRetentionPeriod": {"Ref": "BackupRetentionDays"},
            "ServerlessV2ScalingConfiguration": {
                "MinCapacity": {"Fn::If": ["ProdDatabaseFloor", 0.5,
                                           {"Ref": "DatabaseMinCapacity"}]},
                "MaxCapacity": {"Ref": "DatabaseMaxCapacity"},
                "SecondsUntilAutoPause": Match.any_value(),
            },
        }),
    })
    template.has_resource_properties("AWS::RDS::DBInstance", {
        "DBInstanceClass": "db.serverless", "PubliclyAccessible": False})


def test_credentials_are_generated_with_the_fields_the_server_reads(
        template: Template) -> None:
    template.has_resource("AWS::SecretsManager::Secret", {
        "DeletionPolicy": "Retain",
        "Properties": Match.object_like({"GenerateSecretString": Match.object_like({
            "SecretStringTemplate": '{"username":"mlflow","dbname":"mlflow"}',
            "GenerateStringKey": "password",
        })}),
    })
    # The attachment adds host and port to the same secret.
    template.resource_count_is("AWS::SecretsManager::SecretTargetAttachment", 1)


@pytest.mark.parametrize(("values", "floor", "protected", "instances"), [
    ({}, "0", False, 1),
    ({"Profile": "prod"}, 0.5, True, 2),
    ({"Profile": "prod", "DatabaseMinCapacity": "2"}, "2", True, 2),
    ({"DatabaseMinCapacity": "1"}, "1", False, 1),
])
def test_profile_sets_database_floor_protection_and_instances(
        launch: Callable[..., dict[str, Any]], values: dict[str, str], floor: object,
        protected: bool, instances: int) -> None:
    resources = launch(**values)
    props = only(resources, "AWS::RDS::DBCluster")["Properties"]
    assert props["ServerlessV2ScalingConfiguration"]["MinCapacity"] == floor
    assert props["DeletionProtection"] is protected
    assert len(of_type(resources, "AWS::RDS::DBInstance")) == instances


def test_dev_defaults_let_the_database_pause(launch: Callable[..., dict[str, Any]]) -> None:
    scaling = only(launch(), "AWS::RDS::DBCluster")["Properties"][
        "ServerlessV2ScalingConfiguration"]
    assert scaling["MinCapacity"] == "0"
    assert scaling["SecondsUntilAutoPause"] >= 300


@pytest.mark.parametrize("values", [{"Profile": "prod"}, {"DatabaseMinCapacity": "1"}])
def test_auto_pause_is_left_out_when_the_floor_is_above_zero(
        launch: Callable[..., dict[str, Any]], values: dict[str, str]) -> None:
    scaling = only(launch(**values), "AWS::RDS::DBCluster")["Properties"][
        "ServerlessV2ScalingConfiguration"]
    assert scaling["MinCapacity"] != "0"
    assert "SecondsUntilAutoPause" not in scaling


def test_only_the_service_reaches_port_3306(template_json: dict[str, Any]) -> None:
    resources = template_json["Resources"]
    db_groups = [k for k, v in resources.items() if v["Type"] == "AWS::EC2::SecurityGroup"
                 and "database" in v["Properties"]["GroupDescription"].lower()]
    assert len(db_groups) == 1
    rules = [v["Properties"] for v in resources.values()
             if v["Type"] == "AWS::EC2::SecurityGroupIngress"
             and v["Properties"]["GroupId"] == {"Fn::GetAtt": [db_groups[0], "GroupId"]}]
    assert len(rules) == 1
    rule = rules[0]
    assert (rule["FromPort"], rule["ToPort"]) == (3306, 3306)
    source = rule["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    assert "MLflow tasks" in resources[source]["Properties"]["GroupDescription"]
    inline = resources[db_groups[0]]["Properties"].get("SecurityGroupIngress", [])
    assert inline == []


def test_database_minimum_above_maximum_is_rejected_at_launch(
        template_json: dict[str, Any]) -> None:
    ok = {"DeploymentName": "team-a", "DatabaseMinCapacity": "2", "DatabaseMaxCapacity": "4"}
    assert failed_assertions(template_json, ok) == []
    bad = {**ok, "DatabaseMinCapacity": "8"}
    assert any("Database maximum" in f for f in failed_assertions(template_json, bad))
