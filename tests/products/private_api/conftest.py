"""Fixtures of the private API product: its synthesized template, raw and as Template."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

SLUG = "private-api"


@pytest.fixture(scope="module")
def template_json(synth: Any) -> dict[str, Any]:
    return synth.product_json(SLUG)


@pytest.fixture(scope="module")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)
