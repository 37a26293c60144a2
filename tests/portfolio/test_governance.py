"""Template constraints: built from the admin's bounds, on real parameters, lint-clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlflow_platform.catalog import MLFLOW_CORE, NOTEBOOK
from portfolio import governance
from portfolio.config import Bounds
from tests.conftest import Synth
from tests.helpers.cfn_lint import describe, lint

CONSTRAINT = "AWS::ServiceCatalog::LaunchTemplateConstraint"


def _rules_for(synth: Synth, product_name: str) -> dict[str, Any]:
    template = synth.portfolio_json()
    product_id = next(
        k for k, r in template["Resources"].items()
        if r["Type"] == "AWS::ServiceCatalog::CloudFormationProduct"
        and r["Properties"]["Name"] == product_name
    )
    rules: dict[str, Any] = {}
    for res in template["Resources"].values():
        if res["Type"] == CONSTRAINT and res["Properties"]["ProductId"] == {"Ref": product_id}:
            rules.update(json.loads(res["Properties"]["Rules"]))
    return rules


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return {node["Ref"]}
        return set().union(*(_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


@pytest.mark.parametrize("spec", [MLFLOW_CORE, NOTEBOOK], ids=lambda s: s.slug)
def test_rules_refer_to_real_parameters_of_their_product(synth: Synth, spec) -> None:
    rules = _rules_for(synth, spec.name)
    assert rules, f"{spec.name} has no template constraint"
    params = set(synth.product_json(spec.slug)["Parameters"])
    assert _refs(rules) and _refs(rules) <= params


def test_default_bounds_become_allowed_value_lists(synth: Synth) -> None:
    rules = _rules_for(synth, MLFLOW_CORE.name)
    max_tasks = rules["TaskBounds"]["Assertions"][0]["Assert"]["Fn::Contains"][0]
    assert max_tasks == ["1", "2", "3", "4"]
    acu = rules["DatabaseCapacityBounds"]["Assertions"][0]["Assert"]["Fn::Contains"][0]
    assert acu[0] == "1" and acu[-1] == "8" and "8.5" not in acu
    notebook = _rules_for(synth, NOTEBOOK.name)["NotebookInstanceTypes"]
    assert notebook["Assertions"][0]["Assert"]["Fn::Contains"][0] == [
        "ml.t3.medium", "ml.t3.large", "ml.m5.xlarge"]
    assert "portfolio limit" in notebook["Assertions"][0]["AssertDescription"]


@pytest.mark.parametrize("spec", [MLFLOW_CORE, NOTEBOOK], ids=lambda s: s.slug)
def test_rules_merged_into_the_product_template_pass_cfn_lint(
    synth: Synth, spec, tmp_path: Path
) -> None:
    template = synth.product_json(spec.slug)
    template.setdefault("Rules", {}).update(_rules_for(synth, spec.name))
    merged = tmp_path / f"{spec.slug}.merged.json"
    merged.write_text(json.dumps(template))
    findings = lint([merged])
    assert not findings, describe(findings)


def test_a_bound_outside_the_products_allowed_values_is_refused() -> None:
    # A constraint allowing values the product rejects would mislead the console user.
    with pytest.raises(ValueError, match="MaxTasks"):
        governance._within(governance.CORE_PARAMETERS, "MaxTasks", ["0"], "test")


def test_a_rule_on_a_parameter_the_product_lacks_is_refused() -> None:
    with pytest.raises(KeyError, match="NoSuchParameter"):
        governance._within(governance.CORE_PARAMETERS, "NoSuchParameter", ["1"], "test")


def test_narrower_bounds_give_narrower_rules() -> None:
    rules = governance.core_rules(Bounds(max_tasks=2, max_database_capacity=1.5))
    assert [r.rule_name for r in rules] == ["TaskBounds", "DatabaseCapacityBounds"]
    assert set(governance.TEMPLATE_RULES) == {MLFLOW_CORE.slug, NOTEBOOK.slug}
    assert governance._up_to(governance.CORE_PARAMETERS, "MaxTasks", 2) == ["1", "2"]
    assert governance._up_to(governance.CORE_PARAMETERS, "DatabaseMaxCapacity", 1.5) == [
        "1", "1.5"]
