"""Service Catalog calls through botocore's Stubber (requests checked against the model)."""

from __future__ import annotations

import pytest

from mlflow_platform.cli.catalog_service import CatalogService
from mlflow_platform.cli.errors import (
    NotFoundError,
    ProvisioningFailed,
    ValidationError,
    WaitTimeout,
)
from mlflow_platform.cli.polling import Poller

from .conftest import PRODUCT_IDS, CatalogStub


def test_search_products_follows_next_page_token(sc: CatalogStub, catalog: CatalogService
                                                 ) -> None:
    sc.search_products(["mlflow-core"], next_token="page-2")
    sc.search_products(["private-api", "notebook"], token="page-2")
    names = [p.slug for p in catalog.platform_products()]
    assert names == ["mlflow-core", "private-api", "notebook"]
    assert sc.calls == ["SearchProducts", "SearchProducts"]


def test_product_found_by_slug_console_name_or_id(sc: CatalogStub, catalog: CatalogService
                                                  ) -> None:
    sc.search_products()
    assert catalog.find_product("mlflow-core").id == PRODUCT_IDS["mlflow-core"]
    assert catalog.find_product("MLflow notebook").slug == "notebook"
    assert catalog.find_product(PRODUCT_IDS["private-api"]).slug == "private-api"
    with pytest.raises(NotFoundError, match=r"'nope' not found.*mlflow-core, private-api"):
        catalog.find_product("nope")


def test_default_version_is_newest_not_deprecated(sc: CatalogStub, catalog: CatalogService
                                                  ) -> None:
    sc.search_products()
    sc.describe_product("mlflow-core", [("v1", "DEFAULT"), ("v2", "DEFAULT"),
                                        ("v3", "DEPRECATED")])
    product = catalog.find_product("mlflow-core")
    assert catalog.version(product, None, launching=True).name == "v2"


def test_deprecated_version_cannot_be_launched(sc: CatalogStub, catalog: CatalogService) -> None:
    sc.search_products()
    sc.describe_product("mlflow-core", [("v1", "DEPRECATED"), ("v2", "DEFAULT")])
    with pytest.raises(ValidationError, match="v1 of MLflow core is deprecated") as err:
        catalog.target("mlflow-core", "v1", launching=True)
    assert "v2" in (err.value.hint or "")
    assert "ProvisionProduct" not in sc.calls


def test_deprecated_version_can_be_described(sc: CatalogStub, catalog: CatalogService) -> None:
    sc.search_products()
    sc.target("mlflow-core", "v1", versions=[("v1", "DEPRECATED"), ("v2", "DEFAULT")])
    target = catalog.target("mlflow-core", "v1", launching=False)
    assert target.version.deprecated
    assert "DeploymentName" in [d.key for d in target.options.parameters]


def test_unknown_version_names_the_known_ones(sc: CatalogStub, catalog: CatalogService) -> None:
    sc.search_products()
    sc.describe_product("notebook", [("v1", "DEFAULT")])
    with pytest.raises(NotFoundError, match=r"no version 'v9' \(versions: v1\)"):
        catalog.target("notebook", "v9", launching=True)


def _launch(sc: CatalogStub, catalog: CatalogService, name: str = "demo-core") -> str:
    sc.search_products()
    sc.target("mlflow-core")
    params = {"DeploymentName": "demo", "Profile": "prod"}
    sc.provision("mlflow-core", name, params, "rec-1")
    target = catalog.target("mlflow-core", None, launching=True)
    return catalog.provision(target, name, params, {}).id


def test_launch_succeeds_with_outputs_and_reports_status_changes(
        sc: CatalogStub, catalog: CatalogService, progress: list[str], sleeps: list[float]
) -> None:
    record_id = _launch(sc, catalog)
    sc.record("rec-1", "demo-core", "CREATED")
    sc.record("rec-1", "demo-core", "IN_PROGRESS")
    sc.record("rec-1", "demo-core", "IN_PROGRESS")
    sc.record("rec-1", "demo-core", "SUCCEEDED", outputs={"TrackingUrl": "http://alb"})
    record = catalog.wait(record_id, "demo-core", resume_hint="-")
    assert record.status == "SUCCEEDED"
    assert [(o.key, o.value) for o in record.outputs] == [("TrackingUrl", "http://alb")]
    assert [m.split("] ")[1] for m in progress] == [
        "demo-core: CREATED", "demo-core: IN_PROGRESS", "demo-core: SUCCEEDED"]
    assert sleeps == [5, 10, 20]  # backoff between polls


def test_launch_failure_carries_the_failing_resource_reason(
        sc: CatalogStub, catalog: CatalogService) -> None:
    record_id = _launch(sc, catalog)
    reason = ("Resource Database (AWS::RDS::DBCluster) failed: The requested instance class "
              "is not supported")
    sc.record("rec-1", "demo-core", "IN_PROGRESS_IN_ERROR")
    sc.record("rec-1", "demo-core", "FAILED", errors=[("ProvisioningFailed", reason)])
    with pytest.raises(ProvisioningFailed, match="demo-core failed") as err:
        catalog.wait(record_id, "demo-core", resume_hint="-")
    assert err.value.reasons == [f"ProvisioningFailed: {reason}"]
    assert err.value.exit_code == 4


