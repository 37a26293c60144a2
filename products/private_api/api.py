"""The HTTP API in front of the core's internal load balancer, and its authorization."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from products.common.nag import acknowledge

# Routes that carry MLflow traffic (they get the chosen authorization) and the one route the
# keep-alive calls: the core's nginx answers /elb-status itself, without auth and without
# touching MLflow or the database, so it may stay open.
PROXY_PATHS = ("/", "/{proxy+}")
KEEP_ALIVE_PATH = "/elb-status"

# One JSON object per request. No Authorization header or query string: the keys are
# request facts, caller identity (IAM ARN or JWT subject) and integration diagnostics.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "userArn": "$context.identity.userArn",
    "jwtSubject": "$context.authorizer.claims.sub",
    "userAgent": "$context.identity.userAgent",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    """IAccessLogSettings is a jsii interface without a struct: implement it."""

    def __init__(self, destination: apigwv2.IAccessLogDestination,
                 log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


@dataclass(frozen=True)
class Authorization:
    """How the MLflow routes are protected; CloudFormation conditions decide at launch.

    The route's authorization type is a launch-time value, so it cannot select an L2
    authorizer at synth time: the routes carry Fn::If and the JWT authorizer exists only
    under `is_jwt`.
    """

    is_iam: cdk.CfnCondition
    is_jwt: cdk.CfnCondition
    jwt_issuer: str
    jwt_audience: list[str]


@dataclass(frozen=True)
class Backend:
    """The core's VPC link and ALB listener, as tokens read from its SSM parameters."""

    vpc_link_id: str
    listener_arn: str
    client_security_group_id: str


@dataclass(frozen=True)
class Throttle:
    rate_limit: float
    burst_limit: float


class TrackingApi(Construct):
    """HTTP API: root and proxy routes to the core's ALB over its VPC link, default stage
    with throttling and JSON access logs.

    Exposes `.http_api`, `.stage`, `.routes`, `.access_logs`, `.jwt_authorizer`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        backend: Backend,
        authorization: Authorization,
        throttle: Throttle,
        log_retention_days: float,
        api_name: str,
    ) -> None:
        super().__init__(scope, id_)
        self.http_api = apigwv2.HttpApi(
            self, "HttpApi", api_name=api_name, create_default_stage=False,
            description="MLflow tracking URI for clients outside the VPC",
        )
        self.access_logs = self._log_group(log_retention_days)
        self.stage = apigwv2.HttpStage(
            self, "DefaultStage", http_api=self.http_api, stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=throttle.rate_limit,
                                              burst_limit=throttle.burst_limit),
            access_log_settings=_AccessLogs(
                apigwv2.LogGroupLogDestination(self.access_logs),
                apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        integration = self._integration(backend)
        self.jwt_authorizer = self._jwt_authorizer(authorization)
        self.routes: list[apigwv2.HttpRoute] = []
        for path in PROXY_PATHS:
            for route in self.http_api.add_routes(
                path=path, methods=[apigwv2.HttpMethod.ANY], integration=integration
            ):
                self._authorize(route, authorization)
                # cdk-nag cannot evaluate the Fn::If and reports an error for the rule.
                acknowledge(
                    route, "AwsSolutions-APIG4",
                    "Authorization is chosen at launch (Fn::If): AWS_IAM or JWT here, or NONE "
                    "when the core's own login (basic or per-user, in its proxy) checks "
                    "every request.",
                )
                self.routes.append(route)
        self.keep_alive_route = self.http_api.add_routes(
            path=KEEP_ALIVE_PATH, methods=[apigwv2.HttpMethod.GET], integration=integration
        )[0]
        self.routes.append(self.keep_alive_route)
        acknowledge(
            self.keep_alive_route, "AwsSolutions-APIG4",
            "GET /elb-status is answered by the core's nginx with a constant 'ok' (no MLflow, "
            "no data); it stays open so the keep-alive needs no credentials.",
        )

    @property
    def url(self) -> str:
        """Tracking URI on the execute-api endpoint (the $default stage has no path)."""
        return self.http_api.api_endpoint

    def _log_group(self, retention_days: float) -> logs.LogGroup:
        group = logs.LogGroup(self, "AccessLogs", removal_policy=cdk.RemovalPolicy.RETAIN)
        # The L2 takes a RetentionDays enum; the launch parameter is a token.
        cfn = group.node.default_child
        assert isinstance(cfn, logs.CfnLogGroup)
        cfn.retention_in_days = retention_days  # type: ignore[assignment]
        return group

    def _integration(self, backend: Backend) -> integrations.HttpAlbIntegration:
        # Imported by token: there is no environment to look anything up, and the core
        # publishes only IDs. The VPC is a stand-in the integration checks for, never rendered.
        vpc = ec2.Vpc.from_vpc_attributes(self, "CoreVpc", vpc_id="unused",
                                          availability_zones=["unused"])
        vpc_link = apigwv2.VpcLink.from_vpc_link_attributes(
            self, "CoreVpcLink", vpc_link_id=backend.vpc_link_id, vpc=vpc)
        listener = elbv2.ApplicationListener.from_application_listener_attributes(
            self, "CoreListener", listener_arn=backend.listener_arn,
            security_group=ec2.SecurityGroup.from_security_group_id(
                self, "CoreClientSecurityGroup", backend.client_security_group_id,
                mutable=False),
        )
        return integrations.HttpAlbIntegration("CoreAlb", listener, vpc_link=vpc_link)

    def _jwt_authorizer(self, authorization: Authorization) -> apigwv2.HttpAuthorizer:
        authorizer = apigwv2.HttpAuthorizer(
            self, "JwtAuthorizer", http_api=self.http_api, type=apigwv2.HttpAuthorizerType.JWT,
            identity_source=["$request.header.Authorization"],
            jwt_issuer=authorization.jwt_issuer, jwt_audience=authorization.jwt_audience,
        )
        cfn = authorizer.node.default_child
        assert isinstance(cfn, apigwv2.CfnAuthorizer)
        cfn.cfn_options.condition = authorization.is_jwt
        return authorizer

    def _authorize(self, route: apigwv2.HttpRoute, authorization: Authorization) -> None:
        cfn = route.node.default_child
        assert isinstance(cfn, apigwv2.CfnRoute)
        cfn.authorization_type = cdk.Fn.condition_if(
            authorization.is_iam.logical_id, "AWS_IAM",
            cdk.Fn.condition_if(authorization.is_jwt.logical_id, "JWT", "NONE"),
        ).to_string()
        cfn.authorizer_id = cdk.Fn.condition_if(
            authorization.is_jwt.logical_id, self.jwt_authorizer.authorizer_id,
            cdk.Aws.NO_VALUE,
        ).to_string()
