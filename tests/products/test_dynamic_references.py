"""Dynamic references ({{resolve:...}}) are resolved after intrinsic functions run, so an
Fn::Split (or Fn::Select over one) never sees the resolved value: splitting one yields the
whole reference, and the resource gets every item as one string. Readers of a list take a
value published whole instead (contract: notebook-subnet-id)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mlflow_platform.catalog import PRODUCTS
from tests.conftest import Synth


def _splits(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::Split":
                yield path, value
            yield from _splits(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _splits(value, f"{path}/{index}")


def splits_of_dynamic_references(template: dict[str, Any]) -> list[str]:
    return [path for path, (_, source) in _splits(template.get("Resources", {}))
            if "{{resolve:" in json.dumps(source)]


@pytest.mark.parametrize("spec", PRODUCTS, ids=lambda p: p.slug)
def test_no_template_splits_a_dynamic_reference(synth: Synth, spec: Any) -> None:
    assert splits_of_dynamic_references(synth.product_json(spec.slug)) == []


def test_the_check_finds_a_split_reference() -> None:
    resolve = {"Fn::Join": ["", ["{{resolve:ssm:/p/", {"Ref": "D"}, "/private-subnet-ids}}"]]}
    template = {"Resources": {"Nb": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": {
        "SubnetId": {"Fn::Select": [0, {"Fn::Split": [",", resolve]}]},
        "Tags": [{"Key": "k", "Value": {"Fn::Split": [",", {"Ref": "Plain"}]}}]}}}}
    assert splits_of_dynamic_references(template) == ["/Nb/Properties/SubnetId/Fn::Select/1"]
