"""The two fixtures every product's tests start from: its template, raw and as Template."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template


def product_template_fixtures(slug: str) -> tuple[Any, Any]:
    """(template_json, template) module fixtures of one product's synthesized template.

    Assign both in the product's conftest: `template_json, template = ...("notebook")`.
    """

    @pytest.fixture(scope="module")
    def template_json(synth: Any) -> dict[str, Any]:
        return synth.product_json(slug)

    @pytest.fixture(scope="module")
    def template(template_json: dict[str, Any]) -> Template:
        return Template.from_json(template_json)

    return template_json, template
