"""Fixtures of the notebook product: its synthesized template, raw and as Template."""

from tests.helpers.product_fixtures import product_template_fixtures

SLUG = "notebook"
template_json, template = product_template_fixtures(SLUG)
