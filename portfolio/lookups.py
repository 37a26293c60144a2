"""Provisioning-artifact IDs by version name, for what CloudFormation cannot express.

CloudFormation creates product versions but cannot set their guidance (DEPRECATED) nor
return one version's ID by name; these custom resources call the Service Catalog API.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicecatalog as servicecatalog
from aws_cdk import custom_resources as cr
from constructs import Construct

from products.common.nag import acknowledge

# Metadata key on a deprecation's custom resource: {"ProductId": <Ref>, "Version": name}.
DEPRECATION_METADATA = "MlflowPlatformDeprecates"
# The one Lambda function that backs every AwsCustomResource of a stack.
_PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"


def _provider_logs(scope: Construct) -> logs.ILogGroup:
    """One log group with a retention for the stack's shared custom-resource function.

    Without it the function logs to an implicit /aws/lambda group that never expires.
    """
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child("CustomResourceLogs")
    if isinstance(existing, logs.LogGroup):
        return existing
    return logs.LogGroup(stack, "CustomResourceLogs", retention=logs.RetentionDays.ONE_YEAR,
                         removal_policy=cdk.RemovalPolicy.DESTROY)


def _acknowledge_provider(scope: Construct) -> None:
    provider = cdk.Stack.of(scope).node.try_find_child(_PROVIDER_ID)
    if provider is None:
        return
    acknowledge(
        provider, "AwsSolutions-IAM4",
        "AWSLambdaBasicExecutionRole only lets the custom-resource function write its own "
        "CloudWatch logs; the SDK calls it makes are granted per resource.",
        findings=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                  "AWSLambdaBasicExecutionRole"],
    )
    acknowledge(
        provider, "AwsSolutions-L1",
        "The runtime is chosen by aws-cdk-lib for its AwsCustomResource provider and moves "
        "with the pinned library version.",
    )


def _product_arn(scope: Construct, product: servicecatalog.IProduct) -> str:
    return cdk.Stack.of(scope).format_arn(
        service="catalog", resource="product", resource_name=product.product_id
    )


class ArtifactId(Construct):
    """Looks up the ID of one provisioning artifact (product version) by its name."""

    def __init__(
        self, scope: Construct, id_: str, *, product: servicecatalog.IProduct, version: str
    ) -> None:
        super().__init__(scope, id_)
        # A version whose template changes (the unlocked current one) gets a new artifact ID.
        # The product's artifact IDs in the call make CloudFormation run the lookup again
        # then; with the version name alone it would keep handing out the old ID.
        cfn_product = product.node.default_child
        assert isinstance(cfn_product, servicecatalog.CfnCloudFormationProduct)
        call = cr.AwsSdkCall(
            service="ServiceCatalog",
            action="describeProvisioningArtifact",
            parameters={"ProductId": product.product_id, "ProvisioningArtifactName": version},
            physical_resource_id=cr.PhysicalResourceId.of(cdk.Fn.join(
                ":", [version, cfn_product.attr_provisioning_artifact_ids])),
            output_paths=["ProvisioningArtifactDetail.Id"],
        )
        self._resource = cr.AwsCustomResource(
            self,
            "Lookup",
            log_group=_provider_logs(self),
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements([
                iam.PolicyStatement(
                    actions=["servicecatalog:DescribeProvisioningArtifact"],
                    resources=[_product_arn(self, product)],
                )
            ]),
            install_latest_aws_sdk=False,
        )
        self._resource.node.add_dependency(product)
        _acknowledge_provider(self)

    @property
    def value(self) -> str:
        return self._resource.get_response_field("ProvisioningArtifactDetail.Id")


def artifact_id(scope: Construct, *, product: servicecatalog.IProduct, version: str
                ) -> ArtifactId:
    """The stack's one lookup of a product version's ID, shared by all that need it
    (deprecation, self-service action associations)."""
    stack = cdk.Stack.of(scope)
    id_ = f"ArtifactId{product.node.id}{version}"
    existing = stack.node.try_find_child(id_)
    if isinstance(existing, ArtifactId):
        return existing
    return ArtifactId(stack, id_, product=product, version=version)


class DeprecateVersion(Construct):
    """Sets guidance DEPRECATED on one version: no new launches, existing ones can update.

    Removing the deprecation from cdk.json sets the guidance back to DEFAULT.
    """

    def __init__(
        self, scope: Construct, id_: str, *, product: servicecatalog.IProduct, version: str
    ) -> None:
        super().__init__(scope, id_)
        artifact = artifact_id(self, product=product, version=version)

        def guidance(value: str) -> cr.AwsSdkCall:
            return cr.AwsSdkCall(
                service="ServiceCatalog",
                action="updateProvisioningArtifact",
                parameters={
                    "ProductId": product.product_id,
                    "ProvisioningArtifactId": artifact.value,
                    "Guidance": value,
                },
                physical_resource_id=cr.PhysicalResourceId.of(f"deprecate-{version}"),
            )

        self.resource = cr.AwsCustomResource(
            self,
            "Guidance",
            log_group=_provider_logs(self),
            on_create=guidance("DEPRECATED"),
            on_update=guidance("DEPRECATED"),
            on_delete=guidance("DEFAULT"),
            policy=cr.AwsCustomResourcePolicy.from_statements([
                iam.PolicyStatement(
                    actions=["servicecatalog:UpdateProvisioningArtifact"],
                    resources=[_product_arn(self, product)],
                )
            ]),
            install_latest_aws_sdk=False,
        )
        # For readers of the template (scripts/show_catalog.py): which version this retires.
        cfn = self.resource.node.find_child("Resource").node.default_child
        assert isinstance(cfn, cdk.CfnResource)
        cfn.add_metadata(DEPRECATION_METADATA, {"ProductId": product.product_id,
                                                "Version": version})
        _acknowledge_provider(self)


class OrganizationPortfolioShare(Construct):
    """Shares the portfolio with an organization or OU (CloudFormation takes accounts only).

    Needs the portfolio stack to run in the management account or a delegated
    administrator with `aws servicecatalog enable-aws-organizations-access` done once.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        portfolio: servicecatalog.IPortfolio,
        node_type: str,
        node_id: str,
    ) -> None:
        super().__init__(scope, id_)
        params = {
            "PortfolioId": portfolio.portfolio_id,
            "OrganizationNode": {"Type": node_type, "Value": node_id},
        }
        share = cr.AwsSdkCall(
            service="ServiceCatalog",
            action="createPortfolioShare",
            parameters={**params, "ShareTagOptions": True, "SharePrincipals": True},
            physical_resource_id=cr.PhysicalResourceId.of(f"{node_type}:{node_id}"),
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Share",
            log_group=_provider_logs(self),
            on_create=share,
            on_update=share,
            on_delete=cr.AwsSdkCall(
                service="ServiceCatalog", action="deletePortfolioShare", parameters=params,
                # A share that never came about (a failed create rolling back, Organizations
                # access not enabled) must not turn the rollback or the delete into a failure.
                ignore_error_codes_matching="ResourceNotFoundException|"
                "OperationNotSupportedException|InvalidParametersException",
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements([
                iam.PolicyStatement(
                    actions=["servicecatalog:CreatePortfolioShare",
                             "servicecatalog:DeletePortfolioShare"],
                    resources=[portfolio.portfolio_arn],
                ),
                iam.PolicyStatement(
                    # Organizations read calls support no resource-level permissions.
                    actions=["organizations:DescribeOrganization",
                             "organizations:DescribeAccount",
                             "organizations:ListAWSServiceAccessForOrganization",
                             "organizations:ListChildren", "organizations:ListParents"],
                    resources=["*"],
                ),
            ]),
            install_latest_aws_sdk=False,
        )
        # The share completes in the background: the token is what
        # `aws servicecatalog describe-portfolio-share-status` takes (README, Deploy).
        self.share_token = self.resource.get_response_field("PortfolioShareToken")
        acknowledge(
            self.resource, "AwsSolutions-IAM5",
            "AWS Organizations read calls support no resource-level permissions.",
            findings=["Resource::*"],
        )
        _acknowledge_provider(self)
