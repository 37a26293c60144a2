"""ECR repositories of the product images.

Product stacks cannot carry Docker image assets, so the images are built and pushed
outside the products (scripts/publish_images.sh) into repositories the portfolio owns,
and each product version pins a tag.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from mlflow_platform.catalog import PROXY_IMAGE_REPOSITORY, SERVER_IMAGE_REPOSITORY
from products.common.nag import acknowledge

from .config import OrganizationShare

_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                 "ecr:GetDownloadUrlForLayer")


class ImageRepositories(Construct):
    """The server and proxy repositories: immutable tags, scan on push, retained."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        share_accounts: Sequence[str],
        share_organization: OrganizationShare | None,
    ) -> None:
        super().__init__(scope, id_)
        self.server = self._repository("Server", SERVER_IMAGE_REPOSITORY)
        self.proxy = self._repository("Proxy", PROXY_IMAGE_REPOSITORY)
        for repo in (self.server, self.proxy):
            self._allow_pull(repo, share_accounts, share_organization)

    def _repository(self, id_: str, name: str) -> ecr.Repository:
        return ecr.Repository(
            self,
            id_,
            # Fixed names on purpose: the product templates default to them, and there is
            # one portfolio per account and region.
            repository_name=name,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            encryption=ecr.RepositoryEncryption.AES_256,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description="Expire untagged layers left by interrupted pushes",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=cdk.Duration.days(14),
                )
            ],
        )

    @staticmethod
    def _allow_pull(
        repo: ecr.Repository,
        accounts: Sequence[str],
        organization: OrganizationShare | None,
    ) -> None:
        if accounts:
            repo.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PullFromSharedAccounts",
                    actions=list(_PULL_ACTIONS),
                    principals=[iam.AccountPrincipal(a) for a in accounts],
                )
            )
        if organization is not None:
            # Any principal of the organization (or below the OU) may pull; ECR checks the
            # caller's organization path, not just a claim.
            key = "aws:PrincipalOrgID" if organization.type == "ORGANIZATION" else None
            condition = (
                {"StringEquals": {key: organization.id}}
                if key
                else {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"*/{organization.id}/*"}}
            )
            repo.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PullFromOrganization",
                    actions=list(_PULL_ACTIONS),
                    principals=[iam.AnyPrincipal()],
                    conditions=condition,
                )
            )
            acknowledge(
                repo, "AwsSolutions-ECR1",
                "Pull only, and only for principals of the configured organization or OU "
                "(aws:PrincipalOrgID / aws:PrincipalOrgPaths condition).",
            )
