"""Log groups whose retention comes from the LogRetentionDays launch parameter."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct


def log_group(scope: Construct, id_: str, *, retention_days: str) -> logs.LogGroup:
    """A log group (generated name, retained on termination) with a token retention.

    The L2 takes only RetentionDays enum members, so the parameter goes on the L1.
    """
    group = logs.LogGroup(scope, id_, removal_policy=cdk.RemovalPolicy.RETAIN)
    cfn = group.node.default_child
    assert isinstance(cfn, logs.CfnLogGroup)
    cfn.retention_in_days = cdk.Token.as_number(retention_days)
    return group
