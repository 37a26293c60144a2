"""How a laptop reaches a deployment: read what MLflow core and the private API publish
in SSM (mlflow_platform.contract), fetch the login from Secrets Manager when needed,
and turn it into MLflow client environment variables.

The secret's values exist only in the returned `Connection`; nothing here logs them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from mlflow_platform import contract, sigv4

from .aws import error_code
from .errors import CliError, NotFoundError

# The API Gateway HTTP API caps payloads at 10 MB: large artifacts go through presigned
# S3 multipart URLs instead (FACTS.md). Parts must be at least 5 MB.
MULTIPART_BYTES = str(8 * 1024 * 1024)
MULTIPART_ENV = {
    "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
    "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": MULTIPART_BYTES,
    "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE": MULTIPART_BYTES,
    "MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD": "true",
    "MLFLOW_MULTIPART_DOWNLOAD_MINIMUM_FILE_SIZE": MULTIPART_BYTES,
    "MLFLOW_MULTIPART_DOWNLOAD_CHUNK_SIZE": MULTIPART_BYTES,
}
AUTH_VARS = (
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_AWS_SIGV4",
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_TRACKING_TOKEN",
)

_KEYS = ("tracking-url", "auth-mode", "credentials-secret-arn", "api-url", "api-authorization",
         "artifact-bucket")


@dataclass(frozen=True)
class Published:
    """The SSM values one deployment published (missing ones are absent)."""

    deployment: str
    values: Mapping[str, str]

    def get(self, key: str) -> str | None:
        return self.values.get(key) or None


@dataclass(frozen=True)
class Environment:
    """Variables to set and unset, plus notes for the human (never secrets)."""

    set: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ConnectionService:
    def __init__(self, ssm: Any, secrets: Any, region: str | None) -> None:
        self._ssm = ssm
        self._secrets = secrets
        self._region = region

    def published(self, deployment: str) -> Published:
        names = {contract.ssm_name(deployment, k): k for k in _KEYS}
        response = self._ssm.get_parameters(Names=list(names))
        values = {names[p["Name"]]: p["Value"] for p in response.get("Parameters", [])}
        return Published(deployment, values)

    def require(self, deployment: str) -> Published:
        published = self.published(deployment)
        if not published.get("tracking-url") and not published.get("api-url"):
            raise NotFoundError(
                f"no MLflow deployment {deployment!r} in {self._region or 'this region'} "
                f"(nothing under {contract.ssm_prefix(deployment)} in SSM)",
                hint="check the name and --region; create one with: mlflow-platform up NAME",
            )
        return published

    def environment(self, deployment: str) -> Environment:
        published = self.require(deployment)
        api_url = published.get("api-url")
        env = Environment()
        env.set["MLFLOW_TRACKING_URI"] = api_url or published.get("tracking-url") or ""
        if api_url:
            self._api_auth(published, env)
            env.set.update(MULTIPART_ENV)
            env.notes.append("large artifacts use presigned S3 multipart URLs "
                             "(the API passes at most 10 MB per request)")
        else:
            env.notes.append("no private API: the tracking URL is internal to the VPC "
                             "(works from inside it or over VPN)")
            self._core_auth(published, env)
        env.unset.extend(v for v in AUTH_VARS if v not in env.set)
        return env

    def _api_auth(self, published: Published, env: Environment) -> None:
        authorization = published.get("api-authorization") or "NONE"
        if authorization == "AWS_IAM":
            # This package's signer (mlflow_platform/sigv4.py), not MLflow's
            # MLFLOW_TRACKING_AWS_SIGV4, whose library fails on artifact uploads.
            env.set["MLFLOW_TRACKING_AUTH"] = sigv4.PROVIDER_NAME
            if self._region:
                env.set["AWS_DEFAULT_REGION"] = self._region
            env.notes.append("requests are signed with your AWS credentials (SigV4) by the "
                             "mlflow-platform package, which must be installed beside mlflow")
        elif authorization == "JWT":
            env.notes.append("the API expects a JWT: export MLFLOW_TRACKING_TOKEN=<token from "
                             "your identity provider>")
        elif published.get("auth-mode") in ("basic", "per-user"):
            self._basic(published, env)

    def _core_auth(self, published: Published, env: Environment) -> None:
        mode = published.get("auth-mode") or "basic"
        if mode == "iam":
            raise NotFoundError(
                f"deployment {published.deployment!r} uses IAM auth: it is reachable only "
                "through the private API, which it does not have",
                hint=f"add it with: mlflow-platform up {published.deployment}",
            )
        self._basic(published, env)

    def _basic(self, published: Published, env: Environment) -> None:
        username, password = self.login(published)
        env.set["MLFLOW_TRACKING_USERNAME"] = username
        env.set["MLFLOW_TRACKING_PASSWORD"] = password

    def login(self, published: Published) -> tuple[str, str]:
        arn = published.get("credentials-secret-arn")
        if not arn:
            raise NotFoundError(f"deployment {published.deployment!r} publishes no login secret")
        try:
            secret = self._secrets.get_secret_value(SecretId=arn)
        except ClientError as err:
            raise CliError(f"cannot read the login secret of {published.deployment!r} "
                           f"({error_code(err)})",
                           hint="ask the platform team for secretsmanager:GetSecretValue on it"
                           ) from None
        return _credentials(secret.get("SecretString") or "", published.deployment)


def _credentials(text: str, deployment: str) -> tuple[str, str]:
    try:
        data = json.loads(text)
        return str(data["username"]), str(data["password"])
    except (ValueError, KeyError, TypeError):
        # The secret text itself is never echoed.
        raise CliError(f"the login secret of {deployment!r} is not JSON with "
                       "username and password") from None
