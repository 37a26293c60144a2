"""Upgrade safety: would updating a released product version to a newer one lose data?

CloudFormation replaces a resource when its logical ID disappears (delete + create) or when
a replacement-forcing property changes. For stateful resources that means a new, empty
bucket, database or secret. `stateful_changes(old, new)` lists every such change between
two templates; an empty list means the update keeps the data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Template = Mapping[str, Any]

# Properties whose change makes CloudFormation replace the resource ("Update requires:
# Replacement" in the resource reference), or silently regenerate a secret value
# (GenerateSecretString), for the stateful types the products create.
REPLACEMENT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketName", "ObjectLockEnabled"),
    "AWS::RDS::DBCluster": (
        "DBClusterIdentifier", "DatabaseName", "Engine", "EngineMode", "KmsKeyId",
        "MasterUsername", "SnapshotIdentifier", "SourceDBClusterIdentifier",
        "SourceRegion", "StorageEncrypted", "DBSubnetGroupName", "AvailabilityZones",
        "RestoreType", "UseLatestRestorableTime",
    ),
    "AWS::SecretsManager::Secret": ("Name", "GenerateSecretString"),
}
STATEFUL_TYPES = frozenset(REPLACEMENT_PROPERTIES)
KEEPING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})


def stateful_changes(old: Template, new: Template) -> list[str]:
    """Human-readable list of data-losing differences (empty: the upgrade is safe)."""
    problems: list[str] = []
    new_resources = new.get("Resources", {})
    for logical_id, before in old.get("Resources", {}).items():
        type_ = before.get("Type")
        if type_ not in STATEFUL_TYPES:
            continue
        after = new_resources.get(logical_id)
        if after is None:
            problems.append(f"{logical_id} ({type_}) is gone: renamed or removed")
            continue
        if after.get("Type") != type_:
            problems.append(f"{logical_id} changed type {type_} -> {after.get('Type')}")
            continue
        problems += _property_changes(logical_id, type_, before, after)
        problems += _policy_changes(logical_id, before, after)
    return problems


def _property_changes(logical_id: str, type_: str, before: Mapping[str, Any],
                      after: Mapping[str, Any]) -> list[str]:
    old_props, new_props = before.get("Properties", {}), after.get("Properties", {})
    return [
        f"{logical_id} ({type_}): {name} changed, which replaces it "
        f"({json.dumps(old_props.get(name))} -> {json.dumps(new_props.get(name))})"
        for name in REPLACEMENT_PROPERTIES[type_]
        if old_props.get(name) != new_props.get(name)
    ]


def _policy_changes(logical_id: str, before: Mapping[str, Any], after: Mapping[str, Any]
                    ) -> list[str]:
    kept = before.get("DeletionPolicy") in KEEPING_POLICIES
    if kept and after.get("DeletionPolicy") not in KEEPING_POLICIES:
        return [f"{logical_id}: DeletionPolicy {before.get('DeletionPolicy')} -> "
                f"{after.get('DeletionPolicy', 'Delete')}"]
    return []


def snapshot_path(snapshot_dir: Path, stack_id_part: str, version: str) -> Path:
    """The committed snapshot of one product version (exactly one must exist)."""
    matches = sorted(snapshot_dir.glob(f"*{stack_id_part}*.{version}.product.template.json"))
    if len(matches) != 1:
        raise FileNotFoundError(
            f"expected one snapshot of {stack_id_part} {version} in {snapshot_dir}, "
            f"found {[m.name for m in matches]}")
    return matches[0]
