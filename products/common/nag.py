"""cdk-nag acknowledgments: each one on the construct it concerns, with its reason."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(
    construct: IConstruct, rule: str, reason: str, findings: Iterable[str] = ()
) -> None:
    """Acknowledge one AwsSolutions rule (e.g. "AwsSolutions-IAM5") on one construct.

    Rules that report several findings (IAM4, IAM5) need each finding named, e.g.
    "Resource::*"; cdk-nag matches `RULE[finding]` exactly, so nothing broader slips by.
    """
    if len(reason) < 20:
        raise ValueError(f"acknowledging {rule}: give a real reason")
    ids = [f"{rule}[{f}]" for f in findings] or [rule]
    cdk.Validations.of(construct).acknowledge(
        *(cdk.Acknowledgment(id=i, reason=reason) for i in ids)
    )
