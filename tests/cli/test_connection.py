"""`env`: what a laptop needs, from SSM and Secrets Manager (moto)."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from mlflow_platform.cli.aws import Clients
from mlflow_platform.cli.connection import MULTIPART_ENV, ConnectionService
from mlflow_platform.cli.errors import NotFoundError
from mlflow_platform.cli.output import shell_exports

from .conftest import REGION, add_secret, publish

NASTY = "p@ss w'rd\"$(touch /tmp/pwned)`;"


def service(aws: Clients) -> ConnectionService:
    return ConnectionService(aws.ssm, aws.secretsmanager, REGION)


def test_basic_auth_without_api_uses_the_internal_url_and_the_secret(aws: Clients) -> None:
    arn = add_secret(aws, "demo-login", "mlflow", NASTY)
    publish(aws, "demo", {"tracking-url": "http://internal-alb", "auth-mode": "basic",
                          "credentials-secret-arn": arn})
    env = service(aws).environment("demo")
    assert env.set == {"MLFLOW_TRACKING_URI": "http://internal-alb",
                       "MLFLOW_TRACKING_USERNAME": "mlflow", "MLFLOW_TRACKING_PASSWORD": NASTY}
    assert set(env.unset) == {"MLFLOW_TRACKING_AWS_SIGV4", "MLFLOW_TRACKING_AUTH",
                              "MLFLOW_TRACKING_TOKEN"}
    assert any("internal to the VPC" in n for n in env.notes)
    assert all(NASTY not in n for n in env.notes)


def test_private_api_is_preferred_and_iam_auth_means_sigv4(aws: Clients) -> None:
    arn = add_secret(aws, "demo-login", "mlflow", "secret")
    publish(aws, "demo", {"tracking-url": "http://internal-alb", "auth-mode": "iam",
                          "credentials-secret-arn": arn, "api-url": "https://x.execute-api",
                          "api-authorization": "AWS_IAM"})
    env = service(aws).environment("demo")
    assert env.set["MLFLOW_TRACKING_URI"] == "https://x.execute-api"
    # This package's signer, which also signs artifact uploads (file bodies).
    assert env.set["MLFLOW_TRACKING_AUTH"] == "mlflow-platform-sigv4"
    assert "MLFLOW_TRACKING_AWS_SIGV4" in env.unset
    assert env.set["AWS_DEFAULT_REGION"] == REGION
    assert "MLFLOW_TRACKING_PASSWORD" not in env.set  # SigV4 and basic share one header
    assert {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"} <= set(env.unset)
    assert env.set.items() >= MULTIPART_ENV.items()
    assert int(env.set["MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"]) < 10_000_000


def test_api_without_authorization_passes_the_core_login(aws: Clients) -> None:
    arn = add_secret(aws, "demo-login", "admin", "secret")
    publish(aws, "demo", {"tracking-url": "http://alb", "auth-mode": "per-user",
                          "credentials-secret-arn": arn, "api-url": "https://api",
                          "api-authorization": "NONE"})
    env = service(aws).environment("demo")
    assert env.set["MLFLOW_TRACKING_USERNAME"] == "admin"
    assert env.set["MLFLOW_TRACKING_URI"] == "https://api"


def test_iam_deployment_without_api_is_unreachable(aws: Clients) -> None:
    publish(aws, "demo", {"tracking-url": "http://alb", "auth-mode": "iam"})
    with pytest.raises(NotFoundError, match="reachable only through the private API"):
        service(aws).environment("demo")


def test_unknown_deployment_is_not_found(aws: Clients) -> None:
    with pytest.raises(NotFoundError, match=r"no MLflow deployment 'ghost'.*platform/ghost"):
        service(aws).environment("ghost")


def test_secret_that_is_not_json_is_reported_without_its_text(aws: Clients) -> None:
    secret = aws.secretsmanager.create_secret(Name="raw", SecretString="hunter2hunter2")
    publish(aws, "demo", {"tracking-url": "http://alb", "auth-mode": "basic",
                          "credentials-secret-arn": secret["ARN"]})
    with pytest.raises(Exception, match="not JSON with username and password") as err:
        service(aws).environment("demo")
    assert "hunter2" not in str(err.value)


def test_exports_survive_a_real_shell_eval() -> None:
    lines = shell_exports({"MLFLOW_TRACKING_PASSWORD": NASTY, "MLFLOW_TRACKING_URI": "https://a"},
                          ["MLFLOW_TRACKING_AWS_SIGV4"])
    script = "\n".join(lines) + '\nprintf %s "$MLFLOW_TRACKING_PASSWORD"'
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout == NASTY
    assert lines[1] == f"export MLFLOW_TRACKING_PASSWORD={shlex.quote(NASTY)}"
