"""The condition evaluator the product tests rely on (tests/helpers/conditions.py)."""

from __future__ import annotations

import pytest

from tests.helpers.conditions import ConditionError, evaluate_conditions, launched

TEMPLATE = {
    "Parameters": {"Auth": {"Type": "String", "Default": "NONE"},
                   "Domain": {"Type": "String", "Default": ""}},
    "Conditions": {
        "IsIam": {"Fn::Equals": [{"Ref": "Auth"}, "AWS_IAM"]},
        "HasDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Domain"}, ""]}]},
        "IamWithDomain": {"Fn::And": [{"Condition": "IsIam"}, {"Condition": "HasDomain"}]},
        "Either": {"Fn::Or": [{"Condition": "IsIam"}, {"Condition": "HasDomain"}]},
    },
    "Resources": {
        "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Condition": "IsIam", "Properties": {}},
        "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "AuthorizationType": {"Fn::If": ["IsIam", "AWS_IAM", "NONE"]},
            "AuthorizerId": {"Fn::If": ["IsIam", {"Ref": "AWS::NoValue"}, "x"]}}},
    },
}


def test_defaults_and_overrides_drive_every_function() -> None:
    assert evaluate_conditions(TEMPLATE) == {
        "IsIam": False, "HasDomain": False, "IamWithDomain": False, "Either": False}
    assert evaluate_conditions(TEMPLATE, {"Auth": "AWS_IAM", "Domain": "a.example"}) == {
        "IsIam": True, "HasDomain": True, "IamWithDomain": True, "Either": True}


def test_launched_drops_conditional_resources_and_resolves_fn_if() -> None:
    iam = launched(TEMPLATE, {"Auth": "AWS_IAM"})["Resources"]
    assert set(iam) == {"Policy", "Route"}
    assert iam["Route"]["Properties"] == {"AuthorizationType": "AWS_IAM"}
    none = launched(TEMPLATE)["Resources"]
    assert set(none) == {"Route"}
    assert none["Route"]["Properties"] == {"AuthorizationType": "NONE", "AuthorizerId": "x"}


def test_unknown_parameters_and_functions_fail_loudly() -> None:
    with pytest.raises(KeyError):
        evaluate_conditions(TEMPLATE, {"Nope": "1"})
    bad = {**TEMPLATE, "Conditions": {"X": {"Fn::Equals": [{"Fn::GetAtt": ["a", "b"]}, "1"]}}}
    with pytest.raises(ConditionError):
        evaluate_conditions(bad)
