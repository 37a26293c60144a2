"""Optional custom domain of the private API (present only when a domain name is given)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct


class CustomDomain(Construct):
    """A regional API Gateway domain name mapped to the default stage, under `condition`.

    Exposes `.domain_name` (the L2) and `.regional_domain_name` (the DNS target).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        certificate_arn: str,
        http_api: apigwv2.IHttpApi,
        stage: apigwv2.IHttpStage,
        condition: cdk.CfnCondition,
    ) -> None:
        super().__init__(scope, id_)
        self.domain_name = apigwv2.DomainName(
            self, "Name", domain_name=name,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        mapping = apigwv2.ApiMapping(
            self, "Mapping", api=http_api, domain_name=self.domain_name, stage=stage)
        for construct in (self.domain_name, mapping):
            cfn = construct.node.default_child
            assert isinstance(cfn, cdk.CfnResource)
            cfn.cfn_options.condition = condition

    @property
    def regional_domain_name(self) -> str:
        return self.domain_name.regional_domain_name
