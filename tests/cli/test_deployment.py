"""`up` and `down`: order, wiring, resumption and what is retained (Stubber + moto SSM)."""

from __future__ import annotations

import pytest

from mlflow_platform.cli.aws import Clients
from mlflow_platform.cli.catalog_service import CatalogService, Output
from mlflow_platform.cli.connection import ConnectionService
from mlflow_platform.cli.deployment import (
    COMPONENTS,
    Component,
    DeploymentService,
    FromDeployment,
    FromOutput,
    inputs_for,
    split_component_params,
)
from mlflow_platform.cli.errors import ProvisioningFailed, ValidationError

from .conftest import REGION, CatalogStub, publish

CORE_OUTPUTS = {"TrackingUrl": "http://alb", "PublishedAuthMode": "iam"}


@pytest.fixture
def deployments(aws: Clients, catalog: CatalogService, progress: list[str]
                ) -> DeploymentService:
    return DeploymentService(catalog, ConnectionService(aws.ssm, aws.secretsmanager, REGION),
                             progress.append)


def _prepare_all(sc: CatalogStub) -> None:
    sc.search_products()
    for c in COMPONENTS:
        sc.target(c.slug)


def test_up_provisions_core_then_api_then_notebook(
        sc: CatalogStub, aws: Clients, deployments: DeploymentService) -> None:
    _prepare_all(sc)
    sc.provisioned("demo-core", None)
    sc.provision("mlflow-core", "demo-core", {"Profile": "prod", "DeploymentName": "demo"},
                 "rec-core")
    sc.record("rec-core", "demo-core", "SUCCEEDED", outputs=CORE_OUTPUTS)
    publish(aws, "demo", {"tracking-url": "http://alb"})  # what the core stack writes
    sc.provisioned("demo-api", None)
    sc.provision("private-api", "demo-api", {"Authorization": "AWS_IAM",
                                             "DeploymentName": "demo"}, "rec-api")
    sc.record("rec-api", "demo-api", "SUCCEEDED")
    sc.provisioned("demo-notebook", None)
    sc.provision("notebook", "demo-notebook", {"InstanceType": "ml.t3.large",
                                               "Connection": "private-api",
                                               "DeploymentName": "demo"}, "rec-nb")
    sc.record("rec-nb", "demo-notebook", "SUCCEEDED")
    steps = deployments.up("demo", params={"mlflow-core": {"Profile": "prod"},
                                           "notebook": {"InstanceType": "ml.t3.large"}})
    assert [(s.name, s.action) for s in steps] == [
        ("demo-core", "launched"), ("demo-api", "launched"), ("demo-notebook", "launched")]
    assert Output("TrackingUrl", "http://alb") in steps[0].outputs


def test_up_resumes_skipping_available_and_waiting_on_changes(
        sc: CatalogStub, aws: Clients, deployments: DeploymentService, progress: list[str]
) -> None:
    _prepare_all(sc)
    publish(aws, "demo", {"tracking-url": "http://alb"})
    sc.provisioned("demo-core", "AVAILABLE")
    sc.outputs("demo-core", {"TrackingUrl": "http://alb", "PublishedAuthMode": "basic"})
    sc.provisioned("demo-api", "UNDER_CHANGE", slug="private-api", record_id="rec-api")
    sc.record("rec-api", "demo-api", "IN_PROGRESS")
    sc.record("rec-api", "demo-api", "SUCCEEDED")
    sc.provisioned("demo-api", "AVAILABLE", slug="private-api", record_id="rec-api")
    sc.outputs("demo-api", {})
    sc.provisioned("demo-notebook", None)
    sc.provision("notebook", "demo-notebook", {"Connection": "vpc", "DeploymentName": "demo"},
                 "rec-nb")
    sc.record("rec-nb", "demo-notebook", "SUCCEEDED")
    steps = deployments.up("demo")
    assert [s.action for s in steps] == ["skipped", "waited", "launched"]
    assert "demo-core: already provisioned (AVAILABLE); skipping" in progress
    assert sc.calls.count("ProvisionProduct") == 1


def test_up_launches_anew_when_the_change_waited_on_terminated_it(
        sc: CatalogStub, deployments: DeploymentService, progress: list[str]) -> None:
    # An interrupted `down` left demo-core terminating: once that ends, it is gone.
    sc.search_products()
    sc.target("mlflow-core")
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-term")
    sc.record("rec-term", "demo-core", "SUCCEEDED")
    sc.provisioned("demo-core", None)
    sc.provision("mlflow-core", "demo-core", {"DeploymentName": "demo"}, "rec-new")
    sc.record("rec-new", "demo-core", "SUCCEEDED", outputs=CORE_OUTPUTS)
    steps = deployments.up("demo", skip=["private-api", "notebook"])
    assert [(s.name, s.action, s.record_id) for s in steps] == [
        ("demo-core", "launched", "rec-new")]
    assert "GetProvisionedProductOutputs" not in sc.calls
    assert "demo-core: that change terminated it; launching it again" in progress


def test_up_validates_every_component_before_any_change(
        sc: CatalogStub, deployments: DeploymentService) -> None:
    _prepare_all(sc)
    with pytest.raises(ValidationError, match=r"InstanceType: 'ml\.p5\.48xlarge' is not allowed"):
        deployments.up("demo", params={"notebook": {"InstanceType": "ml.p5.48xlarge"}})
    assert "ProvisionProduct" not in sc.calls
    assert "DescribeProvisionedProduct" not in sc.calls


