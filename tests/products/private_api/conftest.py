"""Fixtures of the private API product: its synthesized template, raw and as Template."""

from tests.helpers.product_fixtures import product_template_fixtures

SLUG = "private-api"
template_json, template = product_template_fixtures(SLUG)
