"""The portfolio stack: the one stack an admin deploys.

It holds the portfolio, its three products with their version history, the image
repositories, the launch roles and every constraint. Product stacks are not deployed
on their own: Service Catalog provisions them for users.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_servicecatalog as servicecatalog
from aws_cdk import aws_sns as sns
from constructs import Construct

from mlflow_platform.catalog import (
    DISTRIBUTOR,
    MLFLOW_CORE,
    PRODUCTS,
    SUPPORT_EMAIL,
    SUPPORT_URL,
    ProductSpec,
)
from products.common.stack import PlatformProductStack
from products.registry import PRODUCT_STACKS

from .actions import CoreServiceActions
from .config import PortfolioConfig
from .governance import TEMPLATE_RULES
from .images import ImageRepositories
from .launch_role import create_launch_role
from .lookups import DeprecateVersion, OrganizationPortfolioShare


def _pascal(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))


class PortfolioStack(cdk.Stack):
    """Portfolio, products, versions, images, launch roles and constraints."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: PortfolioConfig,
        snapshot_dir: Path,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        self.config = config
        self.snapshot_dir = snapshot_dir
        self.portfolio = servicecatalog.Portfolio(
            self,
            "Portfolio",
            display_name=config.name,
            provider_name=config.provider,
            description=config.description,
        )
        self._grant_access()
        self._share()
        self.images = ImageRepositories(
            self,
            "Images",
            share_accounts=config.share_accounts,
            share_organization=config.share_organization,
        )
        self.product_stacks: dict[str, PlatformProductStack] = {}
        self.products: dict[str, servicecatalog.CloudFormationProduct] = {}
        for spec in PRODUCTS:
            self._add_product(spec)
        self.launch_roles = self._launch_roles()
        self._constrain()
        self.core_actions = CoreServiceActions(
            self, "CoreActions", product=self.products[MLFLOW_CORE.slug],
            versions=[v.name for v in MLFLOW_CORE.versions],
        ) if config.self_service_actions else None
        self._outputs()

    # --- access -----------------------------------------------------------------------
    def _grant_access(self) -> None:
        for i, arn in enumerate(self.config.principals):
            kind = arn.split(":")[5].split("/")[0]
            if kind == "role":
                self.portfolio.give_access_to_role(iam.Role.from_role_arn(self, f"Role{i}", arn))
            elif kind == "group":
                self.portfolio.give_access_to_group(
                    iam.Group.from_group_arn(self, f"Group{i}", arn))
            else:
                self.portfolio.give_access_to_user(iam.User.from_user_arn(self, f"User{i}", arn))

    def _share(self) -> None:
        for account in self.config.share_accounts:
            self.portfolio.share_with_account(account, share_tag_options=True)
        org = self.config.share_organization
        if org is not None:
            share = OrganizationPortfolioShare(
                self, "OrganizationShare", portfolio=self.portfolio,
                node_type=org.type, node_id=org.id,
            )
            # Service Catalog runs one share operation per portfolio at a time (else
            # InvalidStateException): the account shares wait for the organization's call.
            for child in self.portfolio.node.children:
                if isinstance(child, servicecatalog.CfnPortfolioShare):
                    child.node.add_dependency(share.resource)
            cdk.CfnOutput(self, "OrganizationShareStatusId", value=share.share_token,
                          description="aws servicecatalog describe-portfolio-share-status "
                          "--portfolio-share-token <this>: the organization share runs in "
                          "the background")
        if self.config.tag_options:
            self.portfolio.associate_tag_options(
                servicecatalog.TagOptions(
                    self,
                    "TagOptions",
                    allowed_values_for_tags={k: list(v) for k, v in
                                             self.config.tag_options.items()},
                )
            )

    # --- products and versions --------------------------------------------------------
    def _add_product(self, spec: ProductSpec) -> None:
        name = _pascal(spec.slug)
        product_stack = PRODUCT_STACKS[spec.slug](self, f"{name}Product")
        history = servicecatalog.ProductStackHistory(
            self,
            f"{name}History",
            product_stack=product_stack,
            current_version_name=spec.current.name,
            current_version_locked=spec.current.locked,
            description=spec.current.description,
            directory=str(self.snapshot_dir),
        )
        versions = [
            # version_from_snapshot would give every old version the current description.
            servicecatalog.CloudFormationProductVersion(
                product_version_name=old.name,
                description=old.description,
                cloud_formation_template=history.version_from_snapshot(
                    old.name).cloud_formation_template,
            )
            for old in spec.released
        ]
        versions.append(history.current_version())
        product = servicecatalog.CloudFormationProduct(
            self,
            name,
            product_name=spec.name,
            owner=spec.owner,
            distributor=DISTRIBUTOR,
            description=spec.description,
            support_description=spec.support_description,
            support_email=self.config.support_email or SUPPORT_EMAIL,
            support_url=SUPPORT_URL,
            product_versions=versions,
        )
        self.portfolio.add_product(product)
        for version in self.config.deprecated_versions.get(spec.slug, ()):
            DeprecateVersion(self, f"{name}Deprecate{version}", product=product, version=version)
        self.product_stacks[spec.slug] = product_stack
        self.products[spec.slug] = product

    def snapshot_resource_types(self, spec: ProductSpec) -> set[str]:
        """Resource types of this product's released versions' committed templates."""
        # ProductStackHistory names snapshots <history>.<product stack>.<version>...: match
        # this product's stack, not every product's snapshot of the same version name.
        product = cdk.Names.unique_id(self.product_stacks[spec.slug])
        types: set[str] = set()
        for old in spec.released:
            for path in self.snapshot_dir.glob(f"*.{product}.{old.name}.product.template.json"):
                template = json.loads(path.read_text())
                types |= {r["Type"] for r in template.get("Resources", {}).values()}
        return types

    # --- governance -------------------------------------------------------------------
    def _launch_roles(self) -> dict[str, iam.Role]:
        types_by_slug = {
            spec.slug: _resource_types(self.product_stacks[spec.slug])
            | self.snapshot_resource_types(spec)
            for spec in PRODUCTS
        }
        # What one role serving every product (and every served version) must manage.
        self.launch_resource_types = frozenset(set().union(*types_by_slug.values()))
        if self.config.local_launch_role_name:
            # One role with a fixed name that also exists in every recipient account
            # (portfolio.launch_role.RecipientLaunchRoleStack creates it there).
            role = create_launch_role(
                self, "LaunchRole", role_name=self.config.local_launch_role_name,
                resource_types=self.launch_resource_types,
            )
            return dict.fromkeys(types_by_slug, role)
        return {
            slug: create_launch_role(self, f"{_pascal(slug)}LaunchRole", resource_types=types)
            for slug, types in types_by_slug.items()
        }

    def _require_same_region(self, topic_arn: str) -> None:
        """CloudFormation sends stack events only to a topic in the stack's region: refuse
        the deployment up front instead of failing every launch."""
        region = topic_arn.split(":")[3]
        cdk.CfnRule(self, "NotificationTopicInThisRegion", assertions=[cdk.CfnRuleAssertion(
            assert_=cdk.Fn.condition_equals(region, cdk.Aws.REGION),
            assert_description=f"notificationTopicArn is in {region}: deploy the portfolio "
            "there, or give a topic of the region it is deployed to")])

    def _constrain(self) -> None:
        topic = None
        if self.config.notification_topic_arn:
            topic = sns.Topic.from_topic_arn(self, "EventsTopic",
                                             self.config.notification_topic_arn)
            self._require_same_region(self.config.notification_topic_arn)
        for spec in PRODUCTS:
            product = self.products[spec.slug]
            role = self.launch_roles[spec.slug]
            if self.config.local_launch_role_name:
                self.portfolio.set_local_launch_role(product, role)
            else:
                self.portfolio.set_launch_role(product, role)
            self.portfolio.constrain_tag_updates(product, allow=True)
            for rule in TEMPLATE_RULES.get(spec.slug, lambda _b: [])(self.config.bounds):
                self.portfolio.constrain_cloud_formation_parameters(product, rule=rule)
            if topic is not None:
                self.portfolio.notify_on_stack_events(product, topic)


    def _outputs(self) -> None:
        # scripts/destroy_portfolio.py and the docs read these.
        cdk.CfnOutput(self, "PortfolioId", value=self.portfolio.portfolio_id,
                      description="Service Catalog portfolio ID")
        for slug, product in self.products.items():
            cdk.CfnOutput(self, f"{_pascal(slug)}ProductId", value=product.product_id,
                          description=f"Product ID of {slug}")
        for name, repo in (("Server", self.images.server), ("Proxy", self.images.proxy)):
            cdk.CfnOutput(self, f"{name}ImageRepositoryUri", value=repo.repository_uri,
                          description=f"ECR repository of the {name.lower()} image")


def _resource_types(stack: cdk.Stack) -> set[str]:
    return {
        node.cfn_resource_type
        for node in stack.node.find_all()
        if isinstance(node, cdk.CfnResource)
    }