def test_throttling_while_polling_backs_off_then_succeeds(
        sc: CatalogStub, catalog: CatalogService, sleeps: list[float], progress: list[str]
) -> None:
    record_id = _launch(sc, catalog)
    sc.throttle("describe_record", {"Id": "rec-1"})
    sc.throttle("describe_record", {"Id": "rec-1"})
    sc.record("rec-1", "demo-core", "SUCCEEDED")
    assert catalog.wait(record_id, "demo-core", resume_hint="-").status == "SUCCEEDED"
    assert sleeps == [5, 10]
    assert sum("throttled" in m for m in progress) == 2


def test_persistent_throttling_gives_up(sc: CatalogStub, sleeps: list[float]) -> None:
    from mlflow_platform.cli.polling import Backoff

    poller = Poller(lambda _m: None, sleep=sleeps.append, backoff=Backoff(max_throttles=2))
    service = CatalogService(sc.client, poller, lambda _m: None)
    for _ in range(3):
        sc.throttle("describe_record")
    with pytest.raises(Exception, match="ThrottlingException"):
        service.wait("rec-1", "x", resume_hint="-")


def test_waiting_gives_up_after_the_timeout(sc: CatalogStub, sleeps: list[float]) -> None:
    poller = Poller(lambda _m: None, sleep=sleeps.append, clock=lambda: sum(sleeps), timeout=12)
    service = CatalogService(sc.client, poller, lambda _m: None)
    for _ in range(2):  # polls at 0 s and 5 s; the next (12.5 s) would pass the timeout
        sc.record("rec-1", "demo-core", "IN_PROGRESS")
    with pytest.raises(WaitTimeout, match="continues in AWS") as err:
        service.wait("rec-1", "demo-core", resume_hint="status demo-core")
    assert err.value.hint == "status demo-core"


def test_provision_sends_an_idempotency_token(sc: CatalogStub, catalog: CatalogService) -> None:
    tokens: list[str] = []
    sc.client.meta.events.register(
        "provide-client-params.servicecatalog.ProvisionProduct",
        lambda params, **_: tokens.append(params["ProvisionToken"]))
    _launch(sc, catalog)
    assert len(tokens) == 1 and len(tokens[0]) == 36


def test_duplicate_name_is_a_validation_error(sc: CatalogStub, catalog: CatalogService) -> None:
    sc.search_products()
    sc.target("notebook")
    sc.stub.add_client_error("provision_product", "DuplicateResourceException", "exists")
    target = catalog.target("notebook", None, launching=True)
    with pytest.raises(ValidationError, match="'demo-notebook' already exists"):
        catalog.provision(target, "demo-notebook", {"DeploymentName": "demo"}, {})


# --- rejected parameters: a clear error naming the parameter, and no provision call ------
@pytest.mark.parametrize(("params", "message"), [
    ({"DeploymentName": "demo", "Profil": "prod"},
     r"unknown parameter Profil \(did you mean Profile\?\)"),
    ({"DeploymentName": "demo", "Profile": "huge"},
     "parameter Profile: 'huge' is not allowed; allowed values: dev, prod"),
    ({"DeploymentName": "Demo_1"},
     r"parameter DeploymentName: 'Demo_1' does not match the allowed pattern \(3-32 char"),
    ({"DeploymentName": "demo", "BackupRetentionDays": "36"},
     "parameter BackupRetentionDays: '36' is above the maximum 35"),
    ({"DeploymentName": "demo", "BackupRetentionDays": "0"},
     "parameter BackupRetentionDays: '0' is below the minimum 1"),
    ({"DeploymentName": "demo", "BackupRetentionDays": "seven"},
     "parameter BackupRetentionDays: 'seven' is not a number"),
    ({"DeploymentName": "a" * 33},
     "parameter DeploymentName: 33 characters, at most 32 allowed"),
    ({"Profile": "dev"},
     "parameter DeploymentName is required"),
])
def test_rejected_parameter_stops_before_provisioning(
        sc: CatalogStub, catalog: CatalogService, params: dict[str, str], message: str) -> None:
    sc.search_products()
    sc.target("mlflow-core")
    target = catalog.target("mlflow-core", None, launching=True)
    with pytest.raises(ValidationError, match=message) as err:
        catalog.provision(target, "demo-core", params, {})
    assert err.value.exit_code == 2
    assert "ProvisionProduct" not in sc.calls


