"""Network: new VPC by default (NAT per profile), or an existing VPC and subnets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.helpers.rules import failed_assertions

from .resources import of_type, only

EXISTING = {"ExistingVpcId": "vpc-0123456789abcdef0",
            "ExistingSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210"}
VPC_TYPES = ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EC2::EIP",
             "AWS::EC2::InternetGateway", "AWS::EC2::VPCEndpoint", "AWS::EC2::FlowLog")


def test_new_vpc_has_two_zones_of_public_private_and_isolated_subnets(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch()
    assert len(of_type(resources, "AWS::EC2::VPC")) == 1
    subnets = of_type(resources, "AWS::EC2::Subnet").values()
    kinds = sorted(t["Value"] for s in subnets for t in s["Properties"]["Tags"]
                   if t["Key"] == "aws-cdk:subnet-type")
    assert kinds == ["Isolated"] * 2 + ["Private"] * 2 + ["Public"] * 2
    assert not any(s["Properties"].get("MapPublicIpOnLaunch") for s in subnets)


def test_new_vpc_has_an_s3_gateway_endpoint_and_a_flow_log(template: Template) -> None:
    template.has_resource("AWS::EC2::VPCEndpoint", {
        "Condition": "CreateVpc",
        "Properties": Match.object_like({"VpcEndpointType": "Gateway",
                                         "ServiceName": Match.any_value()}),
    })
    template.has_resource("AWS::EC2::FlowLog", {
        "Condition": "CreateVpc",
        "Properties": Match.object_like({"TrafficType": "REJECT"}),
    })


@pytest.mark.parametrize(("profile", "nat_gateways"), [("dev", 0), ("prod", 2)])
def test_profile_sets_the_nat_layout(launch: Callable[..., dict[str, Any]], profile: str,
                                     nat_gateways: int) -> None:
    resources = launch(Profile=profile)
    nats = of_type(resources, "AWS::EC2::NatGateway")
    assert len(nats) == nat_gateways
    assert len(of_type(resources, "AWS::EC2::EIP")) == nat_gateways
    # prod: each private subnet has a default route to the NAT gateway of its own zone;
    # dev: the private subnets (load balancer, VPC link, clients) have no route out.
    nat_routes = [r["Properties"]["NatGatewayId"]["Ref"]
                  for r in of_type(resources, "AWS::EC2::Route").values()
                  if "NatGatewayId" in r["Properties"]]
    assert len(nat_routes) == nat_gateways
    assert set(nat_routes) == set(nats)
    # The public subnets always route to the internet gateway.
    igw_routes = [r for r in of_type(resources, "AWS::EC2::Route").values()
                  if "GatewayId" in r["Properties"]]
    assert len(igw_routes) == 2


def test_existing_vpc_creates_no_network_and_uses_the_given_ids(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch(**EXISTING)
    for type_ in VPC_TYPES:
        assert not of_type(resources, type_), type_
    subnets = only(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"][
        "Subnets"]
    assert subnets == [
        {"Fn::Select": [i, {"Fn::Split": [",", {"Fn::Join": [",", [
            EXISTING["ExistingSubnetIds"], ""]]}]}]} for i in (0, 1)]
    for group in of_type(resources, "AWS::EC2::SecurityGroup").values():
        assert group["Properties"]["VpcId"] == EXISTING["ExistingVpcId"]


def test_every_vpc_resource_is_conditional(template_json: dict[str, Any]) -> None:
    for logical_id, body in template_json["Resources"].items():
        if body["Type"] in VPC_TYPES or body["Type"].startswith("AWS::EC2::Route"):
            assert body.get("Condition") in ("CreateVpc", "CreateVpcProd"), logical_id



@pytest.mark.parametrize("given", ["ExistingVpcId", "ExistingSubnetIds"])
def test_existing_vpc_and_subnets_are_given_together(template_json: dict[str, Any],
                                                     given: str) -> None:
    assert failed_assertions(template_json, {**EXISTING, "DeploymentName": "team-a"}) == []
    failures = failed_assertions(template_json, {given: EXISTING[given],
                                                 "DeploymentName": "team-a"})
    assert failures == [
        template_json["Rules"]["ExistingNetworkComplete"]["Assertions"][0]["AssertDescription"]]
