"""Builds the CDK app from cdk.json context: shared by app.py and the test fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from mlflow_platform.catalog import PRODUCTS
from products.common.parameters import by_name
from products.notebook.parameters import PARAMETERS as NOTEBOOK_PARAMETERS

from .config import CONTEXT_KEY, PortfolioConfig, from_context
from .launch_role import RecipientLaunchRoleStack
from .stack import PortfolioStack

ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "MlflowPlatformPortfolio"
# Only with localLaunchRoleName: the launch role alone, for the recipient accounts (StackSet).
RECIPIENT_ROLE_STACK_NAME = "MlflowPlatformLaunchRole"
SNAPSHOT_DIR = ROOT / "product-stack-snapshots"
# Reserved context keys: the CLI warns when cdk.json sets them, so they are set here.
CLI_METADATA_OFF = {"aws:cdk:version-reporting": False, "aws:cdk:enable-path-metadata": False}


def cdk_json_context(path: Path = ROOT / "cdk.json") -> dict[str, Any]:
    """The context block of cdk.json (what `cdk synth` passes to the app)."""
    return json.loads(path.read_text())["context"]


def known_versions() -> dict[str, tuple[str, ...]]:
    return {p.slug: tuple(v.name for v in p.versions) for p in PRODUCTS}


def notebook_instance_types() -> tuple[str, ...]:
    """The instance types the notebook product accepts (what the bounds may narrow)."""
    return by_name(NOTEBOOK_PARAMETERS, "InstanceType").allowed_values or ()


def build_app(
    context: dict[str, Any],
    *,
    outdir: str | None = None,
    snapshot_dir: Path = SNAPSHOT_DIR,
    nag: bool = True,
) -> tuple[cdk.App, PortfolioStack]:
    """The whole app. Raises portfolio.config.ConfigError on bad admin configuration."""
    config: PortfolioConfig = from_context(
        context.get(CONTEXT_KEY), known_versions=known_versions(),
        notebook_instance_types=notebook_instance_types(),
    )
    # What cdk.json's "versionReporting"/"pathMetadata": false tell the CLI, for every entry
    # point (`python app.py` and the tests get no CLI): identical templates, no metadata.
    app = cdk.App(
        context={**context, **CLI_METADATA_OFF},
        outdir=outdir,
        analytics_reporting=False,
    )
    stack = PortfolioStack(
        app,
        STACK_NAME,
        config=config,
        snapshot_dir=snapshot_dir,
        description="MLflow Platform: Service Catalog portfolio with MLflow core, private API "
        "and notebook products",
    )
    if config.local_launch_role_name:
        RecipientLaunchRoleStack(
            app, RECIPIENT_ROLE_STACK_NAME,
            role_name=config.local_launch_role_name,
            resource_types=stack.launch_resource_types,
        )
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def recipient_role_stack(app: cdk.App) -> RecipientLaunchRoleStack | None:
    """The recipient accounts' launch-role stack, when localLaunchRoleName is set."""
    child = app.node.try_find_child(RECIPIENT_ROLE_STACK_NAME)
    return child if isinstance(child, RecipientLaunchRoleStack) else None
