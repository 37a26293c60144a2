"""Admin configuration: the `mlflow-platform` key of the cdk.json context, typed and validated.

`app.py` reads the context once and builds a `PortfolioConfig`; nothing below reads
context on its own. Every validation error names the key and what is allowed, so a
typo stops `cdk synth` with a message instead of deploying something unintended.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlflow_platform.catalog import PORTFOLIO_NAME

CONTEXT_KEY = "mlflow-platform"

_ACCOUNT = re.compile(r"^\d{12}$")
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|group|user)/[\w+=,.@/-]{1,512}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_OU = re.compile(r"^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$")
_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_TAG_KEY = re.compile(r"^[\w .:/=+@-]{1,128}$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Upper limits of what the products can express; the bounds may only narrow them.
MAX_TASKS_LIMIT = 20
MAX_DB_CAPACITY_LIMIT = 64


class ConfigError(ValueError):
    """Bad admin configuration. The message names the cdk.json key."""


@dataclass(frozen=True)
class Bounds:
    """Template-constraint bounds applied to the products at launch."""

    notebook_instance_types: tuple[str, ...] = ("ml.t3.medium", "ml.t3.large", "ml.m5.xlarge")
    max_tasks: int = 4
    max_database_capacity: float = 8.0


@dataclass(frozen=True)
class OrganizationShare:
    """Share the portfolio with an AWS Organization or an organizational unit."""

    type: str  # ORGANIZATION or ORGANIZATIONAL_UNIT
    id: str


@dataclass(frozen=True)
class PortfolioConfig:
    name: str = PORTFOLIO_NAME
    provider: str = "ML platform team"
    description: str = "Self-service MLflow: tracking server, private API and notebooks."
    support_email: str | None = None
    principals: tuple[str, ...] = ()
    share_accounts: tuple[str, ...] = ()
    share_organization: OrganizationShare | None = None
    tag_options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bounds: Bounds = Bounds()
    notification_topic_arn: str | None = None
    local_launch_role_name: str | None = None
    # The MLflow core self-service actions (restart, rotate login). They act on whatever
    # deployment name the user types (SECURITY.md): off where teams share an account.
    self_service_actions: bool = True
    # product slug -> version names with guidance DEPRECATED (no new launches).
    deprecated_versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_KEYS = {
    "portfolioName": "name",
    "provider": "provider",
    "description": "description",
    "supportEmail": "support_email",
    "principals": "principals",
    "shareAccounts": "share_accounts",
    "shareOrganization": "share_organization",
    "tagOptions": "tag_options",
    "bounds": "bounds",
    "notificationTopicArn": "notification_topic_arn",
    "localLaunchRoleName": "local_launch_role_name",
    "selfServiceActions": "self_service_actions",
    "deprecatedVersions": "deprecated_versions",
}
_BOUND_KEYS = {
    "notebookInstanceTypes": "notebook_instance_types",
    "maxTasks": "max_tasks",
    "maxDatabaseCapacity": "max_database_capacity",
}


def _key(path: str) -> str:
    return f"{CONTEXT_KEY}.{path}"


def _fail(path: str, message: str) -> ConfigError:
    return ConfigError(f"cdk.json context {_key(path)}: {message}")


def _check_unknown(raw: Mapping[str, Any], allowed: Mapping[str, str], path: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"cdk.json context {path or CONTEXT_KEY}: unknown key(s) {unknown}; "
            f"allowed: {sorted(allowed)}"
        )


def _text(raw: Any, path: str, *, max_len: int = 100) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > max_len:
        raise _fail(path, f"must be a non-empty string of at most {max_len} characters")
    return raw


def _list_of(raw: Any, path: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise _fail(path, f"must be a list of {what}")
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not pattern.match(item):
            raise _fail(f"{path}[{i}]", f"{item!r} is not {what}")
    if len(set(raw)) != len(raw):
        raise _fail(path, "contains duplicates")
    return tuple(raw)


def _optional(raw: Any, path: str, pattern: re.Pattern[str], what: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not pattern.match(raw):
        raise _fail(path, f"{raw!r} is not {what}")
    return raw


def _flag(raw: Any, path: str) -> bool:
    if not isinstance(raw, bool):
        raise _fail(path, f"must be true or false, got {raw!r}")
    return raw


def _organization(raw: Any) -> OrganizationShare | None:
    if raw is None:
        return None
    path = "shareOrganization"
    if not isinstance(raw, dict):
        raise _fail(path, 'must be {"type": "ORGANIZATION"|"ORGANIZATIONAL_UNIT", "id": ...}')
    _check_unknown(raw, {"type": "", "id": ""}, _key(path))
    kind, ident = raw.get("type"), raw.get("id")
    if kind == "ORGANIZATION" and isinstance(ident, str) and _ORG.match(ident):
        return OrganizationShare(kind, ident)
    if kind == "ORGANIZATIONAL_UNIT" and isinstance(ident, str) and _OU.match(ident):
        return OrganizationShare(kind, ident)
    raise _fail(
        path,
        f"type {kind!r} with id {ident!r} is not allowed: use ORGANIZATION with an id "
        "like o-abcdefghij, or ORGANIZATIONAL_UNIT with an id like ou-ab12-cdefghij",
    )


def _tag_options(raw: Any) -> dict[str, tuple[str, ...]]:
    path = "tagOptions"
    if not isinstance(raw, dict):
        raise _fail(path, "must map tag keys to lists of allowed values")
    out: dict[str, tuple[str, ...]] = {}
    for key, values in raw.items():
        if not _TAG_KEY.match(key) or key.lower().startswith("aws:"):
            raise _fail(f"{path}.{key}", "is not a valid tag key (1-128 chars, no aws: prefix)")
        if not isinstance(values, list) or not values:
            raise _fail(f"{path}.{key}", "must be a non-empty list of allowed values")
        for value in values:
            if not isinstance(value, str) or not 1 <= len(value) <= 256:
                raise _fail(f"{path}.{key}", f"value {value!r} must be a string of 1-256 chars")
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            # Service Catalog keeps one TagOption per key and value: a repeat would be a
            # second resource for the same option and fail the deployment.
            raise _fail(f"{path}.{key}", f"contains duplicate value(s) {duplicates}")
        out[key] = tuple(values)
    return out


def _number(raw: Any, path: str, low: float, high: float, *, integer: bool) -> float:
    kinds = (int,) if integer else (int, float)
    if isinstance(raw, bool) or not isinstance(raw, kinds) or not low <= raw <= high:
        kind = "an integer" if integer else "a number"
        raise _fail(path, f"must be {kind} from {low:g} to {high:g}, got {raw!r}")
    return raw


def _bounds(raw: Any, notebook_instance_types: Sequence[str]) -> Bounds:
    if not isinstance(raw, dict):
        raise _fail("bounds", f"must be an object with keys {sorted(_BOUND_KEYS)}")
    _check_unknown(raw, _BOUND_KEYS, _key("bounds"))
    default = Bounds()
    types = raw.get("notebookInstanceTypes", list(default.notebook_instance_types))
    types = _list_of(types, "bounds.notebookInstanceTypes", _INSTANCE_TYPE, "an ml.* type")
    if not types:
        raise _fail("bounds.notebookInstanceTypes", "must name at least one instance type")
    # The bound narrows the notebook product's InstanceType: a type the product rejects
    # would be offered by the constraint and then refused at launch.
    unsupported = [t for t in types if t not in notebook_instance_types]
    if unsupported:
        raise _fail("bounds.notebookInstanceTypes",
                    f"{unsupported} not offered by the notebook product; allowed: "
                    f"{list(notebook_instance_types)}")
    tasks = _number(raw.get("maxTasks", default.max_tasks), "bounds.maxTasks", 1,
                    MAX_TASKS_LIMIT, integer=True)
    acu = _number(raw.get("maxDatabaseCapacity", default.max_database_capacity),
                  "bounds.maxDatabaseCapacity", 1, MAX_DB_CAPACITY_LIMIT, integer=False)
    if acu * 2 != int(acu * 2):
        raise _fail("bounds.maxDatabaseCapacity", "must be a multiple of 0.5 (Aurora ACUs)")
    return Bounds(types, int(tasks), float(acu))


def _deprecated(raw: Any, known_versions: Mapping[str, tuple[str, ...]]) -> dict[str, tuple]:
    path = "deprecatedVersions"
    if not isinstance(raw, dict):
        raise _fail(path, "must map product slugs to lists of version names")
    out: dict[str, tuple[str, ...]] = {}
    for slug, versions in raw.items():
        if slug not in known_versions:
            raise _fail(f"{path}.{slug}", f"unknown product; known: {sorted(known_versions)}")
        if not isinstance(versions, list):
            raise _fail(f"{path}.{slug}", "must be a list of version names")
        *released, current = known_versions[slug]
        for version in versions:
            if version == current:
                raise _fail(f"{path}.{slug}", f"{version!r} is the current version; it cannot "
                            "be deprecated (publish a newer version first)")
            if version not in released:
                raise _fail(f"{path}.{slug}", f"unknown version {version!r}; "
                            f"released: {released}")
        if len(set(versions)) != len(versions):
            raise _fail(f"{path}.{slug}", "contains duplicates")
        out[slug] = tuple(versions)
    return out


def _require_local_role_for_sharing(config: PortfolioConfig) -> None:
    if (config.share_accounts or config.share_organization) and not (
            config.local_launch_role_name):
        raise _fail(
            "localLaunchRoleName",
            "is required when the portfolio is shared (shareAccounts or shareOrganization): "
            "without it the launch constraints name this account's launch role, which users "
            "in the recipient accounts cannot use, so they could not launch any product. Set "
            "a role name (e.g. \"MlflowPlatformLaunch\") and create that role in every "
            "recipient account from the synthesized MlflowPlatformLaunchRole template (a "
            "StackSet); see SECURITY.md",
        )


def from_context(
    raw: Any,
    *,
    known_versions: Mapping[str, tuple[str, ...]],
    notebook_instance_types: Sequence[str],
) -> PortfolioConfig:
    """Validate the raw `mlflow-platform` context value and build the typed config.

    known_versions maps each product slug to its version names (oldest first), so that
    deprecations can only name versions that exist; notebook_instance_types are the types
    the notebook product accepts, which bounds.notebookInstanceTypes may only narrow.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"cdk.json context {CONTEXT_KEY}: must be an object")
    _check_unknown(raw, _KEYS, "")
    default = PortfolioConfig()
    principals = _list_of(raw.get("principals", []), "principals", _PRINCIPAL,
                          "an IAM role, group or user ARN")
    config = PortfolioConfig(
        name=_text(raw.get("portfolioName", default.name), "portfolioName"),
        provider=_text(raw.get("provider", default.provider), "provider", max_len=50),
        description=_text(raw.get("description", default.description), "description",
                          max_len=2000),
        support_email=_optional(raw.get("supportEmail"), "supportEmail", _EMAIL,
                                "an e-mail address"),
        principals=principals,
        share_accounts=_list_of(raw.get("shareAccounts", []), "shareAccounts", _ACCOUNT,
                                "a 12-digit account ID"),
        share_organization=_organization(raw.get("shareOrganization")),
        tag_options=_tag_options(raw.get("tagOptions", {})),
        bounds=_bounds(raw.get("bounds", {}), notebook_instance_types),
        notification_topic_arn=_optional(raw.get("notificationTopicArn"), "notificationTopicArn",
                                         _TOPIC, "an SNS topic ARN"),
        local_launch_role_name=_optional(raw.get("localLaunchRoleName"), "localLaunchRoleName",
                                         _ROLE_NAME, "an IAM role name"),
        self_service_actions=_flag(raw.get("selfServiceActions", default.self_service_actions),
                                   "selfServiceActions"),
        deprecated_versions=_deprecated(raw.get("deprecatedVersions", {}), known_versions),
    )
    _require_local_role_for_sharing(config)
    return config
