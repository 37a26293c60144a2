"""Entry: internal ALB reachable only from the VPC link and named clients; VPC link L2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from .resources import of_type, only

CERT = "arn:aws:acm:us-east-1:111111111111:certificate/12345678-1234-1234-1234-123456789012"


def _alb_group(resources: dict[str, Any]) -> str:
    alb = only(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
    (group,) = alb["SecurityGroups"]
    return group["Fn::GetAtt"][0]


def _ingress_to(resources: dict[str, Any], group: str) -> list[dict[str, Any]]:
    rules = [r["Properties"] for r in of_type(resources, "AWS::EC2::SecurityGroupIngress")
             .values() if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}]
    inline = resources["Resources"][group]["Properties"].get("SecurityGroupIngress", [])
    return rules + inline


def _sources(rules: list[dict[str, Any]]) -> list[str]:
    return sorted(r.get("CidrIp") or r["SourceSecurityGroupId"]["Fn::GetAtt"][0]
                  if isinstance(r.get("CidrIp", ""), str) else "cidr-token" for r in rules)


def test_load_balancer_is_internal_and_drops_invalid_headers(template: Template) -> None:
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
        "Scheme": "internal",
        "LoadBalancerAttributes": Match.array_with([
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}]),
    })


def test_targets_are_checked_on_elb_status(template: Template) -> None:
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {
        "TargetType": "ip", "Port": 8080, "Protocol": "HTTP",
        "HealthCheckPath": "/elb-status", "Matcher": {"HttpCode": "200"},
    })


@pytest.mark.parametrize(("values", "port", "protocol"), [
    ({}, 80, "HTTP"), ({"CertificateArn": CERT}, 443, "HTTPS")])
def test_listener_is_https_when_a_certificate_is_given(
        launch: Callable[..., dict[str, Any]], values: dict[str, str], port: int,
        protocol: str) -> None:
    resources = launch(**values)
    listener = only(resources, "AWS::ElasticLoadBalancingV2::Listener")["Properties"]
    assert (listener["Port"], listener["Protocol"]) == (port, protocol)
    if values:
        assert listener["Certificates"] == [{"CertificateArn": CERT}]
        assert listener["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    else:
        assert "Certificates" not in listener and "SslPolicy" not in listener
    for rule in _ingress_to(resources, _alb_group(resources)):
        assert (rule["FromPort"], rule["ToPort"]) == (port, port)


def test_basic_mode_admits_vpc_link_client_group_and_the_vpc_cidr(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch()
    rules = _ingress_to(resources, _alb_group(resources))
    assert len(rules) == 3
    groups = {r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in rules
              if "SourceSecurityGroupId" in r}
    descriptions = {resources["Resources"][g]["Properties"]["GroupDescription"]
                    for g in groups}
    assert any("VPC link" in d for d in descriptions)
    assert any("clients" in d for d in descriptions)
    (cidr,) = [r["CidrIp"] for r in rules if "CidrIp" in r]
    assert cidr["Fn::GetAtt"][1] == "CidrBlock"  # the new VPC's own CIDR


def test_client_cidr_replaces_the_vpc_cidr(launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch(ClientCidr="10.20.0.0/16")
    cidrs = [r["CidrIp"] for r in _ingress_to(resources, _alb_group(resources))
             if "CidrIp" in r]
    assert cidrs == ["10.20.0.0/16"]


def test_iam_mode_admits_only_the_vpc_link(launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch(AuthMode="iam", ClientCidr="10.20.0.0/16")
    rules = _ingress_to(resources, _alb_group(resources))
    assert len(rules) == 1
    source = rules[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    assert "VPC link" in resources["Resources"][source]["Properties"]["GroupDescription"]
    # nor may clients go around the ALB to the tasks
    for rule in of_type(resources, "AWS::EC2::SecurityGroupIngress").values():
        assert "client" not in rule["Properties"].get("Description", "").lower()


def test_existing_vpc_without_client_cidr_admits_no_cidr(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch(ExistingVpcId="vpc-0123456789abcdef0",
                       ExistingSubnetIds="subnet-0123456789abcdef0,subnet-0fedcba9876543210")
    assert not [r for r in _ingress_to(resources, _alb_group(resources)) if "CidrIp" in r]


@pytest.mark.parametrize("values", [{}, {"AuthMode": "iam"}, {"ClientCidr": "10.0.0.0/16"},
                                    {"CertificateArn": CERT}])
def test_no_security_group_admits_the_internet(launch: Callable[..., dict[str, Any]],
                                               values: dict[str, str]) -> None:
    resources = launch(**values)
    rules = [r["Properties"] for r in of_type(resources, "AWS::EC2::SecurityGroupIngress")
             .values()]
    rules += [r for g in of_type(resources, "AWS::EC2::SecurityGroup").values()
              for r in g["Properties"].get("SecurityGroupIngress", [])]
    assert rules
    for rule in rules:
        assert rule.get("CidrIp") not in ("0.0.0.0/0",)
        assert rule.get("CidrIpv6") is None


def test_client_cidr_parameter_cannot_be_the_internet(template_json: dict[str, Any]) -> None:
    import re

    pattern = template_json["Parameters"]["ClientCidr"]["AllowedPattern"]
    assert not re.fullmatch(pattern, "0.0.0.0/0")
    assert not re.fullmatch(pattern, "10.0.0.0/8")
    assert re.fullmatch(pattern, "10.20.0.0/16")


def test_vpc_link_is_the_l2_over_private_subnets(template: Template) -> None:
    template.has_resource_properties("AWS::ApiGatewayV2::VpcLink", {
        "SubnetIds": Match.any_value(), "SecurityGroupIds": Match.any_value(),
    })
