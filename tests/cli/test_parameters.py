"""Parsing and client-side validation of launch parameters (no AWS involved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlflow_platform.cli.errors import ValidationError
from mlflow_platform.cli.parameters import (
    ParameterDef,
    load_params_file,
    masked,
    parse_pairs,
    resolve_parameters,
)

SECRET = ParameterDef("AdminPassword", no_echo=True, allowed_pattern=r"[A-Za-z0-9]{12,}",
                      constraint_description="12+ letters or digits")
SUBNETS = ParameterDef("Subnets", type="List<AWS::EC2::Subnet::Id>",
                       allowed_pattern=r"subnet-[0-9a-f]{8}")


def test_pairs_keep_values_with_equals_signs() -> None:
    assert parse_pairs(["A=1", "B=x=y", "A=2"], "parameter") == {"A": "2", "B": "x=y"}


def test_pair_without_equals_is_rejected() -> None:
    with pytest.raises(ValidationError, match="parameter 'Profile' is not KEY=VALUE"):
        parse_pairs(["Profile"], "parameter")


def test_params_file_accepts_an_object_or_the_aws_cli_list(tmp_path: Path) -> None:
    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps({"Profile": "prod", "BackupRetentionDays": 14, "On": True}))
    cli = tmp_path / "cli.json"
    cli.write_text(json.dumps([{"ParameterKey": "Profile", "ParameterValue": "dev"}]))
    assert load_params_file(str(obj)) == {"Profile": "prod", "BackupRetentionDays": "14",
                                          "On": "true"}
    assert load_params_file(str(cli)) == {"Profile": "dev"}


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"A": {"nested": 1}}'])
def test_bad_params_file_names_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValidationError, match=r"bad\.json"):
        load_params_file(str(path))


def test_missing_params_file_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read parameters file"):
        load_params_file(str(tmp_path / "none.json"))


def test_no_echo_values_never_appear_in_errors_or_output() -> None:
    with pytest.raises(ValidationError) as err:
        resolve_parameters([SECRET], {"AdminPassword": "short-secret!"})
    assert "short-secret" not in str(err.value) and "****" in str(err.value)
    assert masked([SECRET], {"AdminPassword": "x" * 12}) == {"AdminPassword": "****"}


def test_list_parameters_check_every_item() -> None:
    assert resolve_parameters([SUBNETS], {"Subnets": "subnet-0123abcd,subnet-4567ef01"})
    with pytest.raises(ValidationError, match="'subnet-xyz' does not match"):
        resolve_parameters([SUBNETS], {"Subnets": "subnet-0123abcd,subnet-xyz"})


def test_all_problems_are_reported_at_once() -> None:
    defs = [ParameterDef("A", allowed_values=("x",)), ParameterDef("B")]
    with pytest.raises(ValidationError, match="3 invalid parameters") as err:
        resolve_parameters(defs, {"A": "y", "C": "1"})
    assert len(err.value.problems) == 3


def test_previous_values_satisfy_required_parameters_on_update() -> None:
    assert resolve_parameters([ParameterDef("DeploymentName")], {},
                              previous=["DeploymentName"]) == {}


def test_empty_default_is_not_required() -> None:
    assert resolve_parameters([ParameterDef("ExistingVpcId", default="")], {}) == {}


def test_constraint_text_summarises_what_is_accepted() -> None:
    d = ParameterDef.from_api({"ParameterKey": "Days", "ParameterType": "Number",
                               "ParameterConstraints": {"MinValue": "1", "MaxValue": "35",
                                                        "ConstraintDescription": "days"}})
    assert d.constraint_text() == "days; 1..35"
