"""Fixtures of the CLI tests: a Stubber-wrapped Service Catalog client with response
builders, moto for SSM and Secrets Manager, and a runner for `main(argv)`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from mlflow_platform import contract
from mlflow_platform.catalog import PRODUCTS, product_by_slug
from mlflow_platform.cli.aws import Clients
from mlflow_platform.cli.catalog_service import CatalogService
from mlflow_platform.cli.main import main
from mlflow_platform.cli.polling import Backoff, Poller
from products.common.parameters import ParamSpec
from products.mlflow_core.parameters import PARAMETERS as CORE_PARAMETERS
from products.notebook.parameters import PARAMETERS as NOTEBOOK_PARAMETERS
from products.private_api.parameters import PARAMETERS as API_PARAMETERS

REGION = "us-east-1"
PRODUCT_IDS = {"mlflow-core": "prod-core00000001", "private-api": "prod-api000000002",
               "notebook": "prod-nb0000000003"}
PATH_IDS = {slug: f"lpv3-{slug.replace('-', '')}01" for slug in PRODUCT_IDS}
SPECS = {"mlflow-core": CORE_PARAMETERS, "private-api": API_PARAMETERS,
         "notebook": NOTEBOOK_PARAMETERS}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def artifact_id(slug: str, version: str) -> str:
    return f"pa-{slug.replace('-', '')}{version}"


def api_parameter(spec: ParamSpec) -> dict[str, Any]:
    """A ParamSpec as describe_provisioning_parameters reports it."""
    constraints: dict[str, Any] = {}
    if spec.allowed_values:
        constraints["AllowedValues"] = list(spec.allowed_values)
    if spec.allowed_pattern:
        constraints["AllowedPattern"] = spec.allowed_pattern
    if spec.constraint_description:
        constraints["ConstraintDescription"] = spec.constraint_description
    for key, value in (("MaxLength", spec.max_length), ("MinValue", spec.min_value),
                       ("MaxValue", spec.max_value)):
        if value is not None:
            constraints[key] = f"{value:g}"
    item: dict[str, Any] = {"ParameterKey": spec.name, "ParameterType": spec.type,
                            "IsNoEcho": False, "Description": spec.description,
                            "ParameterConstraints": constraints}
    if spec.default is not None:
        item["DefaultValue"] = str(spec.default)
    return item


@dataclass
class CatalogStub:
    """Queues Service Catalog responses in call order and records the calls made."""

    client: Any
    stub: Stubber
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client.meta.events.register("before-parameter-build.servicecatalog.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    # --- catalog ------------------------------------------------------------------------
    def search_products(self, slugs: Sequence[str] = tuple(PRODUCT_IDS), *,
                        token: str | None = None, next_token: str | None = None) -> None:
        summaries = [{"Id": f"prodview-{i}", "ProductId": PRODUCT_IDS[s],
                      "Name": product_by_slug(s).name, "Owner": "ML platform team",
                      "ShortDescription": product_by_slug(s).description[:80],
                      "Type": "CLOUD_FORMATION_TEMPLATE"} for i, s in enumerate(slugs)]
        response: dict[str, Any] = {"ProductViewSummaries": summaries}
        if next_token:
            response["NextPageToken"] = next_token
        self.stub.add_response("search_products", response,
                               {"PageToken": token} if token else {})

    def describe_product(self, slug: str, versions: Sequence[tuple[str, str]] = (("v1",
                                                                                   "DEFAULT"),)
                         ) -> None:
        artifacts = [{"Id": artifact_id(slug, name), "Name": name, "Description": f"{name} of "
                      f"{slug}", "CreatedTime": T0 + timedelta(days=i), "Guidance": guidance}
                     for i, (name, guidance) in enumerate(versions)]
        self.stub.add_response("describe_product", {
            "ProductViewSummary": {"Id": "prodview-x", "ProductId": PRODUCT_IDS[slug],
                                   "Name": product_by_slug(slug).name},
            "ProvisioningArtifacts": artifacts}, {"Id": PRODUCT_IDS[slug]})

    def launch_paths(self, slug: str, paths: Sequence[tuple[str, str]] | None = None, *,
                     token: str | None = None, next_token: str | None = None) -> None:
        """One page of launch paths, (id, portfolio name) each; default: the one path."""
        paths = paths if paths is not None else [(PATH_IDS[slug], "MLflow Platform")]
        response: dict[str, Any] = {"LaunchPathSummaries": [{
            "Id": path_id, "Name": name,
            "ConstraintSummaries": [{"Type": "LAUNCH", "Description": "launch role"}]}
            for path_id, name in paths]}
        if next_token:
            response["NextPageToken"] = next_token
        self.stub.add_response("list_launch_paths", response, {
            "ProductId": PRODUCT_IDS[slug], **({"PageToken": token} if token else {})})

    def parameters(self, slug: str, version: str = "v1",
                   params: Sequence[dict[str, Any]] | None = None,
                   tag_options: dict[str, list[str]] | None = None,
                   path_id: str | None = None) -> None:
        items = list(params) if params is not None else [api_parameter(s) for s in SPECS[slug]]
        self.stub.add_response("describe_provisioning_parameters", {
            "ProvisioningArtifactParameters": items,
            "ConstraintSummaries": [{"Type": "TEMPLATE", "Description": "portfolio limits"}],
            "TagOptions": [{"Key": k, "Values": v} for k, v in (tag_options or {}).items()],
            "ProvisioningArtifactOutputKeys": [{"Key": "TrackingUrl",
                                                "Description": "tracking URL"}],
        }, {"ProductId": PRODUCT_IDS[slug], "ProvisioningArtifactId": artifact_id(slug, version),
            "PathId": path_id or PATH_IDS[slug]})

    def target(self, slug: str, version: str = "v1", *,
               versions: Sequence[tuple[str, str]] = (("v1", "DEFAULT"),), **kw: Any) -> None:
        """The calls of CatalogService.target once products are known."""
        self.describe_product(slug, versions)
        self.launch_paths(slug)
        self.parameters(slug, version, **kw)

    # --- records --------------------------------------------------------------------------
    def provision(self, slug: str, name: str, params: dict[str, str], record_id: str,
                  version: str = "v1", tags: dict[str, str] | None = None) -> None:
        self.stub.add_response("provision_product", {"RecordDetail": _record(
            record_id, name, "CREATED")}, {
            "ProductId": PRODUCT_IDS[slug], "ProvisioningArtifactId": artifact_id(slug, version),
            "PathId": PATH_IDS[slug], "ProvisionedProductName": name,
            "ProvisioningParameters": [{"Key": k, "Value": v} for k, v in params.items()],
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            "ProvisionToken": ANY})

    def record(self, record_id: str, name: str, status: str, *,
               errors: Sequence[tuple[str, str]] = (),
               outputs: dict[str, str] | None = None) -> None:
        detail = _record(record_id, name, status)
        if errors:
            detail["RecordErrors"] = [{"Code": c, "Description": d} for c, d in errors]
        response: dict[str, Any] = {"RecordDetail": detail}
        if outputs:
            response["RecordOutputs"] = [{"OutputKey": k, "OutputValue": v}
                                         for k, v in outputs.items()]
        self.stub.add_response("describe_record", response, {"Id": record_id})

    def throttle(self, method: str, expected: dict[str, Any] | None = None) -> None:
        self.stub.add_client_error(method, service_error_code="ThrottlingException",
                                   service_message="Rate exceeded", http_status_code=400,
                                   expected_params=expected)

    # --- provisioned products ---------------------------------------------------------------
    def provisioned(self, name: str, status: str | None, *, slug: str = "mlflow-core",
                    record_id: str = "rec-last", message: str = "") -> None:
        if status is None:
            self.stub.add_client_error(
                "describe_provisioned_product", service_error_code="ResourceNotFoundException",
                service_message=f"Provisioned product {name} not found", http_status_code=400,
                expected_params={"Name": name})
            return
        detail = {"Name": name, "Id": f"pp-{name}", "Status": status,
                  "ProductId": PRODUCT_IDS[slug], "ProvisioningArtifactId": artifact_id(slug, "v1"),
                  "LastRecordId": record_id, "CreatedTime": T0}
        if message:
            detail["StatusMessage"] = message
        self.stub.add_response("describe_provisioned_product",
                               {"ProvisionedProductDetail": detail}, {"Name": name})

    def outputs(self, name: str, outputs: dict[str, str]) -> None:
        self.stub.add_response("get_provisioned_product_outputs", {"Outputs": [
            {"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]},
            {"ProvisionedProductName": name})

    def terminate(self, name: str, record_id: str) -> None:
        self.stub.add_response("terminate_provisioned_product", {"RecordDetail": _record(
            record_id, name, "CREATED")}, {"ProvisionedProductName": name, "TerminateToken": ANY})


def _record(record_id: str, name: str, status: str) -> dict[str, Any]:
    return {"RecordId": record_id, "ProvisionedProductName": name, "Status": status,
            "CreatedTime": T0, "RecordType": "PROVISION_PRODUCT"}


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials: nothing may reach a real account."""
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def sc() -> Iterator[CatalogStub]:
    client = boto3.client("servicecatalog", region_name=REGION)
    with Stubber(client) as stub:
        yield CatalogStub(client, stub)
        stub.assert_no_pending_responses()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def progress() -> list[str]:
    return []


