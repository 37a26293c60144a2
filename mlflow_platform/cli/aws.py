"""boto3 clients for the CLI: one place that builds them, so tests can inject their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Adaptive mode adds client-side rate limiting on top of retries with backoff.
RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    user_agent_extra="mlflow-platform-cli",
)

THROTTLING_CODES = frozenset({
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
})

SERVICES = ("servicecatalog", "ssm", "secretsmanager")


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", "")) or str(err)


def is_throttling(err: BaseException) -> bool:
    return isinstance(err, ClientError) and error_code(err) in THROTTLING_CODES


class Clients:
    """Lazily created, cached boto3 clients of one account and region."""

    def __init__(self, factory: Callable[[str], Any], region: str | None,
                 profile: str | None = None) -> None:
        self._factory = factory
        self._cache: dict[str, Any] = {}
        self.region = region
        self.profile = profile

    @classmethod
    def from_session(cls, *, profile: str | None, region: str | None) -> Clients:
        session = boto3.Session(profile_name=profile, region_name=region)
        return cls(
            lambda name: session.client(name, config=RETRY_CONFIG),  # type: ignore[call-overload]
            session.region_name,
            profile,
        )

    @classmethod
    def preset(cls, *, region: str = "us-east-1", profile: str | None = None,
               **clients: Any) -> Clients:
        """Given clients only (tests): asking for another one is a programming error."""

        def factory(name: str) -> Any:
            raise LookupError(f"no {name} client was injected")

        instance = cls(factory, region, profile)
        instance._cache.update(clients)
        return instance

    def get(self, name: str) -> Any:
        if name not in SERVICES:
            raise ValueError(f"unknown service {name!r}")
        if name not in self._cache:
            self._cache[name] = self._factory(name)
        return self._cache[name]

    @property
    def servicecatalog(self) -> Any:
        return self.get("servicecatalog")

    @property
    def ssm(self) -> Any:
        return self.get("ssm")

    @property
    def secretsmanager(self) -> Any:
        return self.get("secretsmanager")
