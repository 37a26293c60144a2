"""The auth pairing check: the launch fails, before the API exists, on a broken pairing."""

from __future__ import annotations

import io
import json
from typing import Any
from unittest import mock

import boto3
import pytest
from aws_cdk.assertions import Template
from moto import mock_aws

from mlflow_platform import contract
from products.private_api.pairing import ALLOWED, HANDLER

EVENT = {
    "RequestType": "Create", "ResponseURL": "https://cloudformation-custom-resource.example/x",
    "StackId": "arn:aws:cloudformation:us-east-1:111111111111:stack/SC-1/abc",
    "RequestId": "r-1", "LogicalResourceId": "AuthPairingCheck",
    "ResourceProperties": {"Deployment": "team-a", "Authorization": "NONE",
                           "AuthModeParameter": contract.ssm_name("team-a", "auth-mode")},
}


def _handler_module() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(HANDLER, "index.py", "exec"), namespace)  # noqa: S102 - our inline source
    return namespace


def _run(mode: str | None, authorization: str, request: str = "Create") -> dict[str, Any]:
    """Run the inline handler against moto SSM; return the response sent to CloudFormation."""
    sent: list[Any] = []

    def urlopen(req: Any, timeout: float) -> io.BytesIO:
        sent.append(req)
        return io.BytesIO(b"")

    event = {**EVENT, "RequestType": request,
             "ResourceProperties": {**EVENT["ResourceProperties"],
                                    "Authorization": authorization}}
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        if mode is not None:
            ssm.put_parameter(Name=contract.ssm_name("team-a", "auth-mode"), Value=mode,
                              Type="String")
        handler = _handler_module()
        with mock.patch("urllib.request.urlopen", urlopen):
            handler["handler"](event, None, ssm=ssm)
    (request_sent,) = sent
    assert request_sent.get_method() == "PUT"
    assert request_sent.full_url == EVENT["ResponseURL"]
    return json.loads(request_sent.data)


@pytest.mark.parametrize(("mode", "authorization"), [
    (mode, auth) for mode, auths in ALLOWED.items() for auth in auths])
def test_fitting_pairings_succeed(mode: str, authorization: str) -> None:
    response = _run(mode, authorization)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == "auth-pairing"


@pytest.mark.parametrize(("mode", "authorization", "says"), [
    ("iam", "NONE", "open to anyone"),
    ("basic", "AWS_IAM", "SigV4"),
    ("per-user", "JWT", "bearer token"),
])
def test_broken_pairings_fail_the_launch_with_the_fix(mode: str, authorization: str,
                                                      says: str) -> None:
    response = _run(mode, authorization)
    assert response["Status"] == "FAILED"
    assert says in response["Reason"]
    assert f"auth mode {mode!r}" in response["Reason"]
    assert "Choose Authorization" in response["Reason"]


def test_a_missing_core_deployment_fails_with_a_clear_reason() -> None:
    response = _run(None, "NONE")
    assert response["Status"] == "FAILED"
    assert "is MLflow core deployment 'team-a' launched" in response["Reason"]


def test_delete_always_succeeds_so_a_failed_launch_can_roll_back() -> None:
    assert _run(None, "NONE", request="Delete")["Status"] == "SUCCESS"


def test_inline_table_matches_the_python_one() -> None:
    assert {k: tuple(v) for k, v in _handler_module()["ALLOWED"].items()} == ALLOWED


def test_the_api_waits_for_the_check_and_the_check_reads_only_the_auth_mode(
        template: Template, template_json: dict[str, Any]) -> None:
    resources = template_json["Resources"]
    (check_id,) = [k for k, v in resources.items() if v["Type"] == "Custom::MlflowAuthPairing"]
    check = resources[check_id]["Properties"]
    assert check["Authorization"] == {"Ref": "Authorization"}
    for type_ in ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Route",
                  "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Stage"):
        for key, body in resources.items():
            if body["Type"] == type_:
                assert check_id in body.get("DependsOn", []), key
    (policy,) = [v for k, v in resources.items()
                 if v["Type"] == "AWS::IAM::Policy" and k.startswith("AuthPairing")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    ssm = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    assert len(ssm) == 1
    resource = json.dumps(ssm[0]["Resource"])
    assert "auth-mode" in resource and "*" not in resource


class _Flaky:
    """urlopen stand-in: raises for the first `failures` calls, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[Any] = []

    def __call__(self, req: Any, timeout: float) -> io.BytesIO:
        self.calls.append(req)
        if len(self.calls) <= self.failures:
            raise OSError(f"connection reset ({len(self.calls)})")
        return io.BytesIO(b"")


def _respond_with(monkeypatch: pytest.MonkeyPatch, urlopen: _Flaky) -> tuple[bool, list[float]]:
    sleeps: list[float] = []
    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    monkeypatch.setattr("time.sleep", sleeps.append)
    delivered = _handler_module()["respond"](EVENT, "SUCCESS", "")
    return delivered, sleeps


def test_a_failed_response_put_is_retried_with_backoff(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    urlopen = _Flaky(failures=2)
    delivered, sleeps = _respond_with(monkeypatch, urlopen)
    assert delivered
    assert len(urlopen.calls) == 3 and sleeps == [1, 2]
    assert all(json.loads(r.data)["Status"] == "SUCCESS" for r in urlopen.calls)
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [entry["attempt"] for entry in logged] == [1, 2]
    assert "connection reset (1)" in logged[0]["error"]


def test_an_undeliverable_response_is_logged_not_raised(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    urlopen = _Flaky(failures=99)
    delivered, _ = _respond_with(monkeypatch, urlopen)
    assert not delivered
    assert len(urlopen.calls) == _handler_module()["RESPONSE_ATTEMPTS"]
    assert "not delivered to CloudFormation" in capsys.readouterr().out.splitlines()[-1]


def test_cloudformation_waits_minutes_not_an_hour_for_the_check(
        template_json: dict[str, Any]) -> None:
    (check,) = [v for v in template_json["Resources"].values()
                if v["Type"] == "Custom::MlflowAuthPairing"]
    assert int(check["Properties"]["ServiceTimeout"]) == 300
    # The handler's retries fit in the function's timeout, which fits in the wait.
    handler = _handler_module()
    (function,) = [v for v in template_json["Resources"].values()
                   if v["Type"] == "AWS::Lambda::Function"
                   and "AuthPairing" in json.dumps(v["Properties"].get("Role", ""))]
    attempts, timeout = handler["RESPONSE_ATTEMPTS"], handler["RESPONSE_TIMEOUT_S"]
    worst = attempts * timeout + sum(2 ** i for i in range(attempts - 1))
    assert worst < function["Properties"]["Timeout"] < 300