def test_up_stops_when_the_core_published_nothing(
        sc: CatalogStub, deployments: DeploymentService) -> None:
    _prepare_all(sc)
    sc.provisioned("demo-core", "AVAILABLE")
    sc.outputs("demo-core", {})
    with pytest.raises(ProvisioningFailed, match="published no tracking-url"):
        deployments.up("demo")
    assert "ProvisionProduct" not in sc.calls


def test_up_refuses_a_product_in_error(sc: CatalogStub, deployments: DeploymentService) -> None:
    _prepare_all(sc)
    sc.provisioned("demo-core", "ERROR", message="Stack rollback failed")
    with pytest.raises(ProvisioningFailed, match="demo-core is ERROR: Stack rollback") as err:
        deployments.up("demo")
    assert "terminate demo-core" in (err.value.hint or "")


def test_up_rejects_an_invalid_deployment_name(deployments: DeploymentService) -> None:
    with pytest.raises(ValidationError, match="invalid deployment name 'Demo'"):
        deployments.up("Demo")


def test_down_terminates_in_reverse_order_and_lists_retained_data(
        sc: CatalogStub, aws: Clients, deployments: DeploymentService) -> None:
    publish(aws, "demo", {"tracking-url": "http://alb", "artifact-bucket": "demo-artifacts-1"})
    sc.provisioned("demo-notebook", None)
    sc.provisioned("demo-api", "AVAILABLE", slug="private-api")
    sc.terminate("demo-api", "rec-t1")
    sc.record("rec-t1", "demo-api", "SUCCEEDED")
    sc.provisioned("demo-core", "AVAILABLE")
    sc.terminate("demo-core", "rec-t2")
    sc.record("rec-t2", "demo-core", "SUCCEEDED")
    steps, retained = deployments.down("demo")
    assert [(s.name, s.action) for s in steps] == [
        ("demo-notebook", "absent"), ("demo-api", "terminated"), ("demo-core", "terminated")]
    assert "demo-artifacts-1" in retained[0]
    assert "final snapshot" in retained[1]


def test_down_does_not_terminate_again_what_the_change_waited_on_terminated(
        sc: CatalogStub, deployments: DeploymentService, progress: list[str]) -> None:
    # The previous `down` was interrupted while demo-core was terminating.
    sc.provisioned("demo-notebook", None)
    sc.provisioned("demo-api", None)
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-term")
    sc.record("rec-term", "demo-core", "IN_PROGRESS")
    sc.record("rec-term", "demo-core", "SUCCEEDED")
    sc.provisioned("demo-core", None)
    steps, _retained = deployments.down("demo")
    assert [(s.name, s.action, s.record_id) for s in steps] == [
        ("demo-notebook", "absent", ""), ("demo-api", "absent", ""),
        ("demo-core", "terminated", "rec-term")]
    assert "TerminateProvisionedProduct" not in sc.calls
    assert "demo-core: already terminated by that change" in progress


def test_down_terminates_what_is_still_there_after_the_change_waited_on(
        sc: CatalogStub, deployments: DeploymentService) -> None:
    sc.provisioned("demo-notebook", None)
    sc.provisioned("demo-api", None)
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-upd")
    sc.record("rec-upd", "demo-core", "SUCCEEDED")
    sc.provisioned("demo-core", "AVAILABLE", record_id="rec-upd")
    sc.terminate("demo-core", "rec-t")
    sc.record("rec-t", "demo-core", "SUCCEEDED")
    steps, _retained = deployments.down("demo")
    assert (steps[-1].action, steps[-1].record_id) == ("terminated", "rec-t")


def test_output_sources_are_wired_from_earlier_products() -> None:
    c = Component("notebook", "notebook", {"DeploymentName": FromDeployment(),
                                           "TrackingUri": FromOutput("private-api", "ApiUrl")})
    values = inputs_for(c, "demo", {"private-api": [Output("ApiUrl", "https://api")]})
    assert values == {"DeploymentName": "demo", "TrackingUri": "https://api"}
    with pytest.raises(ProvisioningFailed, match="private-api has no output ApiUrl"):
        inputs_for(c, "demo", {})


def test_wired_defaults_follow_the_core_auth_mode_unless_given() -> None:
    api = COMPONENTS[1]
    iam = {"mlflow-core": [Output("PublishedAuthMode", "iam")]}
    assert inputs_for(api, "demo", iam)["Authorization"] == "AWS_IAM"
    assert inputs_for(api, "demo", iam, {"Authorization": "JWT"})["Authorization"] == "JWT"
    with pytest.raises(ProvisioningFailed, match="no output PublishedAuthMode") as err:
        inputs_for(api, "demo", {})
    assert "--param api.Authorization=VALUE" in (err.value.hint or "")


def test_component_params_use_short_or_slug_names_and_protect_wired_inputs() -> None:
    assert split_component_params({"core.Profile": "prod", "notebook.InstanceType": "x"}) == {
        "mlflow-core": {"Profile": "prod"}, "notebook": {"InstanceType": "x"}}
    with pytest.raises(ValidationError, match="set by up itself"):
        split_component_params({"api.DeploymentName": "other"})
    with pytest.raises(ValidationError, match="unknown component 'db'"):
        split_component_params({"db.Size": "1"})
