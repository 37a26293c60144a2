"""Self-service actions of MLflow core: SSM Automation documents, actions, associations."""

from __future__ import annotations

import json
import re
import sys
import types
from typing import Any

import pytest
from aws_cdk.assertions import Match

from mlflow_platform import contract
from mlflow_platform.catalog import MLFLOW_CORE
from portfolio.actions import _ROTATE_SCRIPT, restart_document, rotate_document

SC = "AWS::ServiceCatalog::"


def _resources(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def test_two_automation_documents_back_two_service_actions(synth: Any) -> None:
    template = synth.portfolio_json()
    documents = _resources(template, "AWS::SSM::Document")
    assert len(documents) == 2
    for document in documents.values():
        assert document["Properties"]["DocumentType"] == "Automation"
        assert "Name" not in document["Properties"]
    actions = _resources(template, SC + "ServiceAction")
    assert sorted(a["Properties"]["Name"] for a in actions.values()) == [
        "MLflowCore-RestartService", "MLflowCore-RotateCredentials"]
    for action in actions.values():
        definition = {d["Key"]: d["Value"] for d in action["Properties"]["Definition"]}
        assert action["Properties"]["DefinitionType"] == "SSM_AUTOMATION"
        assert definition["Name"]["Ref"] in documents
        assert json.loads(definition["Parameters"]) == [
            {"Name": "DeploymentName", "Type": "TEXT_VALUE"}]
        assert "Fn::GetAtt" in definition["AssumeRole"]


def test_actions_are_associated_with_every_core_version(synth: Any) -> None:
    template = synth.portfolio()
    template.resource_count_is(SC + "ServiceActionAssociation",
                               2 * len(MLFLOW_CORE.versions))
    template.has_resource_properties(SC + "ServiceActionAssociation", {
        "ProductId": {"Ref": Match.string_like_regexp("^MlflowCore")},
        "ProvisioningArtifactId": {"Fn::GetAtt": [Match.string_like_regexp("Artifact"),
                                                  "ProvisioningArtifactDetail.Id"]},
    })


def test_action_role_is_limited_to_tagged_core_resources(synth: Any) -> None:
    template = synth.portfolio_json()
    statements = [s for p in _resources(template, "AWS::IAM::Policy").values()
                  if "CoreActions" in json.dumps(p["Properties"]["Roles"])
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"ReadPublishedValues", "RestartCoreServices", "WatchServices",
                           "RotateCoreLogins"}
    assert by_sid["RestartCoreServices"]["Condition"] == {"StringEquals": {
        "aws:ResourceTag/mlflow-platform:product": "mlflow-core"}}
    assert by_sid["RotateCoreLogins"]["Condition"] == {"StringEquals": {
        "secretsmanager:ResourceTag/mlflow-platform:secret": "mlflow-credentials"}}
    assert "parameter/mlflow-platform/*" in json.dumps(by_sid["ReadPublishedValues"])


def test_action_role_trusts_ssm_only_for_this_accounts_automations(synth: Any) -> None:
    template = synth.portfolio_json()
    (role,) = [r for k, r in _resources(template, "AWS::IAM::Role").items()
               if k.startswith("CoreActionsRole")]
    statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    by_service = {s["Principal"]["Service"]: s for s in statements}
    assert set(by_service) == {"ssm.amazonaws.com", "servicecatalog.amazonaws.com"}
    ssm = by_service["ssm.amazonaws.com"]
    # Confused deputy: SSM acting for another account cannot assume the role.
    assert ssm["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ssm["Condition"]["ArnLike"] == {"aws:SourceArn": {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":ssm:*:", {"Ref": "AWS::AccountId"},
        ":automation-execution/*"]]}}
    assert all(len(s["Principal"]) == 1 for s in statements), "one principal per statement"


@pytest.mark.parametrize("document", [restart_document(), rotate_document()])
def test_documents_read_only_published_contract_keys(document: dict[str, Any]) -> None:
    names = re.findall(r"/mlflow-platform/\{\{ DeploymentName \}\}/([a-z-]+)",
                       json.dumps(document))
    assert names
    assert set(names) <= {k.name for k in contract.CORE_KEYS}
    assert document["parameters"]["DeploymentName"]["allowedPattern"] == (
        contract.DEPLOYMENT_NAME_PATTERN)


def test_restart_is_a_forced_rolling_deployment_that_is_waited_for() -> None:
    steps = {s["name"]: s for s in restart_document()["mainSteps"]}
    assert steps["StartRollingDeployment"]["inputs"]["forceNewDeployment"] is True
    assert steps["WaitForDeployment"]["inputs"]["DesiredValues"] == ["COMPLETED"]


def test_rotation_keeps_the_password_out_of_step_outputs() -> None:
    steps = rotate_document()["mainSteps"]
    assert [s["name"] for s in steps][:2] == ["FindSecret", "RotatePassword"]
    assert "outputs" not in steps[1]
    assert steps[-1]["name"] == "WaitForDeployment"  # then the rolling restart


def test_rotation_script_writes_a_new_password_and_keeps_the_username(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stored = {"SecretString": json.dumps({"username": "mlflow", "password": "old"})}

    class Client:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            return stored

        def put_secret_value(self, SecretId: str, SecretString: str) -> None:
            stored["SecretString"] = SecretString

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=lambda _: Client()))
    namespace: dict[str, Any] = {}
    exec(compile(_ROTATE_SCRIPT, "rotate", "exec"), namespace)  # noqa: S102
    result = namespace["rotate"]({"SecretArn": "arn:secret"}, None)
    value = json.loads(stored["SecretString"])
    assert value["username"] == "mlflow"
    assert value["password"] != "old" and len(value["password"]) == 32
    assert value["password"].isalnum()
    assert "password" not in json.dumps(result)


def test_actions_can_be_left_out_where_teams_share_an_account(tmp_path) -> None:
    """selfServiceActions=false: no documents, actions, associations or action role (the
    mitigation SECURITY.md gives for actions acting on any deployment name)."""
    from tests.conftest import synth_app

    template = synth_app(tmp_path, selfServiceActions=False).portfolio_json()
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::SSM::Document", SC + "ServiceAction",
                        SC + "ServiceActionAssociation"}
    assert not [k for k in template["Resources"] if k.startswith("CoreActions")]
    assert SC + "CloudFormationProduct" in types