@pytest.fixture
def catalog(sc: CatalogStub, sleeps: list[float], progress: list[str]) -> CatalogService:
    poller = Poller(progress.append, sleep=sleeps.append, clock=lambda: sum(sleeps),
                    backoff=Backoff(initial=5, factor=2, maximum=30))
    return CatalogService(sc.client, poller, progress.append)


@pytest.fixture
def aws() -> Iterator[Clients]:
    """moto SSM and Secrets Manager (Service Catalog is added by the tests that need it)."""
    with mock_aws():
        yield Clients.preset(region=REGION, ssm=boto3.client("ssm", region_name=REGION),
                             secretsmanager=boto3.client("secretsmanager", region_name=REGION))


def publish(clients: Clients, deployment: str, values: dict[str, str]) -> None:
    for key, value in values.items():
        clients.ssm.put_parameter(Name=contract.ssm_name(deployment, key), Value=value,
                                  Type="String")


def add_secret(clients: Clients, name: str, username: str, password: str) -> str:
    secret = clients.secretsmanager.create_secret(
        Name=name, SecretString=json.dumps({"username": username, "password": password}))
    return str(secret["ARN"])


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run_cli(aws: Clients, sc: CatalogStub, sleeps: list[float]) -> Any:
    """Run main(argv) with the stubbed and mocked clients; answers confirmations with `answer`."""
    aws._cache["servicecatalog"] = sc.client

    def run(*argv: str, answer: bool = False, sleep: Any = None, confirm: Any = None) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), clients=aws, stdout=out, stderr=err,
                    sleep=sleep or sleeps.append, confirm=confirm or (lambda _q: answer))
        return Run(code, out.getvalue(), err.getvalue())

    return run


ALL_SLUGS = tuple(p.slug for p in PRODUCTS)
