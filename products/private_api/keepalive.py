"""Keeps the core's VPC link active: a daily request through it, and an alarm if that fails.

API Gateway marks a VPC link INACTIVE after 60 days without traffic and deletes its network
interfaces; the next requests fail for minutes until it is re-provisioned. A tracking server
can easily sit idle that long (a project paused for a quarter). An alarm alone would only
report the problem after it happened and needs someone to act; one request a day prevents it
for about 30 Lambda invocations a month (free tier) and also tests the whole path (API, VPC
link, ALB, proxy) daily, which is what the alarm then watches.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

# Inline source (a ProductStack cannot carry assets). Stdlib only; fails the invocation on
# anything but 200 so Lambda's Errors metric, and the alarm on it, see broken paths.
HANDLER = '''
import os
import urllib.request


def handler(event, context):
    url = os.environ["KEEP_ALIVE_URL"]
    with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 (https URL)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return {"url": url, "status": 200}
'''.strip()


class VpcLinkKeepAlive(Construct):
    """A scheduled function calling `url` (an unauthenticated health route) every day.

    Exposes `.function`, `.rule`, `.alarm`.
    """

    def __init__(self, scope: Construct, id_: str, *, url: str,
                 schedule: events.Schedule | None = None) -> None:
        super().__init__(scope, id_)
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        # An explicit role with a log-group-scoped policy instead of the managed
        # AWSLambdaBasicExecutionRole (which allows writing to any log group).
        role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="VPC link keep-alive of an MLflow private API",
        )
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ))
        self.function = lambda_.Function(
            self, "Function", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER), timeout=cdk.Duration.seconds(30),
            memory_size=128, role=role, log_group=log_group,
            # No reserved concurrency: one call a day needs none, and reserving even one
            # fails in accounts whose concurrency quota is at the minimum (new accounts).
            environment={"KEEP_ALIVE_URL": url},
            description="Daily request through the MLflow VPC link so it never goes INACTIVE",
        )
        self.rule = events.Rule(
            self, "Schedule", schedule=schedule or events.Schedule.rate(cdk.Duration.days(1)),
            description="Keep the MLflow VPC link active",
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )
        # Three failed days in a row: the tracking URI is broken for users as well.
        self.alarm = cloudwatch.Alarm(
            self, "Failing", metric=self.function.metric_errors(period=cdk.Duration.days(1)),
            threshold=1, evaluation_periods=3, datapoints_to_alarm=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="The daily request through the MLflow private API failed 3 days "
            "in a row: the API, VPC link, load balancer or proxy is broken.",
        )
