"""Admin configuration: every bad value stops synth with a message naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from portfolio.app import build_app, known_versions
from portfolio.config import Bounds, ConfigError, from_context
from tests.conftest import make_context

VERSIONS = {"mlflow-core": ("v0", "v1"), "private-api": ("v1",), "notebook": ("v1",)}


def _config(**raw: Any):
    return from_context(raw, known_versions=VERSIONS)


@pytest.mark.parametrize(
    ("raw", "key", "hint"),
    [
        ({"portfolioNme": "x"}, "mlflow-platform", "unknown key(s) ['portfolioNme']"),
        ({"portfolioName": ""}, "mlflow-platform.portfolioName", "non-empty string"),
        ({"provider": "p" * 51}, "mlflow-platform.provider", "at most 50"),
        ({"principals": "arn:aws:iam::111111111111:role/x"}, "mlflow-platform.principals",
         "must be a list"),
        ({"principals": ["arn:aws:iam::1111:role/x"]}, "mlflow-platform.principals[0]",
         "IAM role, group or user ARN"),
        ({"principals": ["arn:aws:s3:::bucket"]}, "mlflow-platform.principals[0]", "IAM"),
        ({"principals": ["arn:aws:iam::111111111111:role/a"] * 2},
         "mlflow-platform.principals", "duplicates"),
        ({"shareAccounts": ["12345"]}, "mlflow-platform.shareAccounts[0]", "12-digit"),
        ({"shareOrganization": {"type": "ORG", "id": "o-abcdefghij"}},
         "mlflow-platform.shareOrganization", "ORGANIZATION"),
        ({"shareOrganization": {"type": "ORGANIZATION", "id": "ou-ab12-cdefghij"}},
         "mlflow-platform.shareOrganization", "o-abcdefghij"),
        ({"shareOrganization": {"type": "ORGANIZATION", "id": "o-abcdefghij", "x": 1}},
         "mlflow-platform.shareOrganization", "unknown key(s) ['x']"),
        ({"tagOptions": {"team": []}}, "mlflow-platform.tagOptions.team", "non-empty list"),
        ({"tagOptions": {"aws:team": ["a"]}}, "mlflow-platform.tagOptions.aws:team",
         "no aws: prefix"),
        ({"tagOptions": ["team"]}, "mlflow-platform.tagOptions", "map tag keys"),
        ({"bounds": {"maxTask": 3}}, "mlflow-platform.bounds", "unknown key(s) ['maxTask']"),
        ({"bounds": {"maxTasks": 0}}, "mlflow-platform.bounds.maxTasks", "from 1 to 20"),
        ({"bounds": {"maxTasks": 2.5}}, "mlflow-platform.bounds.maxTasks", "an integer"),
        ({"bounds": {"maxTasks": True}}, "mlflow-platform.bounds.maxTasks", "an integer"),
        ({"bounds": {"maxDatabaseCapacity": 100}},
         "mlflow-platform.bounds.maxDatabaseCapacity", "from 1 to 64"),
        ({"bounds": {"maxDatabaseCapacity": 2.25}},
         "mlflow-platform.bounds.maxDatabaseCapacity", "multiple of 0.5"),
        ({"bounds": {"notebookInstanceTypes": ["t3.medium"]}},
         "mlflow-platform.bounds.notebookInstanceTypes[0]", "ml.*"),
        ({"bounds": {"notebookInstanceTypes": []}},
         "mlflow-platform.bounds.notebookInstanceTypes", "at least one"),
        ({"notificationTopicArn": "arn:aws:sqs:us-east-1:111111111111:q"},
         "mlflow-platform.notificationTopicArn", "SNS topic ARN"),
        ({"localLaunchRoleName": "bad name!"}, "mlflow-platform.localLaunchRoleName",
         "IAM role name"),
        ({"supportEmail": "nobody"}, "mlflow-platform.supportEmail", "e-mail"),
        ({"deprecatedVersions": {"mlflow-cor": ["v0"]}},
         "mlflow-platform.deprecatedVersions.mlflow-cor", "unknown product"),
        ({"deprecatedVersions": {"mlflow-core": ["v9"]}},
         "mlflow-platform.deprecatedVersions.mlflow-core", "unknown version 'v9'"),
        ({"deprecatedVersions": {"mlflow-core": ["v1"]}},
         "mlflow-platform.deprecatedVersions.mlflow-core", "current version"),
    ],
)
def test_bad_value_is_refused_naming_the_key(raw: dict, key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        _config(**raw)
    message = str(err.value)
    assert f"cdk.json context {key}" in message
    assert hint in message


def test_defaults_are_a_valid_configuration() -> None:
    config = _config()
    assert config.name == "MLflow Platform"
    assert config.bounds == Bounds()
    assert config.principals == () and config.share_organization is None


def test_good_configuration_is_typed() -> None:
    config = _config(
        principals=["arn:aws:iam::111111111111:group/ml"],
        shareOrganization={"type": "ORGANIZATION", "id": "o-abcdefghij"},
        bounds={"maxTasks": 3, "maxDatabaseCapacity": 4.5,
                "notebookInstanceTypes": ["ml.t3.medium"]},
        deprecatedVersions={"mlflow-core": ["v0"]},
    )
    assert config.share_organization.type == "ORGANIZATION"
    assert config.bounds == Bounds(("ml.t3.medium",), 3, 4.5)
    assert config.deprecated_versions == {"mlflow-core": ("v0",)}


def test_repository_cdk_json_is_valid() -> None:
    from portfolio.app import cdk_json_context

    config = from_context(cdk_json_context()["mlflow-platform"], known_versions=known_versions())
    assert config.tag_options


def test_synth_stops_on_bad_configuration(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"mlflow-platform\.bounds\.maxTasks"):
        build_app(make_context(bounds={"maxTasks": 99}), outdir=str(tmp_path))
