"""The private API template, option by option (conditions evaluated for launch values)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from products.private_api.api import ACCESS_LOG_FIELDS
from tests.helpers.conditions import launched

JWT = {"Authorization": "JWT", "JwtIssuer": "https://issuer.example.com/pool",
       "JwtAudience": "client-a,client-b"}
DOMAIN = {"DomainName": "mlflow.example.com",
          "CertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/"
                            "0123abcd-0123-4567-89ab-0123456789ab"}


def _launch(template_json: dict[str, Any], **values: str) -> Template:
    return Template.from_json(launched(template_json, values))


def _resources(template: Template, type_: str) -> dict[str, Any]:
    return template.find_resources(type_)


def _routes(template: Template) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["RouteKey"]: r["Properties"]
            for r in _resources(template, "AWS::ApiGatewayV2::Route").values()}


def test_routes_cover_root_proxy_and_keep_alive(template: Template) -> None:
    assert set(_routes(template)) == {"ANY /", "ANY /{proxy+}", "GET /elb-status"}


def test_every_route_targets_the_one_alb_integration(template: Template) -> None:
    (integration_id,) = _resources(template, "AWS::ApiGatewayV2::Integration")
    for props in _routes(template).values():
        assert props["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}


def test_integration_goes_over_the_cores_vpc_link_to_its_listener(template: Template) -> None:
    template.has_resource_properties("AWS::ApiGatewayV2::Integration", {
        "IntegrationType": "HTTP_PROXY",
        "ConnectionType": "VPC_LINK",
        "IntegrationMethod": "ANY",
        "ConnectionId": {"Fn::Join": ["", ["{{resolve:ssm:/mlflow-platform/",
                                           {"Ref": "DeploymentName"}, "/vpc-link-id}}"]]},
        "IntegrationUri": {"Fn::Join": ["", ["{{resolve:ssm:/mlflow-platform/",
                                             {"Ref": "DeploymentName"}, "/listener-arn}}"]]},
    })


def test_default_stage_auto_deploys_with_throttling_from_parameters(template: Template) -> None:
    template.has_resource_properties("AWS::ApiGatewayV2::Stage", {
        "StageName": "$default",
        "AutoDeploy": True,
        "DefaultRouteSettings": {
            "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        },
    })


def test_access_logs_are_json_in_a_log_group_with_retention(template: Template) -> None:
    (stage,) = _resources(template, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    log_group_id = settings["DestinationArn"]["Fn::GetAtt"][0]
    fields = json.loads(settings["Format"])
    assert fields == ACCESS_LOG_FIELDS
    assert {"requestId", "status", "routeKey", "integrationError"} <= set(fields)
    assert not any("authorization" in v.lower() for v in fields.values() if "header" in v)
    group = _resources(template, "AWS::Logs::LogGroup")[log_group_id]
    assert group["Properties"]["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}


@pytest.mark.parametrize(("values", "expected"), [
    ({"Authorization": "NONE"}, "NONE"),
    ({"Authorization": "AWS_IAM"}, "AWS_IAM"),
    (JWT, "JWT"),
])
def test_mlflow_routes_use_the_chosen_authorization(
    template_json: dict[str, Any], values: dict[str, str], expected: str
) -> None:
    routes = _routes(_launch(template_json, **values))
    for key in ("ANY /", "ANY /{proxy+}"):
        assert routes[key]["AuthorizationType"] == expected
        assert ("AuthorizerId" in routes[key]) == (expected == "JWT")


@pytest.mark.parametrize("values", [{"Authorization": "NONE"}, {"Authorization": "AWS_IAM"}, JWT])
def test_keep_alive_route_stays_open_with_every_option(
    template_json: dict[str, Any], values: dict[str, str]
) -> None:
    routes = _routes(_launch(template_json, **values))
    assert routes["GET /elb-status"]["AuthorizationType"] == "NONE"


@pytest.mark.parametrize(("values", "present"), [
    ({"Authorization": "NONE"}, False), ({"Authorization": "AWS_IAM"}, False), (JWT, True),
])
def test_jwt_authorizer_exists_only_with_jwt(
    template_json: dict[str, Any], values: dict[str, str], present: bool
) -> None:
    authorizers = _resources(_launch(template_json, **values), "AWS::ApiGatewayV2::Authorizer")
    assert bool(authorizers) == present


def test_jwt_authorizer_checks_issuer_and_audience_from_parameters(
    template_json: dict[str, Any]
) -> None:
    _launch(template_json, **JWT).has_resource_properties("AWS::ApiGatewayV2::Authorizer", {
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {
            "Issuer": {"Ref": "JwtIssuer"},
            "Audience": {"Fn::Split": [",", {"Ref": "JwtAudience"}]},
        },
    })


def test_jwt_without_issuer_is_rejected_at_launch(template_json: dict[str, Any]) -> None:
    rule = template_json["Rules"]["JwtNeedsIssuerAndAudience"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Authorization"}, "JWT"]}
    assert "JwtIssuer" in json.dumps(rule["Assertions"])
    assert "JwtAudience" in json.dumps(rule["Assertions"])


@pytest.mark.parametrize(("authorization", "present"), [
    ("NONE", False), ("AWS_IAM", True), ("JWT", False),
])
def test_invoke_policy_exists_only_with_iam(
    template_json: dict[str, Any], authorization: str, present: bool
) -> None:
    values = JWT if authorization == "JWT" else {"Authorization": authorization}
    launch = _launch(template_json, **values)
    assert bool(_resources(launch, "AWS::IAM::ManagedPolicy")) == present
    assert ("InvokePolicyArn" in launch.find_outputs("*")) == present


def test_invoke_policy_allows_invoke_on_this_api_only(template_json: dict[str, Any]) -> None:
    launch = _launch(template_json, Authorization="AWS_IAM")
    (api_id,) = _resources(launch, "AWS::ApiGatewayV2::Api")
    (policy,) = _resources(launch, "AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["Path"] == "/mlflow-platform/"
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":execute-api:", {"Ref": "AWS::Region"}, ":",
        {"Ref": "AWS::AccountId"}, ":", {"Ref": api_id}, "/*"]]}


def test_custom_domain_only_with_domain_and_certificate(template_json: dict[str, Any]) -> None:
    without = _launch(template_json)
    assert not _resources(without, "AWS::ApiGatewayV2::DomainName")
    with_domain = _launch(template_json, **DOMAIN)
    with_domain.has_resource_properties("AWS::ApiGatewayV2::DomainName", {
        "DomainName": {"Ref": "DomainName"},
        "DomainNameConfigurations": [Match.object_like({
            "CertificateArn": {"Ref": "CertificateArn"}, "EndpointType": "REGIONAL",
            "SecurityPolicy": "TLS_1_2"})],
    })
    with_domain.has_resource_properties("AWS::ApiGatewayV2::ApiMapping",
                                        {"Stage": Match.any_value()})
    assert "RegionalDomainName" in with_domain.find_outputs("*")


def test_domain_without_certificate_is_rejected_at_launch(template_json: dict[str, Any]) -> None:
    assertion = json.dumps(template_json["Rules"]["DomainNeedsCertificate"])
    assert "DomainName" in assertion and "CertificateArn" in assertion


@pytest.mark.parametrize(("values", "url"), [
    ({}, {"Fn::GetAtt": [Match.any_value(), "ApiEndpoint"]}),
    (DOMAIN, {"Fn::Join": ["", ["https://", {"Ref": "DomainName"}]]}),
])
def test_published_api_url_follows_the_custom_domain(
    template_json: dict[str, Any], values: dict[str, str], url: Any
) -> None:
    _launch(template_json, **values).has_resource_properties("AWS::SSM::Parameter", {
        "Name": {"Fn::Join": ["", ["/mlflow-platform/", {"Ref": "DeploymentName"}, "/api-url"]]},
        "Value": url,
    })


def test_keep_alive_calls_the_health_route_daily_and_alarms_on_failures(
    template: Template,
) -> None:
    template.has_resource_properties("AWS::Events::Rule", {
        "ScheduleExpression": "rate(1 day)", "State": "ENABLED"})
    (function,) = [v for k, v in _resources(template, "AWS::Lambda::Function").items()
                   if k.startswith("KeepAlive")]
    props = function["Properties"]
    assert "ZipFile" in props["Code"]  # inline: a product stack carries no assets
    # No reserved concurrency: reserving fails in accounts at the minimum quota.
    assert "ReservedConcurrentExecutions" not in props
    url = props["Environment"]["Variables"]["KEEP_ALIVE_URL"]
    assert url["Fn::Join"][1][-1] == "/elb-status"
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "Errors", "Namespace": "AWS/Lambda", "EvaluationPeriods": 3,
        "TreatMissingData": "notBreaching"})


def test_keep_alive_role_writes_only_its_own_log_group(template: Template) -> None:
    (policy,) = [v for k, v in _resources(template, "AWS::IAM::Policy").items()
                 if k.startswith("KeepAlive")]
    (log_group_id,) = [k for k, v in _resources(template, "AWS::Logs::LogGroup").items()
                       if k.startswith("KeepAlive")]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [{
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]}}]
    # No AWSLambdaBasicExecutionRole (it may write to every log group).
    template.resource_properties_count_is(
        "AWS::IAM::Role", {"ManagedPolicyArns": Match.any_value()}, 0)
