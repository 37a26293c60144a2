"""Outputs and SSM parameters: every contract key, under /mlflow-platform/<deployment>/."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mlflow_platform import contract
from mlflow_platform.catalog import MLFLOW_VERSION
from products.mlflow_core.constructs.outputs import output_id

from .resources import of_type, render


def test_every_contract_key_is_an_ssm_parameter(launch: Callable[..., dict[str, Any]]) -> None:
    parameters = of_type(launch(), "AWS::SSM::Parameter").values()
    names = sorted(render(p["Properties"]["Name"]) for p in parameters)
    assert names == sorted(contract.ssm_name("team-a", k.name) for k in contract.CORE_KEYS)
    for parameter in parameters:
        assert parameter["Properties"]["Type"] == "String"


def test_every_contract_key_is_an_output(template_json: dict[str, Any]) -> None:
    outputs = template_json["Outputs"]
    for key in contract.CORE_KEYS:
        name = output_id(key.name)
        assert name in outputs or f"Published{name}" in outputs, key.name


def test_published_values(launch: Callable[..., dict[str, Any]]) -> None:
    values = {render(p["Properties"]["Name"]).rsplit("/", 1)[1]: p["Properties"]["Value"]
              for p in of_type(launch(), "AWS::SSM::Parameter").values()}
    assert values["mlflow-version"] == MLFLOW_VERSION
    assert values["auth-mode"] == "basic"
    assert render(values["tracking-url"]).startswith("http://<Entry")
    assert values["vpc-link-id"]["Ref"].startswith("EntryVpcLink")
    assert values["listener-arn"]["Ref"].startswith("EntryLoadBalancerListener")
    assert values["credentials-secret-arn"]["Ref"].startswith("CredentialsLogin")
    assert values["artifact-bucket"]["Ref"].startswith("ArtifactsBucket")
    assert render(values["private-subnet-ids"]).count(",") == 1
    assert values["shared-login-secret-arn"] == values["credentials-secret-arn"]
    assert values["notebook-direct-internet-access"] == "Enabled"  # dev, new VPC: no NAT
    # One ID each (readers cannot split a dynamic reference): the first private subnet and
    # the notebook group of this deployment.
    assert values["notebook-subnet-id"]["Fn::Select"][0] == 0
    assert values["notebook-security-group-id"]["Fn::GetAtt"][0].startswith(
        "EntryNotebookSecurityGroup")
    https = _published(launch(CertificateArn="arn:aws:acm:us-east-1:111111111111:"
                              "certificate/12345678-1234-1234-1234-123456789012",
                              TlsHostName="mlflow.example.com"))
    assert render(https["tracking-url"]) == "https://mlflow.example.com"
    # The VPC link's listener is the HTTP one even with a certificate.
    assert https["listener-arn"]["Ref"].startswith("EntryLoadBalancerListener")


def _published(resources: dict[str, Any]) -> dict[str, Any]:
    return {render(p["Properties"]["Name"]).rsplit("/", 1)[1]: p["Properties"]["Value"]
            for p in of_type(resources, "AWS::SSM::Parameter").values()}


@pytest.mark.parametrize("mode", ["per-user", "iam"])
def test_clients_get_no_login_secret_outside_basic_mode(
        launch: Callable[..., dict[str, Any]], mode: str) -> None:
    """In per-user mode the login is the admin's: notebooks must not be able to read it."""
    values = _published(launch(AuthMode=mode))
    shared = render(values["shared-login-secret-arn"])
    assert shared.endswith(":secret:mlflow-platform/team-a/no-shared-login"), shared
    assert values["credentials-secret-arn"]["Ref"].startswith("CredentialsLogin")


@pytest.mark.parametrize(("values", "access"), [
    ({"Profile": "prod"}, "Disabled"),
    ({"ExistingVpcId": "vpc-0123456789abcdef0",
      "ExistingSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1"}, "Disabled"),
])
def test_notebooks_need_direct_internet_only_where_the_private_subnets_have_no_nat(
        launch: Callable[..., dict[str, Any]], values: dict[str, str], access: str) -> None:
    assert _published(launch(**values))["notebook-direct-internet-access"] == access


def test_the_notebook_group_only_opens_https_out(template_json: dict[str, Any]) -> None:
    (group,) = [r for k, r in template_json["Resources"].items()
                if k.startswith("EntryNotebookSecurityGroup")
                and r["Type"] == "AWS::EC2::SecurityGroup"]
    props = group["Properties"]
    assert props["SecurityGroupEgress"] == [{
        "CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs (NAT or VPC endpoints) and "
        "package indexes", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}]
    assert "SecurityGroupIngress" not in props
    ingress = [r for r in template_json["Resources"].values()
               if r["Type"] == "AWS::EC2::SecurityGroupIngress"
               and "EntryNotebookSecurityGroup" in json.dumps(r["Properties"].get("GroupId"))]
    assert ingress == []
