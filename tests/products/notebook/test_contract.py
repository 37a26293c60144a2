"""Contract: the notebook reads only what MLflow core (and the private API) publish."""

from __future__ import annotations

from typing import Any

from mlflow_platform import contract
from tests.helpers.contract import ssm_keys_read, ssm_keys_written, unparsed_ssm_references

CORE_KEYS = {k.name for k in contract.CORE_KEYS}
API_KEYS = {k.name for k in contract.API_KEYS}


def test_reads_core_values_and_the_private_api_invoke_arn(template_json: dict[str, Any]) -> None:
    read = ssm_keys_read(template_json)
    # shared-login-secret-arn, not credentials-secret-arn: in per-user mode the latter is the
    # admin's login, which a notebook must never be able to read.
    assert read == {"shared-login-secret-arn", "notebook-subnet-id", "client-security-group-id",
                    "notebook-security-group-id", "notebook-direct-internet-access",
                    "api-invoke-arn"}
    assert read <= CORE_KEYS | API_KEYS
    assert unparsed_ssm_references(template_json) == []


def test_private_api_values_are_read_only_by_conditional_resources(
    template_json: dict[str, Any]
) -> None:
    # The private API may not exist: an unconditional reference to it would fail every launch.
    for resource in template_json["Resources"].values():
        if ssm_keys_read({"Resources": {"r": resource}}) & API_KEYS:
            assert resource.get("Condition") == "UsesPrivateApi"


def test_private_api_template_writes_what_the_notebook_reads(
    synth: Any, template_json: dict[str, Any]
) -> None:
    api_written = ssm_keys_written(synth.product_json("private-api"))
    assert ssm_keys_read(template_json) & API_KEYS <= api_written


def test_core_template_writes_what_the_notebook_reads(
    synth: Any, template_json: dict[str, Any]
) -> None:
    written = ssm_keys_written(synth.product_json("mlflow-core"))
    assert written
    assert ssm_keys_read(template_json) & CORE_KEYS <= written