def test_tag_outside_tag_options_stops_before_provisioning(
        sc: CatalogStub, catalog: CatalogService) -> None:
    sc.search_products()
    sc.target("notebook", tag_options={"cost-center": ["ml", "research"]})
    target = catalog.target("notebook", None, launching=True)
    with pytest.raises(ValidationError, match="tag cost-center: 'ops' is not allowed"):
        catalog.provision(target, "nb", {"DeploymentName": "demo"}, {"cost-center": "ops"})
    assert "ProvisionProduct" not in sc.calls


def test_provisioned_product_missing_is_none(sc: CatalogStub, catalog: CatalogService) -> None:
    sc.provisioned("demo-core", None)
    assert catalog.provisioned("demo-core") is None


def test_search_provisioned_pages_and_keeps_platform_products(
        sc: CatalogStub, catalog: CatalogService) -> None:
    def item(name: str, product: str) -> dict[str, str]:
        return {"Name": name, "Id": f"pp-{name}", "Status": "AVAILABLE", "ProductName": product,
                "ProvisioningArtifactName": "v1"}

    base = {"AccessLevelFilter": {"Key": "User", "Value": "self"}, "SortBy": "name",
            "SortOrder": "ASCENDING"}
    sc.stub.add_response("search_provisioned_products", {
        "ProvisionedProducts": [item("demo-core", "MLflow core"), item("other", "Something")],
        "NextPageToken": "t2"}, base)
    sc.stub.add_response("search_provisioned_products", {
        "ProvisionedProducts": [item("demo-api", "MLflow private API")]},
        {**base, "PageToken": "t2"})
    assert [p.name for p in catalog.search_provisioned()] == ["demo-core", "demo-api"]


# --- launch paths: a product in several portfolios -----------------------------------------
TEAM_PATH = ("lpv3-team0000001", "Team portfolio")
PLATFORM_PATH = ("lpv3-platform0001", "MLflow Platform")


def _service(sc: CatalogStub, portfolio: str) -> CatalogService:
    poller = Poller(lambda _m: None, sleep=lambda _s: None)
    return CatalogService(sc.client, poller, lambda _m: None, portfolio=portfolio)


def test_launch_path_of_the_portfolio_is_chosen_across_pages(sc: CatalogStub) -> None:
    sc.search_products()
    sc.launch_paths("mlflow-core", [TEAM_PATH], next_token="p2")
    sc.launch_paths("mlflow-core", [PLATFORM_PATH], token="p2")
    service = _service(sc, "MLflow Platform")
    assert service.launch_path(service.find_product("mlflow-core")).id == PLATFORM_PATH[0]
    sc.search_products()
    sc.launch_paths("mlflow-core", [PLATFORM_PATH, TEAM_PATH])
    team = _service(sc, "Team portfolio")
    assert team.launch_path(team.find_product("mlflow-core")).id == TEAM_PATH[0]


def test_launch_path_by_path_id_settles_two_portfolios_of_one_name(sc: CatalogStub) -> None:
    twin = ("lpv3-twin00000001", "MLflow Platform")
    sc.search_products()
    sc.launch_paths("notebook", [PLATFORM_PATH, twin])
    service = _service(sc, "MLflow Platform")
    product = service.find_product("notebook")
    with pytest.raises(ValidationError, match="several match") as err:
        service.launch_path(product)
    assert "lpv3-twin00000001" in err.value.message
    sc.search_products()
    sc.launch_paths("notebook", [PLATFORM_PATH, twin])
    by_id = _service(sc, twin[0])
    assert by_id.launch_path(by_id.find_product("notebook")).id == twin[0]


def test_no_launch_path_of_the_portfolio_is_a_usage_error_naming_them(
        sc: CatalogStub) -> None:
    sc.search_products()
    sc.launch_paths("notebook", [TEAM_PATH, ("lpv3-other0000001", "Other")])
    service = _service(sc, "MLflow Platform")
    with pytest.raises(ValidationError, match="none matches portfolio 'MLflow Platform'") as err:
        service.launch_path(service.find_product("notebook"))
    assert "Team portfolio (lpv3-team0000001), Other (lpv3-other0000001)" in err.value.message
    assert "--portfolio" in (err.value.hint or "")
    assert err.value.exit_code == 2


def test_a_single_launch_path_is_used_whatever_its_portfolio(sc: CatalogStub) -> None:
    sc.search_products()
    sc.launch_paths("notebook", [TEAM_PATH])
    service = _service(sc, "MLflow Platform")
    assert service.launch_path(service.find_product("notebook")).id == TEAM_PATH[0]


@pytest.mark.parametrize(("level", "key"), [("user", "User"), ("role", "Role"),
                                            ("account", "Account")])
def test_search_provisioned_sends_the_access_level(
        sc: CatalogStub, catalog: CatalogService, level: str, key: str) -> None:
    sc.stub.add_response("search_provisioned_products", {"ProvisionedProducts": []}, {
        "AccessLevelFilter": {"Key": key, "Value": "self"}, "SortBy": "name",
        "SortOrder": "ASCENDING"})
    assert catalog.search_provisioned(level) == []
