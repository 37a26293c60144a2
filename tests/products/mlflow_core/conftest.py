"""Fixtures of the MLflow core product: its synthesized template, raw, as Template, and
as launched with given parameter values (conditions applied)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.conditions import launched, parameter_values
from tests.helpers.product_fixtures import product_template_fixtures

SLUG = "mlflow-core"
template_json, template = product_template_fixtures(SLUG)


@pytest.fixture(scope="module")
def launch(template_json: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """launch(Profile="prod", ...) -> the resources and outputs such a launch creates,
    with Fn::If chosen and Ref of parameters replaced by their values."""

    def _launch(**values: str) -> dict[str, Any]:
        overrides = {"DeploymentName": "team-a", **values}
        params = parameter_values(template_json, overrides)
        return _substitute(launched(template_json, overrides), params)

    return _launch



def _substitute(node: Any, params: dict[str, str]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in params:
            return params[node["Ref"]]
        return {k: _substitute(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, params) for v in node]
    return node
