"""Admin configuration: every bad value stops synth with a message naming the key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from portfolio.app import (
    RECIPIENT_ROLE_STACK_NAME,
    build_app,
    cdk_json_context,
    known_versions,
    notebook_instance_types,
)
from portfolio.config import CONTEXT_KEY, Bounds, ConfigError, from_context
from products.notebook.parameters import INSTANCE_TYPES
from tests.conftest import make_context

VERSIONS = {"mlflow-core": ("v0", "v1"), "private-api": ("v1",), "notebook": ("v1",)}


def _config(**raw: Any):
    return from_context(raw, known_versions=VERSIONS,
                        notebook_instance_types=notebook_instance_types())


def _repository_context(**raw: Any) -> dict[str, Any]:
    """cdk.json's context with these platform keys replaced (no test settings on top)."""
    context = copy.deepcopy(cdk_json_context())
    context[CONTEXT_KEY] = {**context[CONTEXT_KEY], **raw}
    return context


def _with_real_versions(raw: dict[str, Any]) -> dict[str, Any]:
    """BAD_VALUES name VERSIONS' mlflow-core versions (v0 released, v1 current): the same
    roles among the repository's real versions, for the synth path."""
    *released, current = known_versions()["mlflow-core"]
    real = {"v0": released[-1], "v1": current}
    deprecated = raw.get("deprecatedVersions")
    if isinstance(deprecated, dict) and isinstance(deprecated.get("mlflow-core"), list):
        return {**raw, "deprecatedVersions": {**deprecated, "mlflow-core": [
            real.get(v, v) for v in deprecated["mlflow-core"]]}}
    return raw


BAD_VALUES = [
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
        ({"deprecatedVersions": {"mlflow-core": ["v0", "v0"]}},
         "mlflow-platform.deprecatedVersions.mlflow-core", "duplicates"),
        ({"deprecatedVersions": ["v0"]}, "mlflow-platform.deprecatedVersions",
         "must map product slugs"),
        ({"deprecatedVersions": "mlflow-core"}, "mlflow-platform.deprecatedVersions",
         "must map product slugs"),
        ({"deprecatedVersions": {"mlflow-core": "v0"}},
         "mlflow-platform.deprecatedVersions.mlflow-core", "must be a list"),
        ({"shareOrganization": "o-abcdefghij"}, "mlflow-platform.shareOrganization",
         "must be {"),
        ({"shareOrganization": ["ORGANIZATION", "o-abcdefghij"]},
         "mlflow-platform.shareOrganization", "must be {"),
        ({"shareAccounts": "222222222222"}, "mlflow-platform.shareAccounts", "must be a list"),
        ({"tagOptions": {"team": ["a", "b", "a"]}}, "mlflow-platform.tagOptions.team",
         "duplicate value(s) ['a']"),
        ({"tagOptions": {"team": [5]}}, "mlflow-platform.tagOptions.team",
         "value 5 must be a string"),
        ({"tagOptions": {"team": [""]}}, "mlflow-platform.tagOptions.team", "1-256"),
        ({"tagOptions": {"team": ["x" * 257]}}, "mlflow-platform.tagOptions.team", "1-256"),
        ({"tagOptions": {"team": "data-science"}}, "mlflow-platform.tagOptions.team",
         "non-empty list"),
        ({"tagOptions": {"bad key!": ["a"]}}, "mlflow-platform.tagOptions.bad key!",
         "not a valid tag key"),
        ({"bounds": ["ml.t3.medium"]}, "mlflow-platform.bounds", "must be an object"),
        ({"bounds": 4}, "mlflow-platform.bounds", "must be an object"),
        ({"bounds": {"notebookInstanceTypes": "ml.t3.medium"}},
         "mlflow-platform.bounds.notebookInstanceTypes", "must be a list"),
        ({"bounds": {"notebookInstanceTypes": ["ml.t3.medium", "ml.p5.48xlarge"]}},
         "mlflow-platform.bounds.notebookInstanceTypes",
         "['ml.p5.48xlarge'] not offered by the notebook product"),
        ({"bounds": {"notebookInstanceTypes": ["ml.t3.medium", "ml.t3.medium"]}},
         "mlflow-platform.bounds.notebookInstanceTypes", "duplicates"),
        ({"portfolioName": 7}, "mlflow-platform.portfolioName", "non-empty string"),
        ({"description": "d" * 2001}, "mlflow-platform.description", "at most 2000"),
        ({"localLaunchRoleName": 5}, "mlflow-platform.localLaunchRoleName", "IAM role name"),
        ({"selfServiceActions": "yes"}, "mlflow-platform.selfServiceActions",
         "must be true or false"),
        ({"selfServiceActions": None}, "mlflow-platform.selfServiceActions",
         "must be true or false"),
        ({"shareAccounts": ["222222222222"]}, "mlflow-platform.localLaunchRoleName",
         "required when the portfolio is shared"),
        ({"shareOrganization": {"type": "ORGANIZATION", "id": "o-abcdefghij"}},
         "mlflow-platform.localLaunchRoleName", "required when the portfolio is shared"),
]


