"""`update NAME --version V`: plan preview, confirmation, execution."""

from __future__ import annotations

from typing import Any

from botocore.stub import ANY

from .conftest import PATH_IDS, PRODUCT_IDS, CatalogStub, artifact_id

SLUG = "mlflow-core"
VERSIONS = [("v1", "DEFAULT"), ("v2", "DEFAULT")]


def _plan(sc: CatalogStub, *, params: list[dict[str, Any]]) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.search_products()
    sc.describe_product(SLUG, VERSIONS)
    sc.launch_paths(SLUG)
    sc.parameters(SLUG, "v1")  # the current version's parameters keep their values
    sc.parameters(SLUG, "v2")
    sc.stub.add_response("create_provisioned_product_plan", {"PlanId": "plan-1"}, {
        "PlanName": "mlflow-platform-demo-core-v2", "PlanType": "CLOUDFORMATION",
        "ProductId": PRODUCT_IDS[SLUG], "ProvisionedProductName": "demo-core",
        "ProvisioningArtifactId": artifact_id(SLUG, "v2"), "PathId": PATH_IDS[SLUG],
        "ProvisioningParameters": params, "IdempotencyToken": ANY})
    details = {"PlanId": "plan-1", "PlanName": "mlflow-platform-demo-core-v2"}
    sc.stub.add_response("describe_provisioned_product_plan", {
        "ProvisionedProductPlanDetails": {**details, "Status": "CREATE_IN_PROGRESS"}},
        {"PlanId": "plan-1"})
    sc.stub.add_response("describe_provisioned_product_plan", {
        "ProvisionedProductPlanDetails": {**details, "Status": "CREATE_SUCCESS"},
        "ResourceChanges": [
            {"Action": "MODIFY", "LogicalResourceId": "ServiceTaskDef",
             "ResourceType": "AWS::ECS::TaskDefinition", "Replacement": "TRUE"},
            {"Action": "ADD", "LogicalResourceId": "Alarm", "ResourceType":
             "AWS::CloudWatch::Alarm"}]}, {"PlanId": "plan-1"})


def _kept(*keys: str) -> list[dict[str, Any]]:
    from products.mlflow_core.parameters import PARAMETERS

    return [{"Key": p.name, "UsePreviousValue": True} for p in PARAMETERS if p.name not in keys]


def test_update_shows_the_plan_and_deletes_it_when_not_confirmed(
        run_cli: Any, sc: CatalogStub) -> None:
    _plan(sc, params=_kept())
    sc.stub.add_response("delete_provisioned_product_plan", {},
                         {"PlanId": "plan-1", "IgnoreErrors": True})
    run = run_cli("update", "demo-core", "--version", "v2")
    assert run.code == 5
    assert "MODIFY  ServiceTaskDef" in run.out and "TRUE" in run.out
    assert "the plan was deleted" in run.err
    assert "ExecuteProvisionedProductPlan" not in sc.calls


def test_update_with_yes_executes_the_plan_and_keeps_other_values(
        run_cli: Any, sc: CatalogStub) -> None:
    _plan(sc, params=[{"Key": "MaxTasks", "Value": "4"}, *_kept("MaxTasks")])
    sc.stub.add_response("execute_provisioned_product_plan", {"RecordDetail": {
        "RecordId": "rec-u", "Status": "CREATED"}},
        {"PlanId": "plan-1", "IdempotencyToken": ANY})
    sc.record("rec-u", "demo-core", "SUCCEEDED", outputs={"TrackingUrl": "http://alb"})
    run = run_cli("update", "demo-core", "--version", "v2", "--param", "MaxTasks=4", "--yes",
                  "-o", "json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["version"] == "v2" and doc["outputs"] == {"TrackingUrl": "http://alb"}
    assert doc["changes"][0] == {"action": "MODIFY", "resource": "ServiceTaskDef",
                                 "type": "AWS::ECS::TaskDefinition", "replacement": "TRUE"}
    assert "planned changes" in run.err  # preview on stderr when stdout is JSON


def test_update_rejects_a_bad_value_before_planning(run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.search_products()
    sc.describe_product(SLUG, VERSIONS)
    sc.launch_paths(SLUG)
    sc.parameters(SLUG, "v1")
    sc.parameters(SLUG, "v2")
    run = run_cli("update", "demo-core", "--version", "v2", "--param", "MaxTasks=99")
    assert run.code == 2 and "MaxTasks" in run.err
    assert "CreateProvisionedProductPlan" not in sc.calls


def test_update_of_an_unknown_product_exits_3(run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("ghost", None)
    assert run_cli("update", "ghost", "--version", "v2").code == 3
