"""Upgrade safety: updating from the first released version keeps every stateful resource.

The first released version is the oldest one in the catalog; its committed snapshot is
compared with the current template. While v1 is the only (unlocked) version its snapshot is
rewritten by each synth, so the comparison is trivially clean today; the synthetic cases
below prove the helper fails when it must.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mlflow_platform.catalog import MLFLOW_CORE
from portfolio.app import SNAPSHOT_DIR
from tests.helpers.upgrade_safety import (
    STATEFUL_TYPES,
    snapshot_path,
    stateful_changes,
)

STACK_ID_PART = "MlflowCoreProduct"


def test_current_template_keeps_the_stateful_resources_of_the_first_release(
        synth: Any, template_json: dict[str, Any]) -> None:
    first = MLFLOW_CORE.versions[0]
    released = json.loads(snapshot_path(SNAPSHOT_DIR, STACK_ID_PART, first.name).read_text())
    assert stateful_changes(released, template_json) == []


def test_stateful_resources_are_retained_or_snapshotted(template_json: dict[str, Any]) -> None:
    policies = {k: v.get("DeletionPolicy") for k, v in template_json["Resources"].items()
                if v["Type"] in STATEFUL_TYPES}
    expected = {"ArtifactsBucket": "Retain", "DatabaseCluster": "Snapshot",
                "DatabaseSecret": "Retain", "CredentialsLogin": "Retain",
                # A new session key only logs users out: not worth a leftover secret.
                "CredentialsFlaskKey": "Delete"}
    assert {_prefix(k, expected): p for k, p in policies.items()} == expected


def _prefix(logical_id: str, known: dict[str, str]) -> str:
    return next(p for p in known if logical_id.startswith(p))


# --- the helper itself, on synthetic changes -------------------------------------------

def _logical_id(template: dict[str, Any], type_: str, contains: str = "") -> str:
    return next(k for k, v in template["Resources"].items()
                if v["Type"] == type_ and contains in k)


@pytest.fixture
def changed(template_json: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(template_json)


def test_helper_reports_a_renamed_bucket(template_json: dict[str, Any],
                                         changed: dict[str, Any]) -> None:
    bucket = _logical_id(changed, "AWS::S3::Bucket")
    changed["Resources"][bucket + "V2"] = changed["Resources"].pop(bucket)
    assert stateful_changes(template_json, changed) == [
        f"{bucket} (AWS::S3::Bucket) is gone: renamed or removed"]


@pytest.mark.parametrize(("type_", "prop", "value"), [
    ("AWS::RDS::DBCluster", "DatabaseName", "mlflow2"),
    ("AWS::RDS::DBCluster", "StorageEncrypted", False),
    ("AWS::S3::Bucket", "BucketName", "fixed-name"),
    ("AWS::SecretsManager::Secret", "GenerateSecretString", {"PasswordLength": 8}),
])
def test_helper_reports_replacing_property_changes(
        template_json: dict[str, Any], changed: dict[str, Any], type_: str, prop: str,
        value: Any) -> None:
    logical_id = _logical_id(changed, type_)
    changed["Resources"][logical_id]["Properties"][prop] = value
    (problem,) = stateful_changes(template_json, changed)
    assert problem.startswith(f"{logical_id} ({type_}): {prop} changed")


def test_helper_reports_a_weakened_deletion_policy(template_json: dict[str, Any],
                                                   changed: dict[str, Any]) -> None:
    cluster = _logical_id(changed, "AWS::RDS::DBCluster")
    del changed["Resources"][cluster]["DeletionPolicy"]
    assert stateful_changes(template_json, changed) == [
        f"{cluster}: DeletionPolicy Snapshot -> Delete"]


def test_helper_ignores_in_place_changes_and_stateless_resources(
        template_json: dict[str, Any], changed: dict[str, Any]) -> None:
    cluster = _logical_id(changed, "AWS::RDS::DBCluster")
    changed["Resources"][cluster]["Properties"]["BackupRetentionPeriod"] = 14
    service = _logical_id(changed, "AWS::ECS::Service")
    changed["Resources"][service + "Renamed"] = changed["Resources"].pop(service)
    assert stateful_changes(template_json, changed) == []