@pytest.mark.parametrize(("raw", "key", "hint"), BAD_VALUES)
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
        localLaunchRoleName="MlflowPlatformLaunch",
        bounds={"maxTasks": 3, "maxDatabaseCapacity": 4.5,
                "notebookInstanceTypes": ["ml.t3.medium"]},
        deprecatedVersions={"mlflow-core": ["v0"]},
    )
    assert config.share_organization.type == "ORGANIZATION"
    assert config.bounds == Bounds(("ml.t3.medium",), 3, 4.5)
    assert config.deprecated_versions == {"mlflow-core": ("v0",)}


def test_repository_cdk_json_is_valid() -> None:
    config = from_context(cdk_json_context()["mlflow-platform"], known_versions=known_versions(),
                          notebook_instance_types=notebook_instance_types())
    assert config.tag_options


def test_synth_stops_on_bad_configuration(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"mlflow-platform\.bounds\.maxTasks"):
        build_app(make_context(bounds={"maxTasks": 99}), outdir=str(tmp_path))


@pytest.mark.parametrize(("raw", "key", "hint"), BAD_VALUES)
def test_synth_stops_on_each_bad_value_naming_the_key(
        raw: dict, key: str, hint: str, tmp_path) -> None:
    """The same cases through build_app (what `python app.py` and `cdk synth` run), on top
    of the repository's cdk.json."""
    with pytest.raises(ConfigError) as err:
        build_app(_repository_context(**_with_real_versions(raw)), outdir=str(tmp_path))
    assert f"cdk.json context {key}" in str(err.value)
    assert hint in str(err.value)
    assert not list(tmp_path.iterdir()), "synth wrote output before refusing the config"


@pytest.mark.parametrize("raw", ["MLflow Platform", ["portfolioName"], 3, True])
def test_synth_stops_when_the_platform_key_is_not_an_object(raw: Any, tmp_path) -> None:
    context = _repository_context()
    context[CONTEXT_KEY] = raw
    with pytest.raises(ConfigError, match=r"^cdk\.json context mlflow-platform: must be an "
                       "object$"):
        build_app(context, outdir=str(tmp_path))


def test_sharing_error_says_how_to_create_the_recipients_role() -> None:
    with pytest.raises(ConfigError) as err:
        _config(shareAccounts=["222222222222"])
    assert RECIPIENT_ROLE_STACK_NAME in str(err.value) and "StackSet" in str(err.value)
    shared = _config(shareAccounts=["222222222222"], localLaunchRoleName="MlflowLaunch")
    assert shared.local_launch_role_name == "MlflowLaunch"


def test_notebook_bounds_may_name_any_type_the_product_offers() -> None:
    assert set(notebook_instance_types()) == set(INSTANCE_TYPES)
    every = _config(bounds={"notebookInstanceTypes": list(INSTANCE_TYPES)})
    assert every.bounds.notebook_instance_types == INSTANCE_TYPES
