"""Launch parameters: labelled, described, constrained, grouped; defaults are a dev launch."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers.rules import failed_assertions

NAMES_OTHERS_USE = {"DeploymentName", "MinTasks", "MaxTasks", "DatabaseMinCapacity",
                    "DatabaseMaxCapacity"}


def test_every_parameter_is_labelled_grouped_and_constrained(
        template_json: dict[str, Any]) -> None:
    interface = template_json["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = {p for g in interface["ParameterGroups"] for p in g["Parameters"]}
    for name, param in template_json["Parameters"].items():
        if name == "BootstrapVersion":
            continue
        assert name in grouped and name in interface["ParameterLabels"], name
        assert len(param["Description"]) > 20, name
        assert {"AllowedValues", "AllowedPattern", "MinValue"} & set(param), name


def test_names_the_portfolio_and_cli_rely_on_exist(template_json: dict[str, Any]) -> None:
    assert set(template_json["Parameters"]) >= NAMES_OTHERS_USE


def test_defaults_are_a_valid_cheap_dev_launch(template_json: dict[str, Any]) -> None:
    params = template_json["Parameters"]
    assert params["Profile"]["Default"] == "dev"
    assert params["CpuArchitecture"]["Default"] == "ARM64"
    assert params["DatabaseMinCapacity"]["Default"] == "0"
    assert params["ExistingVpcId"]["Default"] == ""
    assert "DeploymentName" not in {k for k, v in params.items() if "Default" in v}
    for name, param in params.items():
        default = param.get("Default")
        if default is None or name == "BootstrapVersion":
            continue
        if "AllowedValues" in param:
            assert str(default) in param["AllowedValues"], name
        if "AllowedPattern" in param:
            assert re.fullmatch(param["AllowedPattern"], str(default)), name
    assert failed_assertions(template_json, {"DeploymentName": "team-a"}) == []


def test_deployment_name_follows_the_contract(template_json: dict[str, Any]) -> None:
    pattern = template_json["Parameters"]["DeploymentName"]["AllowedPattern"]
    assert re.fullmatch(pattern, "team-a")
    assert not re.fullmatch(pattern, "Team_A")



def test_tls_host_name_is_lowercase_but_additional_names_keep_v1s_pattern(
        template_json: dict[str, Any]) -> None:
    params = template_json["Parameters"]
    tls = params["TlsHostName"]
    assert re.fullmatch(tls["AllowedPattern"], "mlflow.example.com")
    assert re.fullmatch(tls["AllowedPattern"], "")
    assert not re.fullmatch(tls["AllowedPattern"], "MLflow.Example.com")
    assert "lowercase" in tls["ConstraintDescription"]
    # v1 accepted capitals here: an update from v1 must not fail on a value that works.
    assert re.fullmatch(params["AdditionalHostNames"]["AllowedPattern"], "MLflow.Example.com")
