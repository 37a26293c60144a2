"""The MLflow core template passes cfn-lint.

Ignored: W3005 everywhere (tests/helpers/lint.py). W1035 only on the load balancer and the
ECS service, in the template itself (cfn-lint metadata, see
products/mlflow_core/constructs/network.py: it resolves Fn::Select over ExistingSubnetIds
with the empty default in a branch only taken when two subnet IDs are given).
"""

from __future__ import annotations

from typing import Any

from tests.helpers.lint import cfn_lint


def test_template_is_cfn_lint_clean(synth: Any) -> None:
    result = cfn_lint(synth.product_path("mlflow-core"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_ignores_stay_on_the_subnet_consumers(template_json: dict[str, Any]) -> None:
    ignoring = {k: v["Type"] for k, v in template_json["Resources"].items()
                if "cfn-lint" in v.get("Metadata", {})}
    assert sorted(ignoring.values()) == ["AWS::ECS::Service",
                                         "AWS::ElasticLoadBalancingV2::LoadBalancer"]
    for logical_id in ignoring:
        config = template_json["Resources"][logical_id]["Metadata"]["cfn-lint"]["config"]
        assert config == {"ignore_checks": ["W1035"]}
