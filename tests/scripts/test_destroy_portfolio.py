"""destroy_portfolio refuses while provisioned products exist (Service Catalog via Stubber)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from scripts import destroy_portfolio as destroy


def _client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _query(product_id: str, token: str | None = None) -> dict:
    params = {
        "AccessLevelFilter": {"Key": "Account", "Value": "self"},
        "Filters": {"SearchQuery": [f"productId:{product_id}"]},
        "PageSize": 100,
    }
    if token:
        params["PageToken"] = token
    return params


def test_product_ids_come_from_stack_outputs() -> None:
    cfn = _client("cloudformation")
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", {"Stacks": [{
            "StackName": destroy.STACK, "CreationTime": "2026-01-01T00:00:00Z",
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [
                {"OutputKey": "PortfolioId", "OutputValue": "port-abc"},
                {"OutputKey": "MlflowCoreProductId", "OutputValue": "prod-core"},
                {"OutputKey": "NotebookProductId", "OutputValue": "prod-nb"},
            ]}]}, {"StackName": destroy.STACK})
        assert destroy.portfolio_product_ids(cfn) == ["prod-core", "prod-nb"]


def test_lists_provisioned_products_across_pages() -> None:
    sc = _client("servicecatalog")
    with Stubber(sc) as stub:
        stub.add_response("search_provisioned_products", {
            "ProvisionedProducts": [{"Name": "team-a-core", "Status": "AVAILABLE",
                                     "UserArn": "arn:aws:iam::111111111111:user/alice"}],
            "NextPageToken": "t2"}, _query("prod-core"))
        stub.add_response("search_provisioned_products", {
            "ProvisionedProducts": [{"Name": "team-b-core", "Status": "TAINTED"}]},
            _query("prod-core", "t2"))
        stub.add_response("search_provisioned_products", {"ProvisionedProducts": []},
                          _query("prod-nb"))
        found = destroy.provisioned_products(sc, ["prod-core", "prod-nb"])
        stub.assert_no_pending_responses()
    assert [(p.name, p.status) for p in found] == [("team-a-core", "AVAILABLE"),
                                                   ("team-b-core", "TAINTED")]


def test_main_refuses_and_lists_what_is_left(monkeypatch, capsys) -> None:
    monkeypatch.setattr(destroy, "portfolio_product_ids", lambda _c: ["prod-core"])
    monkeypatch.setattr(destroy, "provisioned_products", lambda _c, _ids: [
        destroy.Provisioned("team-a-core", "prod-core", "AVAILABLE", "alice")])
    called: list = []
    monkeypatch.setattr(destroy.subprocess, "call", lambda *a, **k: called.append(a) or 0)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert destroy.main([]) == destroy.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "team-a-core" in err and "Refusing" in err
    assert called == []


@pytest.mark.parametrize(("flags", "force"), [([], False), (["--yes"], True)])
def test_main_destroys_when_nothing_is_left(monkeypatch, flags, force) -> None:
    monkeypatch.setattr(destroy, "portfolio_product_ids", lambda _c: ["prod-core"])
    monkeypatch.setattr(destroy, "provisioned_products", lambda _c, _ids: [])
    called: list = []
    monkeypatch.setattr(destroy.subprocess, "call", lambda cmd, **k: called.append(cmd) or 0)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert destroy.main(flags) == 0
    assert called[0][1:3] == ["destroy", destroy.STACK]
    assert ("--force" in called[0]) is force
