"""Entry: internal ALB reachable only from the VPC link and named clients; VPC link L2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.helpers.rules import failed_assertions

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


def test_idle_timeout_outlasts_long_artifact_transfers(template: Template) -> None:
    # MLflow answers an upload only after pushing it to S3: the ALB must not cut it at 60 s.
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
        "LoadBalancerAttributes": Match.array_with([
            {"Key": "idle_timeout.timeout_seconds", "Value": "3600"}]),
    })


def test_targets_are_checked_on_elb_status(template: Template) -> None:
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {
        "TargetType": "ip", "Port": 8080, "Protocol": "HTTP",
        "HealthCheckPath": "/elb-status", "Matcher": {"HttpCode": "200"},
    })


def _listeners(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in
            of_type(resources, "AWS::ElasticLoadBalancingV2::Listener").items()}


def test_without_a_certificate_one_http_listener_serves_clients_and_the_vpc_link(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch()
    (listener,) = _listeners(resources).values()
    assert (listener["Port"], listener["Protocol"]) == (80, "HTTP")
    assert "Certificates" not in listener
    for rule in _ingress_to(resources, _alb_group(resources)):
        assert (rule["FromPort"], rule["ToPort"]) == (80, 80)
    url = resources["Outputs"]["TrackingUrl"]["Value"]["Fn::Join"][1]
    assert url[0] == "http://" and url[1]["Fn::GetAtt"][1] == "DNSName"


def test_with_a_certificate_clients_get_https_on_443_and_the_vpc_link_keeps_http_80(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch(CertificateArn=CERT, TlsHostName="mlflow.example.com")
    listeners = _listeners(resources)
    by_port = {props["Port"]: props for props in listeners.values()}
    assert sorted(by_port) == [80, 443]
    tls = by_port[443]
    assert tls["Protocol"] == "HTTPS"
    assert tls["Certificates"] == [{"CertificateArn": CERT}]
    assert tls["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert by_port[80]["Protocol"] == "HTTP"
    # The published listener (the VPC link's integration target) is the HTTP one.
    published = resources["Outputs"]["ListenerArn"]["Value"]["Ref"]
    assert listeners[published]["Port"] == 80
    rules = _ingress_to(resources, _alb_group(resources))
    vpc_link_group = next(
        g for g, r in of_type(resources, "AWS::EC2::SecurityGroup").items()
        if r["Properties"]["GroupDescription"].startswith("MLflow VPC link"))
    for rule in rules:
        from_vpc_link = rule.get("SourceSecurityGroupId") == {
            "Fn::GetAtt": [vpc_link_group, "GroupId"]}
        expected = 80 if from_vpc_link else 443
        assert (rule["FromPort"], rule["ToPort"]) == (expected, expected)
    assert resources["Outputs"]["TrackingUrl"]["Value"] == {
        "Fn::Join": ["", ["https://", "mlflow.example.com"]]}


def test_tls_listener_waits_for_the_http_listener_so_an_update_frees_port_443_first(
        template: Template) -> None:
    tls = template.find_resources("AWS::ElasticLoadBalancingV2::Listener",
                                  {"Properties": {"Port": 443}})
    (body,) = tls.values()
    http = template.find_resources("AWS::ElasticLoadBalancingV2::Listener",
                                   {"Properties": {"Port": 80}})
    assert body["Condition"] == "HasCertificate"
    assert body["DependsOn"] == list(http)




@pytest.mark.parametrize(("values", "ok"), [
    ({}, True),
    ({"CertificateArn": CERT, "TlsHostName": "mlflow.example.com"}, True),
    ({"CertificateArn": CERT}, False),
    ({"TlsHostName": "mlflow.example.com"}, False),
])
def test_certificate_and_tls_host_name_go_together(
        template_json: dict[str, Any], values: dict[str, str], ok: bool) -> None:
    failures = failed_assertions(template_json, {"DeploymentName": "team-a", **values})
    assert (failures == []) is ok, failures
    if not ok:
        assert any("TLS host name" in f for f in failures)
