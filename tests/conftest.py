"""Shared fixtures: one synth of the whole app per test session."""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from mlflow_platform.catalog import PRODUCTS, product_by_slug
from portfolio.app import RECIPIENT_ROLE_STACK_NAME, build_app, cdk_json_context
from portfolio.config import CONTEXT_KEY
from portfolio.stack import PortfolioStack

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# Admin configuration exercising every option, on top of the repository's cdk.json.
# Sharing requires the local launch role (recipient accounts cannot use this account's).
TEST_SETTINGS: dict[str, Any] = {
    "principals": [
        "arn:aws:iam::111111111111:role/DataScientists",
        "arn:aws:iam::111111111111:group/MlEngineers",
        "arn:aws:iam::111111111111:user/alice",
    ],
    "shareAccounts": ["222222222222", "333333333333"],
    "shareOrganization": {"type": "ORGANIZATIONAL_UNIT", "id": "ou-ab12-cdefghij"},
    "localLaunchRoleName": "MlflowPlatformLaunch",
    "notificationTopicArn": "arn:aws:sns:us-east-1:111111111111:sc-stack-events",
    "supportEmail": "ml-platform@example.org",
}
# The single-account variant: no sharing, so one launch role per product (no local role).
UNSHARED: dict[str, Any] = {"shareAccounts": [], "shareOrganization": None,
                            "localLaunchRoleName": None}


def make_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json context with TEST_SETTINGS and overrides merged into the platform key."""
    context = copy.deepcopy(cdk_json_context())
    context[CONTEXT_KEY] = {**context[CONTEXT_KEY], **TEST_SETTINGS, **overrides}
    return context


@dataclass
class Synth:
    outdir: Path
    stack: PortfolioStack

    def portfolio_json(self) -> dict[str, Any]:
        return json.loads((self.outdir / self.stack.template_file).read_text())

    def portfolio(self) -> Template:
        return Template.from_json(self.portfolio_json())

    def product_path(self, slug: str) -> Path:
        product_by_slug(slug)  # KeyError names the known slugs
        return self.outdir / self.stack.product_stacks[slug].template_file

    def product_json(self, slug: str) -> dict[str, Any]:
        return json.loads(self.product_path(slug).read_text())

    def product(self, slug: str) -> Template:
        return Template.from_json(self.product_json(slug))

    def recipient_role_path(self) -> Path | None:
        """The recipient accounts' launch-role template (only with localLaunchRoleName)."""
        path = self.outdir / f"{RECIPIENT_ROLE_STACK_NAME}.template.json"
        return path if path.exists() else None

    def template_paths(self) -> list[Path]:
        recipient = self.recipient_role_path()
        return [self.outdir / self.stack.template_file] + [
            self.product_path(p.slug) for p in PRODUCTS
        ] + ([recipient] if recipient else [])


def synth_app(outdir: Path, **overrides: Any) -> Synth:
    app, stack = build_app(make_context(**overrides), outdir=str(outdir))
    app.synth()
    return Synth(outdir, stack)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The whole app, synthesized once with the test configuration."""
    return synth_app(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def synth_unshared(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The test configuration without sharing: a launch role per product."""
    return synth_app(tmp_path_factory.mktemp("cdk.out.unshared"), **UNSHARED)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failure: CI installs every service the tests need."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; failing the run",
                            red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
