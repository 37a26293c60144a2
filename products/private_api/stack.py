"""The MLflow private API product stack (composition and wiring only)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from mlflow_platform import contract
from mlflow_platform.catalog import PRIVATE_API
from products.common.nag import acknowledge
from products.common.published import published_value
from products.common.stack import ROLE_PATH, PlatformProductStack

from .api import KEEP_ALIVE_PATH, Authorization, Backend, Throttle, TrackingApi
from .domain import CustomDomain
from .keepalive import VpcLinkKeepAlive
from .pairing import AuthPairingCheck
from .parameters import PARAMETERS


class PrivateApiStack(PlatformProductStack):
    """HTTP API over the core's VPC link; publishes api-url, api-authorization and api-id."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, spec=PRIVATE_API, parameters=PARAMETERS)
        p = self.params
        self.deployment = p.text("DeploymentName")
        self.is_iam = self._equals("IsIamAuthorization", "Authorization", "AWS_IAM")
        self.is_jwt = self._equals("IsJwtAuthorization", "Authorization", "JWT")
        # Both values given (the DomainNeedsCertificate rule rejects one without the other).
        self.has_domain = cdk.CfnCondition(
            self, "HasCustomDomain",
            expression=cdk.Fn.condition_and(
                self._given("DomainName"), self._given("CertificateArn")),
        )
        self._rules()
        # Fails the launch, before the API exists, if the authorization does not fit the
        # core's auth mode (NONE in front of an iam-mode core would be an open MLflow).
        self.pairing = AuthPairingCheck(self, "AuthPairing", deployment=self.deployment,
                                        authorization=p.text("Authorization"))

        self.api = TrackingApi(
            self, "Api",
            backend=Backend(
                vpc_link_id=self._core("vpc-link-id"),
                listener_arn=self._core("listener-arn"),
                client_security_group_id=self._core("client-security-group-id"),
            ),
            authorization=Authorization(
                is_iam=self.is_iam, is_jwt=self.is_jwt, jwt_issuer=p.text("JwtIssuer"),
                jwt_audience=cdk.Fn.split(",", p.text("JwtAudience")),
            ),
            throttle=Throttle(rate_limit=p.number("ThrottlingRateLimit"),
                              burst_limit=p.number("ThrottlingBurstLimit")),
            log_retention_days=p.number("AccessLogRetentionDays"),
            api_name=f"mlflow-{self.deployment}",
        )
        self.api.node.add_dependency(self.pairing.resource)
        self.domain = CustomDomain(
            self, "Domain", name=p.text("DomainName"), certificate_arn=p.text("CertificateArn"),
            http_api=self.api.http_api, stage=self.api.stage, condition=self.has_domain,
        )
        self.keep_alive = VpcLinkKeepAlive(
            self, "KeepAlive", url=f"{self.api.url}{KEEP_ALIVE_PATH}")
        # Every stage, method and path of this one API: MLflow's REST API is the whole API.
        self.invoke_arn = self.format_arn(
            service="execute-api", resource=self.api.http_api.api_id, resource_name="*",
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.invoke_policy = self._invoke_policy()
        self.url = cdk.Fn.condition_if(
            self.has_domain.logical_id, f"https://{p.text('DomainName')}", self.api.url,
        ).to_string()
        self._publish()
        self._outputs()

    # --- conditions and rules ---------------------------------------------------------
    def _equals(self, id_: str, parameter: str, value: str) -> cdk.CfnCondition:
        return cdk.CfnCondition(
            self, id_, expression=cdk.Fn.condition_equals(self.params.text(parameter), value))

    def _rules(self) -> None:
        """Bad combinations fail at launch, before anything is created."""
        p = self.params
        cdk.CfnRule(
            self, "JwtNeedsIssuerAndAudience",
            rule_condition=cdk.Fn.condition_equals(p.text("Authorization"), "JWT"),
            assertions=[cdk.CfnRuleAssertion(
                assert_=cdk.Fn.condition_and(
                    self._given("JwtIssuer"), self._given("JwtAudience")),
                assert_description="Authorization JWT needs a JWT issuer and audience.",
            )],
        )
        cdk.CfnRule(
            self, "DomainNeedsCertificate",
            assertions=[cdk.CfnRuleAssertion(
                assert_=cdk.Fn.condition_or(
                    cdk.Fn.condition_and(self._given("DomainName"), self._given("CertificateArn")),
                    cdk.Fn.condition_and(
                        cdk.Fn.condition_equals(p.text("DomainName"), ""),
                        cdk.Fn.condition_equals(p.text("CertificateArn"), ""),
                    ),
                ),
                assert_description="Give both a custom domain name and its certificate, "
                "or neither.",
            )],
        )

    def _given(self, parameter: str) -> cdk.ICfnConditionExpression:
        return cdk.Fn.condition_not(cdk.Fn.condition_equals(self.params.text(parameter), ""))

    def _core(self, key: str) -> str:
        return published_value(self.deployment, key)

    # --- IAM for clients --------------------------------------------------------------
    def _invoke_policy(self) -> iam.ManagedPolicy:
        """With AWS_IAM: a policy to attach to notebook and training roles (this API only)."""
        api_arn = self.invoke_arn
        policy = iam.ManagedPolicy(
            self, "InvokePolicy", path=ROLE_PATH,
            description="Call the MLflow private API (SigV4) of one deployment",
            statements=[iam.PolicyStatement(actions=["execute-api:Invoke"],
                                            resources=[api_arn])],
        )
        cfn = policy.node.default_child
        assert isinstance(cfn, iam.CfnManagedPolicy)
        cfn.cfn_options.condition = self.is_iam
        acknowledge(
            policy, "AwsSolutions-IAM5",
            "The wildcard is stage/method/path within this one API: MLflow's REST API is "
            "the whole API, and every route must be callable by a tracking client.",
            findings=[f"Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
                      f"<AWS::AccountId>:<{self.get_logical_id(self.api.http_api.node.default_child)}>/*"],
        )
        return policy

    # --- what other products and the CLI read -----------------------------------------
    def _publish(self) -> None:
        values = {
            "api-url": self.url,
            "api-authorization": self.params.text("Authorization"),
            "api-id": self.api.http_api.api_id,
            "api-invoke-arn": self.invoke_arn,
        }
        descriptions = {k.name: k.description for k in contract.API_KEYS}
        for key, value in values.items():
            ssm.StringParameter(
                self, f"Publish{''.join(w.capitalize() for w in key.split('-'))}",
                parameter_name=contract.ssm_name(self.deployment, key),
                simple_name=False, string_value=value, description=descriptions[key],
            )

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "TrackingUri", value=self.url,
                      description="Set MLFLOW_TRACKING_URI to this")
        cdk.CfnOutput(self, "ApiId", value=self.api.http_api.api_id)
        cdk.CfnOutput(self, "AccessLogGroup", value=self.api.access_logs.log_group_name)
        invoke = cdk.CfnOutput(
            self, "InvokePolicyArn", value=self.invoke_policy.managed_policy_arn,
            description="Attach to roles of notebooks and training jobs (AWS_IAM only)",
        )
        invoke.condition = self.is_iam
        dns = cdk.CfnOutput(
            self, "RegionalDomainName", value=self.domain.regional_domain_name,
            description="Point a CNAME (or Route 53 alias) of the custom domain here",
        )
        dns.condition = self.has_domain
