"""Refuses an API authorization that does not fit the core deployment's auth mode.

CloudFormation conditions and rules cannot read the core's published auth mode (an SSM
parameter of another provisioned product), so a small custom resource reads it at deploy
time and fails the launch, before the API exists, for the pairings that would be broken:
- core `iam` (its proxy checks nothing and trusts the VPC link) behind `NONE`: an MLflow
  open to anyone who can reach the URL. Allowed: AWS_IAM or JWT.
- core `basic` or `per-user` (basic auth in the Authorization header) behind AWS_IAM or
  JWT, which need that same header: every request would fail. Allowed: NONE.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from mlflow_platform import contract

# Which API authorizations each core auth mode works with (the handler holds a copy: it is
# inline source; a test checks both agree).
ALLOWED: dict[str, tuple[str, ...]] = {
    "basic": ("NONE",),
    "per-user": ("NONE",),
    "iam": ("AWS_IAM", "JWT"),
}

# Seconds CloudFormation waits for the handler's response (its default is 3600).
SERVICE_TIMEOUT_S = 300

# Inline source (a ProductStack cannot carry assets): stdlib and boto3 only, and its own
# response to CloudFormation (the cfnresponse helper is not importable on every runtime).
HANDLER = '''
import json
import time
import urllib.request

import boto3

ALLOWED = {"basic": ["NONE"], "per-user": ["NONE"], "iam": ["AWS_IAM", "JWT"]}
WHY = {
    "NONE": "its proxy checks no login in iam mode, so NONE would leave MLflow open to "
            "anyone who can reach the API",
    "AWS_IAM": "its proxy expects basic auth in the Authorization header, which SigV4 "
               "signing also uses",
    "JWT": "its proxy expects basic auth in the Authorization header, which the JWT "
           "bearer token also uses",
}


def check(props, ssm):
    name = props["AuthModeParameter"]
    try:
        mode = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except Exception as exc:
        return (f"cannot read {name} ({type(exc).__name__}): is MLflow core deployment "
                f"{props['Deployment']!r} launched in this account and region?")
    wanted = props["Authorization"]
    allowed = ALLOWED.get(mode, [])
    if wanted in allowed:
        return ""
    return (f"MLflow core deployment {props['Deployment']!r} uses auth mode {mode!r}: "
            f"{WHY.get(wanted, 'not supported')}. Choose Authorization "
            f"{' or '.join(allowed) or '(none fits)'}.")


# A lost response leaves CloudFormation waiting (up to the resource's ServiceTimeout): retry
# the PUT, within the function's 60 s (3 x 10 s plus 1 + 2 s of backoff).
RESPONSE_ATTEMPTS = 3
RESPONSE_TIMEOUT_S = 10


def respond(event, status, reason):
    body = json.dumps({
        "Status": status, "Reason": reason[:1000] or "ok",
        "PhysicalResourceId": event.get("PhysicalResourceId") or "auth-pairing",
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": {},
    }).encode()
    for attempt in range(1, RESPONSE_ATTEMPTS + 1):
        request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                         headers={"Content-Type": ""})
        try:
            # S310: the URL is the presigned https one CloudFormation sent.
            with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S):  # noqa: S310
                return True
        except Exception as exc:
            print(json.dumps({"response": status, "attempt": attempt,
                              "error": f"{type(exc).__name__}: {exc}"}))
            if attempt < RESPONSE_ATTEMPTS:
                time.sleep(2 ** (attempt - 1))
    # Logged, not raised: CloudFormation gives up at the ServiceTimeout either way.
    print(json.dumps({"response": status, "result": "not delivered to CloudFormation",
                      "attempts": RESPONSE_ATTEMPTS}))
    return False


def handler(event, context, ssm=None):
    reason = ""
    try:
        if event["RequestType"] != "Delete":
            reason = check(event["ResourceProperties"], ssm or boto3.client("ssm"))
    except Exception as exc:
        reason = f"auth pairing check failed: {type(exc).__name__}: {exc}"
    print(json.dumps({"request": event["RequestType"], "result": reason or "ok"}))
    respond(event, "FAILED" if reason else "SUCCESS", reason)
'''.strip()


class AuthPairingCheck(Construct):
    """A custom resource that fails unless `authorization` fits the core's auth mode.

    Exposes `.resource` (make the API depend on it) and `.function`.
    """

    def __init__(self, scope: Construct, id_: str, *, deployment: str,
                 authorization: str) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        parameter = contract.ssm_name(deployment, "auth-mode")
        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_MONTH,
                                  removal_policy=cdk.RemovalPolicy.DESTROY)
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description="Auth pairing check of an MLflow private API")
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["ssm:GetParameter"],
            resources=[stack.format_arn(service="ssm", resource="parameter",
                                        resource_name=parameter.lstrip("/"))]))
        self.function = lambda_.Function(
            self, "Function", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER), timeout=cdk.Duration.seconds(60),
            memory_size=128, role=role, log_group=log_group,
            description="Refuses an API authorization that does not fit the MLflow core's "
            "auth mode",
        )
        self.resource = cdk.CustomResource(
            self, "Check", service_token=self.function.function_arn,
            resource_type="Custom::MlflowAuthPairing",
            # Without a response CloudFormation would wait an hour before failing the launch.
            service_timeout=cdk.Duration.seconds(SERVICE_TIMEOUT_S),
            properties={"Deployment": deployment, "Authorization": authorization,
                        "AuthModeParameter": parameter},
        )
