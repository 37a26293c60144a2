"""Template rules: reject inconsistent launch values before anything is created.

Without them a launch with MinTasks 4 and MaxTasks 2 fails at the scalable target, after
Aurora has spent ten minutes being created. Rule functions cannot compare numbers, so each
possible minimum becomes "MIN is not m, or MAX is one of the values >= m".
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk

from products.common.parameters import ParamSpec, by_name

PROD_AUTO_MIN_TASKS = 2


def add_bound_rules(stack: cdk.Stack, specs: Sequence[ParamSpec]) -> None:
    _existing_network_complete(stack)
    _tls_complete(stack)
    min_tasks, max_tasks = by_name(specs, "MinTasks"), by_name(specs, "MaxTasks")
    task_assertions = _ordered(min_tasks, max_tasks)
    task_assertions.append(_auto_in_prod(max_tasks))
    cdk.CfnRule(stack, "TaskBoundsOrdered", assertions=task_assertions)
    db = _ordered(by_name(specs, "DatabaseMinCapacity"), by_name(specs, "DatabaseMaxCapacity"))
    if db:
        cdk.CfnRule(stack, "DatabaseBoundsOrdered", assertions=db)


def _numbers(spec: ParamSpec) -> list[str]:
    return [v for v in spec.allowed_values or () if v != "auto"]


def _ordered(lower: ParamSpec, upper: ParamSpec) -> list[cdk.CfnRuleAssertion]:
    uppers = _numbers(upper)
    assertions = []
    for value in _numbers(lower):
        allowed = [u for u in uppers if float(u) >= float(value)]
        if allowed == uppers:
            continue  # every maximum is fine for this minimum
        assertions.append(cdk.CfnRuleAssertion(
            assert_=cdk.Fn.condition_or(
                cdk.Fn.condition_not(cdk.Fn.condition_equals(cdk.Fn.ref(lower.name), value)),
                cdk.Fn.condition_contains(allowed, cdk.Fn.ref(upper.name)),
            ),
            assert_description=f"{upper.label} must be at least {lower.label} ({value})",
        ))
    return assertions


def _auto_in_prod(max_tasks: ParamSpec) -> cdk.CfnRuleAssertion:
    allowed = [u for u in _numbers(max_tasks) if float(u) >= PROD_AUTO_MIN_TASKS]
    return cdk.CfnRuleAssertion(
        assert_=cdk.Fn.condition_or(
            cdk.Fn.condition_not(cdk.Fn.condition_and(
                cdk.Fn.condition_equals(cdk.Fn.ref("MinTasks"), "auto"),
                cdk.Fn.condition_equals(cdk.Fn.ref("Profile"), "prod"),
            )),
            cdk.Fn.condition_contains(allowed, cdk.Fn.ref(max_tasks.name)),
        ),
        assert_description=f"prod runs at least {PROD_AUTO_MIN_TASKS} tasks: "
        f"{max_tasks.label} must be {PROD_AUTO_MIN_TASKS} or more",
    )


def _existing_network_complete(stack: cdk.Stack) -> None:
    """An existing VPC needs its subnets, and subnets need their VPC."""
    vpc_empty = cdk.Fn.condition_equals(cdk.Fn.ref("ExistingVpcId"), "")
    subnets_empty = cdk.Fn.condition_equals(cdk.Fn.ref("ExistingSubnetIds"), "")
    cdk.CfnRule(stack, "ExistingNetworkComplete", assertions=[cdk.CfnRuleAssertion(
        assert_=cdk.Fn.condition_or(
            cdk.Fn.condition_and(vpc_empty, subnets_empty),
            cdk.Fn.condition_and(cdk.Fn.condition_not(vpc_empty),
                                 cdk.Fn.condition_not(subnets_empty)),
        ),
        assert_description="Give both an existing VPC and two of its subnets, or neither "
        "(a new VPC is then created).",
    )])


def _tls_complete(stack: cdk.Stack) -> None:
    """A certificate needs the host name clients use with it, and a host name needs TLS."""
    no_cert = cdk.Fn.condition_equals(cdk.Fn.ref("CertificateArn"), "")
    no_host = cdk.Fn.condition_equals(cdk.Fn.ref("TlsHostName"), "")
    cdk.CfnRule(stack, "TlsComplete", assertions=[cdk.CfnRuleAssertion(
        assert_=cdk.Fn.condition_or(
            cdk.Fn.condition_and(no_cert, no_host),
            cdk.Fn.condition_and(cdk.Fn.condition_not(no_cert), cdk.Fn.condition_not(no_host)),
        ),
        assert_description="Give both a TLS certificate and the TLS host name on it, or "
        "neither (HTTP inside the VPC).",
    )])
