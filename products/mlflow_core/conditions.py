"""The CloudFormation conditions of MLflow core, declared once at stack level.

Launch parameters are tokens at synth time, so every choice that depends on them
(new or existing VPC, profile, auth mode, TLS) is a condition evaluated at deploy time.
They are created directly in the stack so their logical IDs stay readable ("IsProd").
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from products.common.parameters import ParameterSet


@dataclass(frozen=True)
class CoreConditions:
    create_vpc: cdk.CfnCondition  # ExistingVpcId empty: the product creates the VPC
    is_prod: cdk.CfnCondition
    create_vpc_prod: cdk.CfnCondition  # new VPC in prod: NAT gateways, one per zone
    # new VPC in dev: no NAT gateway; the tasks run in the public subnets with a public IP
    tasks_in_public_subnets: cdk.CfnCondition
    min_tasks_auto: cdk.CfnCondition
    has_certificate: cdk.CfnCondition  # HTTPS listener
    iam_mode: cdk.CfnCondition  # only the VPC link may reach the load balancer
    basic_mode: cdk.CfnCondition  # one shared login: clients may read it
    allow_clients: cdk.CfnCondition  # not iam: the client security group is admitted
    allow_client_cidr: cdk.CfnCondition  # not iam, and a CIDR is known (given or new VPC)
    has_client_cidr: cdk.CfnCondition
    prod_database_floor: cdk.CfnCondition  # prod with min capacity 0: floor 0.5, no pause
    database_pauses: cdk.CfnCondition  # dev with min capacity 0: auto-pause when idle
    has_tls_host: cdk.CfnCondition  # TlsHostName given: the tracking URL uses it
    other_registry: cdk.CfnCondition  # images from another account's ECR registry
    has_extra_hosts: cdk.CfnCondition
    has_alarm_topic: cdk.CfnCondition
    execute_command: cdk.CfnCondition  # ECS Exec allowed

    @staticmethod
    def if_(condition: cdk.CfnCondition, when_true: object, when_false: object) -> object:
        """Fn::If on this condition (a token usable wherever the value is)."""
        return cdk.Fn.condition_if(condition.logical_id, when_true, when_false)


def create_conditions(stack: cdk.Stack, params: ParameterSet) -> CoreConditions:
    def ref(name: str) -> str:
        return params.text(name)

    def condition(id_: str, expression: cdk.ICfnConditionExpression) -> cdk.CfnCondition:
        return cdk.CfnCondition(stack, id_, expression=expression)

    def empty(name: str) -> cdk.ICfnConditionExpression:
        return cdk.Fn.condition_equals(ref(name), "")

    create_vpc = condition("CreateVpc", empty("ExistingVpcId"))
    is_prod = condition("IsProd", cdk.Fn.condition_equals(ref("Profile"), "prod"))
    iam_mode = condition("IamMode", cdk.Fn.condition_equals(ref("AuthMode"), "iam"))
    has_client_cidr = condition("HasClientCidr", cdk.Fn.condition_not(empty("ClientCidr")))
    allow_clients = condition("AllowClients", cdk.Fn.condition_not(iam_mode))
    min_capacity_zero = cdk.Fn.condition_equals(ref("DatabaseMinCapacity"), "0")
    return CoreConditions(
        create_vpc=create_vpc,
        is_prod=is_prod,
        create_vpc_prod=condition("CreateVpcProd", cdk.Fn.condition_and(create_vpc, is_prod)),
        tasks_in_public_subnets=condition(
            "TasksInPublicSubnets",
            cdk.Fn.condition_and(create_vpc, cdk.Fn.condition_not(is_prod))),
        min_tasks_auto=condition("MinTasksAuto",
                                 cdk.Fn.condition_equals(ref("MinTasks"), "auto")),
        has_certificate=condition("HasCertificate",
                                  cdk.Fn.condition_not(empty("CertificateArn"))),
        iam_mode=iam_mode,
        basic_mode=condition("BasicMode", cdk.Fn.condition_equals(ref("AuthMode"), "basic")),
        allow_clients=allow_clients,
        allow_client_cidr=condition(
            "AllowClientCidr",
            cdk.Fn.condition_and(allow_clients,
                                 cdk.Fn.condition_or(has_client_cidr, create_vpc)),
        ),
        has_client_cidr=has_client_cidr,
        prod_database_floor=condition(
            "ProdDatabaseFloor", cdk.Fn.condition_and(is_prod, min_capacity_zero)),
        database_pauses=condition(
            "DatabasePauses",
            cdk.Fn.condition_and(min_capacity_zero, cdk.Fn.condition_not(is_prod))),
        has_tls_host=condition("HasTlsHostName", cdk.Fn.condition_not(empty("TlsHostName"))),
        other_registry=condition(
            "OtherImageRegistry", cdk.Fn.condition_not(empty("ImageRegistryAccountId"))),
        has_extra_hosts=condition("HasAdditionalHostNames",
                                  cdk.Fn.condition_not(empty("AdditionalHostNames"))),
        has_alarm_topic=condition("HasAlarmTopic",
                                  cdk.Fn.condition_not(empty("AlarmTopicArn"))),
        execute_command=condition(
            "ExecuteCommand", cdk.Fn.condition_equals(ref("EnableExecuteCommand"), "true")),
    )
