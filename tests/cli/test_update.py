"""`update NAME --version V`: plan preview, confirmation, execution."""

from __future__ import annotations

from typing import Any

from botocore.stub import ANY

from .conftest import PATH_IDS, PRODUCT_IDS, CatalogStub, artifact_id

SLUG = "mlflow-core"
VERSIONS = [("v1", "DEFAULT"), ("v2", "DEFAULT")]


PLAN = {"PlanId": "plan-1", "PlanName": "mlflow-platform-demo-core-v2"}
NO_CHANGES = ("The submitted information didn't contain changes. Submit different "
              "information to create a change set.")


def _target(sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.search_products()
    sc.describe_product(SLUG, VERSIONS)
    sc.launch_paths(SLUG)
    sc.parameters(SLUG, "v1")  # the current version's parameters keep their values
    sc.parameters(SLUG, "v2")


def _planning(sc: CatalogStub, *, params: list[dict[str, Any]] | None = None) -> None:
    """Up to the first poll of the plan, still CREATE_IN_PROGRESS."""
    _target(sc)
    sc.stub.add_response("create_provisioned_product_plan", {"PlanId": "plan-1"}, {
        "PlanName": "mlflow-platform-demo-core-v2", "PlanType": "CLOUDFORMATION",
        "ProductId": PRODUCT_IDS[SLUG], "ProvisionedProductName": "demo-core",
        "ProvisioningArtifactId": artifact_id(SLUG, "v2"), "PathId": PATH_IDS[SLUG],
        "ProvisioningParameters": _kept() if params is None else params,
        "IdempotencyToken": ANY})
    sc.stub.add_response("describe_provisioned_product_plan", {
        "ProvisionedProductPlanDetails": {**PLAN, "Status": "CREATE_IN_PROGRESS"}},
        {"PlanId": "plan-1"})


def _plan(sc: CatalogStub, *, params: list[dict[str, Any]] | None = None) -> None:
    _planning(sc, params=params)
    sc.stub.add_response("describe_provisioned_product_plan", {
        "ProvisionedProductPlanDetails": {**PLAN, "Status": "CREATE_SUCCESS"},
        "ResourceChanges": [
            {"Action": "MODIFY", "LogicalResourceId": "ServiceTaskDef",
             "ResourceType": "AWS::ECS::TaskDefinition", "Replacement": "TRUE"},
            {"Action": "ADD", "LogicalResourceId": "Alarm", "ResourceType":
             "AWS::CloudWatch::Alarm"}]}, {"PlanId": "plan-1"})


def _failed_plan(sc: CatalogStub, message: str) -> None:
    _planning(sc)
    sc.stub.add_response("describe_provisioned_product_plan", {
        "ProvisionedProductPlanDetails": {**PLAN, "Status": "CREATE_FAILED",
                                          "StatusMessage": message}}, {"PlanId": "plan-1"})


def _deleted(sc: CatalogStub) -> None:
    sc.stub.add_response("delete_provisioned_product_plan", {},
                         {"PlanId": "plan-1", "IgnoreErrors": True})


def _interrupt(*_args: Any) -> Any:
    raise KeyboardInterrupt


def _kept(*keys: str) -> list[dict[str, Any]]:
    from products.mlflow_core.parameters import PARAMETERS

    return [{"Key": p.name, "UsePreviousValue": True} for p in PARAMETERS if p.name not in keys]


def test_update_shows_the_plan_and_deletes_it_when_not_confirmed(
        run_cli: Any, sc: CatalogStub) -> None:
    _plan(sc)
    _deleted(sc)
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
    _target(sc)
    run = run_cli("update", "demo-core", "--version", "v2", "--param", "MaxTasks=99")
    assert run.code == 2 and "MaxTasks" in run.err
    assert "CreateProvisionedProductPlan" not in sc.calls


def test_update_of_an_unknown_product_exits_3(run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("ghost", None)
    assert run_cli("update", "ghost", "--version", "v2").code == 3


# --- the plan is deleted on every way out unless executed ----------------------------------
def test_ctrl_c_while_waiting_for_the_plan_deletes_it(run_cli: Any, sc: CatalogStub) -> None:
    _planning(sc)
    _deleted(sc)
    run = run_cli("update", "demo-core", "--version", "v2", "--yes", sleep=_interrupt)
    assert run.code == 130
    assert "nothing was changed" in run.err and "continues in AWS" not in run.err
    assert sc.calls[-1] == "DeleteProvisionedProductPlan"


def test_timeout_while_waiting_for_the_plan_deletes_it(run_cli: Any, sc: CatalogStub) -> None:
    _planning(sc)
    _deleted(sc)
    # 0.05 min = 3 s: the first poll (5 s later) would pass it.
    run = run_cli("update", "demo-core", "--version", "v2", "--yes", "--wait-timeout", "0.05")
    assert run.code == 6
    assert "update plan of demo-core; nothing was changed" in run.err
    assert sc.calls[-1] == "DeleteProvisionedProductPlan"


def test_ctrl_c_at_the_confirmation_deletes_the_plan(run_cli: Any, sc: CatalogStub) -> None:
    _plan(sc)
    _deleted(sc)
    run = run_cli("update", "demo-core", "--version", "v2", confirm=_interrupt)
    assert run.code == 130 and "nothing was changed" in run.err
    assert "ExecuteProvisionedProductPlan" not in sc.calls


def test_a_rejected_execution_deletes_the_plan(run_cli: Any, sc: CatalogStub) -> None:
    _plan(sc)
    sc.stub.add_client_error("execute_provisioned_product_plan", "InvalidStateException",
                             "The provisioned product is in an invalid state")
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-other")
    _deleted(sc)
    run = run_cli("update", "demo-core", "--version", "v2", "--yes", "-o", "json")
    assert run.code == 1
    error = run.json()["error"]
    assert error["type"] == "change_in_progress"
    assert error["message"] == ("demo-core is being changed (record rec-other); "
                                "wait for it or run status")
    assert sc.calls[-1] == "DeleteProvisionedProductPlan"


def test_an_executed_plan_is_kept(run_cli: Any, sc: CatalogStub) -> None:
    _plan(sc)
    sc.stub.add_response("execute_provisioned_product_plan", {"RecordDetail": {
        "RecordId": "rec-u", "Status": "CREATED"}},
        {"PlanId": "plan-1", "IdempotencyToken": ANY})
    sc.record("rec-u", "demo-core", "IN_PROGRESS")
    sleeps: list[float] = []

    def interrupt_the_second(seconds: float) -> None:  # the first is between plan polls
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    run = run_cli("update", "demo-core", "--version", "v2", "--yes", sleep=interrupt_the_second)
    assert run.code == 130 and "continues in AWS" in run.err
    assert "DeleteProvisionedProductPlan" not in sc.calls


def test_a_failed_plan_is_deleted_and_exits_4(run_cli: Any, sc: CatalogStub) -> None:
    _failed_plan(sc, "Parameter validation failed: MaxTasks")
    _deleted(sc)
    run = run_cli("update", "demo-core", "--version", "v2", "--yes")
    assert run.code == 4 and "Parameter validation failed" in run.err


def test_a_plan_of_no_changes_is_nothing_to_change_exit_0(
        run_cli: Any, sc: CatalogStub) -> None:
    _failed_plan(sc, NO_CHANGES.upper())  # recognised in any letter case
    _deleted(sc)
    run = run_cli("update", "demo-core", "--version", "v2")
    assert run.code == 0, run.err
    assert "demo-core: nothing to change" in run.out
    assert "ExecuteProvisionedProductPlan" not in sc.calls
    _failed_plan(sc, NO_CHANGES)
    _deleted(sc)
    doc = run_cli("update", "demo-core", "--version", "v2", "-o", "json").json()
    assert doc["status"] == "UNCHANGED" and doc["changes"] == []


# --- a product under change ------------------------------------------------------------------
def test_update_of_a_product_under_change_says_so_without_planning(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-busy")
    run = run_cli("update", "demo-core", "--version", "v2")
    assert run.code == 1
    assert "demo-core is being changed (record rec-busy); wait for it or run status" in run.err
    assert sc.calls == ["DescribeProvisionedProduct"]


def test_update_refused_as_invalid_state_names_the_change(
        run_cli: Any, sc: CatalogStub) -> None:
    _target(sc)  # AVAILABLE when looked at; a change starts before the plan is created
    sc.stub.add_client_error("create_provisioned_product_plan", "InvalidStateException",
                             "invalid state")
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-race")
    run = run_cli("update", "demo-core", "--version", "v2")
    assert run.code == 1 and "(record rec-race)" in run.err
    assert "DeleteProvisionedProductPlan" not in sc.calls  # no plan was created
