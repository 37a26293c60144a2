"""Launch roles: what Service Catalog may do when it provisions a product for a user.

Users need no permissions on the resources of a product; the launch role has them.
It is scoped by service to what the product templates actually create (a test checks
that every resource type of every product template maps to a service here), IAM is
limited to roles under the platform's path, and nothing here can read or delete
experiment data (objects in the artifact buckets).
"""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from mlflow_platform.contract import SSM_ROOT
from products.common.nag import acknowledge
from products.common.stack import PRODUCT_TAG, ROLE_PATH

# CloudFormation resource-type prefix -> the actions CloudFormation needs to manage it.
# Verb wildcards (Create*, Delete*, ...) keep the lists short without granting data access;
# two services are granted whole (application-autoscaling:*, servicediscovery:*). Every
# wildcard needs its reason in ACTION_WILDCARD_REASONS below.
SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    # EC2 and RDS are spelled out: their Create*/Delete*/Modify* wildcards would include
    # permission-sharing actions (snapshot attributes, network interface permissions).
    "AWS::EC2": ("ec2:Describe*", "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute",
                 "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute",
                 "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute",
                 "ec2:DeleteRoute", "ec2:ReplaceRoute", "ec2:AssociateRouteTable",
                 "ec2:DisassociateRouteTable", "ec2:CreateInternetGateway",
                 "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway",
                 "ec2:DetachInternetGateway", "ec2:CreateNatGateway", "ec2:DeleteNatGateway",
                 "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:AssociateAddress",
                 "ec2:DisassociateAddress", "ec2:CreateSecurityGroup",
                 "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
                 "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
                 "ec2:RevokeSecurityGroupEgress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
                 "ec2:UpdateSecurityGroupRuleDescriptionsEgress", "ec2:ModifySecurityGroupRules",
                 "ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
                 "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:CreateTags", "ec2:DeleteTags",
                 "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
                 "ec2:ReplaceRouteTableAssociation"),
    "AWS::RDS": ("rds:Describe*", "rds:CreateDBCluster", "rds:DeleteDBCluster",
                 "rds:ModifyDBCluster", "rds:CreateDBInstance", "rds:DeleteDBInstance",
                 "rds:ModifyDBInstance", "rds:RebootDBInstance", "rds:CreateDBSubnetGroup",
                 "rds:DeleteDBSubnetGroup",
                 "rds:ModifyDBSubnetGroup", "rds:CreateDBClusterSnapshot",
                 "rds:AddTagsToResource", "rds:RemoveTagsFromResource", "rds:ListTagsForResource"),
    "AWS::S3": ("s3:CreateBucket", "s3:GetBucket*", "s3:PutBucket*",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration", "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy",
                "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock",
                "s3:ListBucket", "s3:GetAccelerateConfiguration",
                # What the bucket handler reads back after create and on drift detection.
                "s3:GetAnalyticsConfiguration", "s3:GetInventoryConfiguration",
                "s3:GetMetricsConfiguration", "s3:GetReplicationConfiguration",
                "s3:GetIntelligentTieringConfiguration", "s3:TagResource",
                "s3:UntagResource", "s3:ListTagsForResource"),
    # Creating is harmless; changing or deleting an existing secret is allowed only on the
    # platform's own (tagged) secrets: ResolvePlatformSecrets below.
    "AWS::SecretsManager": ("secretsmanager:CreateSecret", "secretsmanager:TagResource",
                            "secretsmanager:GetRandomPassword"),
    "AWS::ECS": ("ecs:Describe*", "ecs:List*", "ecs:Create*", "ecs:Delete*", "ecs:Update*",
                 "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition",
                 "ecs:TagResource", "ecs:UntagResource", "ecs:PutClusterCapacityProviders",
                 # An update may stop a deployment the circuit breaker is rolling back.
                 "ecs:StopServiceDeployment"),
    "AWS::ElasticLoadBalancingV2": ("elasticloadbalancing:Describe*",
                                    "elasticloadbalancing:Create*",
                                    "elasticloadbalancing:Delete*",
                                    "elasticloadbalancing:Modify*",
                                    "elasticloadbalancing:AddTags",
                                    "elasticloadbalancing:RemoveTags",
                                    "elasticloadbalancing:SetSecurityGroups",
                                    # ExistingSubnetIds can change on update.
                                    "elasticloadbalancing:SetSubnets",
                                    "elasticloadbalancing:RegisterTargets",
                                    "elasticloadbalancing:DeregisterTargets"),
    "AWS::ApplicationAutoScaling": ("application-autoscaling:*", "cloudwatch:GetMetricData"),
    "AWS::ServiceDiscovery": ("servicediscovery:*", "route53:CreateHostedZone",
                              "route53:DeleteHostedZone", "route53:GetHostedZone",
                              "route53:ChangeResourceRecordSets", "route53:GetChange",
                              "route53:ListHostedZonesByName",
                              "route53:ChangeTagsForResource"),
    "AWS::ApiGatewayV2": ("apigateway:GET", "apigateway:POST", "apigateway:PUT",
                          # Tags are PUT/DELETE on /tags/<arn> (no TagResource action).
                          "apigateway:PATCH", "apigateway:DELETE"),
    "AWS::Logs": ("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
                  "logs:DeleteRetentionPolicy", "logs:DescribeLogGroups", "logs:TagResource",
                  "logs:UntagResource", "logs:TagLogGroup", "logs:ListTagsForResource",
                  "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                  "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                  # API Gateway access logging: the caller sets up the log delivery and its
                  # resource policy ("Configuring logging for an HTTP API").
                  "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                  # Read back by the log group handler after create (no policy is set).
                  "logs:GetDataProtectionPolicy", "logs:DescribeIndexPolicies"),
    # Explicit actions, no verb wildcards: every wildcard would need its own cdk-nag finding.
    # Reads (GetParameter/GetParameters) come from ResolvePublishedValues below, scoped to
    # /mlflow-platform/*, where every product's parameters live.
    "AWS::SSM": ("ssm:PutParameter", "ssm:DeleteParameter",
                 "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource",
                 "ssm:ListTagsForResource", "ssm:DescribeParameters"),
    "AWS::CloudWatch": ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
                        "cloudwatch:DescribeAlarms", "cloudwatch:PutDashboard",
                        "cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard",
                        "cloudwatch:TagResource", "cloudwatch:UntagResource",
                        "cloudwatch:ListTagsForResource"),
    "AWS::SageMaker": ("sagemaker:CreateNotebookInstance*", "sagemaker:DeleteNotebookInstance*",
                       "sagemaker:DescribeNotebookInstance*", "sagemaker:UpdateNotebookInstance*",
                       "sagemaker:StopNotebookInstance", "sagemaker:StartNotebookInstance",
                       "sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags"),
    "AWS::Events": ("events:PutRule", "events:DeleteRule", "events:DescribeRule",
                    "events:PutTargets", "events:RemoveTargets", "events:TagResource",
                    "events:UntagResource",
                    # Delete removes the rule's targets first; read lists them and the tags.
                    "events:ListTargetsByRule", "events:ListTagsForResource"),
    "AWS::Lambda": ("lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction",
                    "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration", "lambda:GetRuntimeManagementConfig",
                    "lambda:AddPermission", "lambda:RemovePermission",
                    "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
                    # v1 of the private API reserves concurrency for its keep-alive; the
                    # update to v2 removes it.
                    "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
                    "lambda:GetFunctionConcurrency",
                    # What the function and permission handlers read back.
                    "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionRecursionConfig",
                    "lambda:GetFunctionScalingConfig", "lambda:GetPolicy"),
    "AWS::SNS": ("sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes",
                 "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
                 "sns:TagResource", "sns:UntagResource"),
    # The private API's auth pairing check: CloudFormation invokes its function with the
    # launch role's credentials.
    "Custom::MlflowAuthPairing": ("lambda:InvokeFunction",),
    "AWS::KMS": ("kms:CreateKey", "kms:DescribeKey", "kms:EnableKeyRotation",
                 "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource",
                 "kms:CreateAlias", "kms:DeleteAlias", "kms:GetKeyPolicy",
                 "kms:GetKeyRotationStatus", "kms:CreateGrant", "kms:Decrypt",
                 "kms:GenerateDataKey*"),
}

# Resource types whose handlers call another service: granted only with that type.
TYPE_ACTIONS: dict[str, tuple[str, ...]] = {
    # SageMaker creates the notebook's network interface in the user's subnet with the
    # caller's credentials, and lets its own service account attach to it (the interface
    # permission). Only with a notebook product: the core's EC2 list leaves these two out.
    "AWS::SageMaker::NotebookInstance": (
        "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
    ),
}

# Where CloudFormation's generated names let the resources be scoped: it names buckets and
# functions after the stack, and Service Catalog names provisioned stacks SC-<account>-pp-...
# (buckets are lower-cased). Services not listed here act on "*".
def _service_resources(service: str) -> list[str]:
    partition, region, account = cdk.Aws.PARTITION, cdk.Aws.REGION, cdk.Aws.ACCOUNT_ID
    scoped = {
        "AWS::S3": [f"arn:{partition}:s3:::sc-*"],
        "AWS::Lambda": [f"arn:{partition}:lambda:{region}:{account}:function:SC-*"],
        "Custom::MlflowAuthPairing": [
            f"arn:{partition}:lambda:{region}:{account}:function:SC-*"],
    }
    return scoped.get(service, ["*"])


# IAM is handled separately: only roles and policies under the platform's path.
IAM_TYPES = ("AWS::IAM",)

# Service-linked roles some resources need on first use in an account.
_SERVICE_LINKED = (
    "ecs.amazonaws.com",
    "rds.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "servicediscovery.amazonaws.com",
    "ops.apigateway.amazonaws.com",
    "sagemaker.amazonaws.com",
)


def service_of(resource_type: str) -> str:
    """The SERVICE_ACTIONS key covering a CloudFormation resource type (KeyError if none)."""
    prefix = "::".join(resource_type.split("::")[:2])
    if prefix in SERVICE_ACTIONS or prefix in IAM_TYPES:
        return prefix
    raise KeyError(f"the launch role grants nothing for {resource_type}: add {prefix} "
                   "to portfolio/launch_role.py SERVICE_ACTIONS")


def launch_policy_statements(resource_types: Iterable[str]) -> list[iam.PolicyStatement]:
    """The statements a launch role needs for templates with these resource types."""
    types = set(resource_types)
    services = sorted({service_of(t) for t in types} - set(IAM_TYPES))
    partition, account = cdk.Aws.PARTITION, cdk.Aws.ACCOUNT_ID
    role_arn = f"arn:{partition}:iam::{account}:role{ROLE_PATH}*"
    statements = [
        iam.PolicyStatement(
            sid="ProvisionWithCloudFormation",
            actions=["cloudformation:CreateStack", "cloudformation:DeleteStack",
                     "cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks",
                     "cloudformation:SetStackPolicy",
                     "cloudformation:UpdateStack", "cloudformation:CreateChangeSet",
                     "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
                     "cloudformation:DeleteChangeSet", "cloudformation:ListChangeSets",
                     "cloudformation:ListStackResources", "cloudformation:TagResource",
                     "cloudformation:UntagResource"],
            # Service Catalog names the stacks of provisioned products SC-<account>-pp-...
            resources=[f"arn:{partition}:cloudformation:*:{account}:stack/SC-*"],
        ),
        iam.PolicyStatement(
            sid="ValidateTemplates",
            # Service Catalog calls both with a template URL, before any stack exists; they
            # support no resource-level permissions.
            actions=["cloudformation:ValidateTemplate", "cloudformation:GetTemplateSummary"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="ReadProductTemplates",
            actions=["s3:GetObject"],
            # The CDK bootstrap bucket holds the product templates; Service Catalog keeps
            # its own copies in buckets named cf-templates-*.
            resources=[f"arn:{partition}:s3:::cdk-*-assets-{account}-*/*",
                       f"arn:{partition}:s3:::cf-templates-*/*"],
        ),
        iam.PolicyStatement(
            sid="ManagePlatformRoles",
            actions=["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole",
                     "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy",
                     "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:TagRole",
                     "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                     "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription", "iam:PassRole"],
            resources=[role_arn],
        ),
        iam.PolicyStatement(
            sid="ManagePlatformPolicies",
            actions=["iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy",
                     "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
                     "iam:ListPolicyVersions", "iam:GetPolicyVersion", "iam:TagPolicy",
                     "iam:UntagPolicy", "iam:ListEntitiesForPolicy"],
            resources=[f"arn:{partition}:iam::{account}:policy{ROLE_PATH}*"],
        ),
        iam.PolicyStatement(
            # Products find each other through {{resolve:ssm:/mlflow-platform/...}} dynamic
            # references, which CloudFormation resolves with the launch role's permissions
            # (the notebook template creates no SSM parameter, so no AWS::SSM grant covers it).
            sid="ResolvePublishedValues",
            actions=["ssm:GetParameter", "ssm:GetParameters"],
            resources=[f"arn:{partition}:ssm:{cdk.Aws.REGION}:{account}:parameter{SSM_ROOT}/*"],
        ),
        iam.PolicyStatement(
            sid="CreateServiceLinkedRoles",
            actions=["iam:CreateServiceLinkedRole"],
            resources=[f"arn:{partition}:iam::{account}:role/aws-service-role/*"],
            conditions={"StringEquals": {"iam:AWSServiceName": list(_SERVICE_LINKED)}},
        ),
    ]
    if "AWS::IAM::ManagedPolicy" in types:
        statements.append(iam.PolicyStatement(
            # Deleting a managed policy first detaches it from every role, user and group it
            # is attached to: users attach the private API's invoke policy to their own
            # training roles, outside the platform's path. Only the platform's policies.
            sid="DetachPlatformPolicies",
            actions=["iam:DetachRolePolicy", "iam:DetachUserPolicy", "iam:DetachGroupPolicy"],
            resources=["*"],
            conditions={"ArnLike": {
                "iam:PolicyARN": f"arn:{partition}:iam::{account}:policy{ROLE_PATH}*"}},
        ))
    for resource_type in sorted(types & set(TYPE_ACTIONS)):
        statements.append(iam.PolicyStatement(
            sid="Manage" + "".join(resource_type.split("::")[1:]) + "Dependencies",
            actions=list(TYPE_ACTIONS[resource_type]),
            resources=["*"],  # network interfaces are created in the call itself
        ))
    for service in services:
        statements.append(
            iam.PolicyStatement(
                sid="Manage" + service.split("::")[1],
                actions=list(SERVICE_ACTIONS[service]),
                # Most create calls support no resource-level scoping before the resource
                # exists; the stack-level scoping above bounds what is created.
                resources=_service_resources(service),
            )
        )
    if "AWS::SecretsManager" in services:
        statements.append(iam.PolicyStatement(
            # CloudFormation resolves {{resolve:secretsmanager:...}} (a database master
            # password) and an RDS secret attachment rewrites its secret, both with the
            # launch role: only secrets the platform's products created (they carry the tag).
            sid="ResolvePlatformSecrets",
            actions=["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
                     "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
                     "secretsmanager:DeleteSecret", "secretsmanager:UntagResource"],
            resources=[f"arn:{partition}:secretsmanager:{cdk.Aws.REGION}:{account}:secret:*"],
            conditions={"Null": {f"aws:ResourceTag/{PRODUCT_TAG}": "false"}},
        ))
    return statements


# --- cdk-nag: acknowledge exactly the wildcards a role's policy has, each with its reason ---
_PSEUDO_PARAMETERS = {
    cdk.Aws.PARTITION: "<AWS::Partition>",
    cdk.Aws.REGION: "<AWS::Region>",
    cdk.Aws.ACCOUNT_ID: "<AWS::AccountId>",
}

# Why each wildcard action is there. A wildcard action without an entry fails synth, so a
# new one needs its reason written here. Two are whole-service wildcards: every action of
# the service on every resource, and said so.
ACTION_WILDCARD_REASONS: dict[str, str] = {
    "ec2:Describe*": "Read-only EC2 Describe calls (configuration and state, no data): "
    "CloudFormation reads and waits on the network resources it creates.",
    "rds:Describe*": "Read-only RDS Describe calls: CloudFormation polls the cluster, instance "
    "and subnet group it creates; they return configuration, not data or passwords.",
    "ecs:Describe*": "Read-only ECS Describe calls on clusters, services and task "
    "definitions, which CloudFormation polls until a service is stable.",
    "ecs:List*": "Read-only ECS List calls (clusters, services, tasks, tags) that "
    "CloudFormation uses while creating and deleting services.",
    "ecs:Create*": "ECS create calls (cluster, service, capacity provider, task set) for "
    "the resources of the SC-* stacks; ECS exposes no application data through them.",
    "ecs:Delete*": "ECS delete calls for the clusters, services and capacity providers "
    "CloudFormation removes on update or termination.",
    "ecs:Update*": "ECS update calls (service, cluster settings, capacity providers) that "
    "CloudFormation makes when a product is updated.",
    "elasticloadbalancing:Describe*": "Read-only Elastic Load Balancing Describe calls that "
    "CloudFormation polls while it creates the internal load balancer.",
    "elasticloadbalancing:Create*": "Elastic Load Balancing create calls (load balancer, "
    "listener, rule, target group) whose ARNs are generated at create time.",
    "elasticloadbalancing:Delete*": "Elastic Load Balancing delete calls for the load "
    "balancer, listeners, rules and target groups of terminated products.",
    "elasticloadbalancing:Modify*": "Elastic Load Balancing attribute and listener changes "
    "CloudFormation makes on update (attributes, listener certificates, target health).",
    "s3:GetBucket*": "Reads of bucket configuration (policy, versioning, tagging, ownership, "
    "encryption) on sc-* buckets only; object reads (s3:GetObject) are not included.",
    "s3:PutBucket*": "Bucket configuration writes (policy, versioning, tagging, ownership "
    "controls, logging) on the sc-* buckets the product stacks create; no object access.",
    "sagemaker:CreateNotebookInstance*": "Matches CreateNotebookInstance and "
    "CreateNotebookInstanceLifecycleConfig only (the presigned-URL call is "
    "CreatePresignedNotebookInstanceUrl, which it does not match).",
    "sagemaker:DeleteNotebookInstance*": "Matches DeleteNotebookInstance and "
    "DeleteNotebookInstanceLifecycleConfig: removing a terminated notebook.",
    "sagemaker:DescribeNotebookInstance*": "Read-only: DescribeNotebookInstance and "
    "DescribeNotebookInstanceLifecycleConfig, polled by CloudFormation.",
    "sagemaker:UpdateNotebookInstance*": "Matches UpdateNotebookInstance and "
    "UpdateNotebookInstanceLifecycleConfig: product updates change size or scripts.",
    "kms:GenerateDataKey*": "GenerateDataKey and its WithoutPlaintext/Pair variants, which "
    "CloudFormation needs to create resources encrypted with a key the product creates.",
    "application-autoscaling:*": "Whole-service wildcard: every Application Auto Scaling "
    "action on every scalable target. Scaling targets and policies carry no data and "
    "RegisterScalableTarget has no resource-level permissions; the accepted risk is that "
    "the role could change the scaling of any scalable resource in the account.",
    "servicediscovery:*": "Whole-service wildcard: every Cloud Map action on every "
    "namespace and service. CloudFormation creates the private DNS namespace and service; "
    "the accepted risk is that the role could also register or deregister instances in "
    "other Cloud Map namespaces of the account.",
}

# Why each statement's wildcard resource is bounded enough. Manage<Service> statements are
# covered by _MANAGE_REASONS below.
_STATEMENT_REASONS: dict[str, str] = {
    "ProvisionWithCloudFormation": "only stacks named SC-* (Service Catalog names the stack "
    "of every provisioned product SC-<account>-pp-...)",
    "ValidateTemplates": "cloudformation:ValidateTemplate supports no resource-level "
    "permissions",
    "ReadProductTemplates": "template objects only, in the CDK asset bucket and Service "
    "Catalog's cf-templates-* buckets",
    "ManagePlatformRoles": f"only roles under the platform's IAM path {ROLE_PATH} (every "
    "product role is put there by an aspect)",
    "ManagePlatformPolicies": f"only managed policies under the platform's IAM path {ROLE_PATH}",
    "ResolvePublishedValues": f"only parameters under {SSM_ROOT}/, where the products "
    "publish the values other products resolve",
    "CreateServiceLinkedRoles": "only service-linked roles, and the iam:AWSServiceName "
    "condition limits them to the services the products use",
    "DetachPlatformPolicies": f"only the platform's managed policies (ArnLike iam:PolicyARN "
    f"under {ROLE_PATH}), from whichever role, user or group they were attached to",
    "ResolvePlatformSecrets": "secret ARNs end in a random suffix; the Null condition on "
    f"the {PRODUCT_TAG} tag limits the statement to secrets the products created",
}
_MANAGE_REASONS: dict[str, str] = {
    "*": "create calls take no ARN before CloudFormation generates the resource's name",
    "sc-*": "buckets CloudFormation names after the SC-* stack (lower-cased)",
    "SC-*": "functions CloudFormation names after the SC-* stack",
}


def _nag_form(value: str) -> str:
    """A resource as cdk-nag reports it: pseudo parameters as <AWS::...>."""
    for token, name in _PSEUDO_PARAMETERS.items():
        value = value.replace(token, name)
    return value


def _resource_reason(sid: str, resource: str) -> str:
    if sid in _STATEMENT_REASONS:
        return _STATEMENT_REASONS[sid]
    if sid.startswith("Manage"):
        tail = resource.rsplit(":", 1)[-1]
        return _MANAGE_REASONS.get(resource if resource == "*" else tail,
                                   _MANAGE_REASONS["*"])
    raise KeyError(f"launch role statement {sid} has a wildcard resource without a reason: "
                   "add it to portfolio/launch_role.py _STATEMENT_REASONS")


def wildcard_findings(statements: Iterable[iam.PolicyStatement]) -> dict[str, str]:
    """AwsSolutions-IAM5 findings of these statements (as cdk-nag names them), each with
    the reason it is accepted. Only what the statements really contain."""
    resources: dict[str, dict[str, str]] = {}  # finding -> sid -> reason
    actions: dict[str, str] = {}
    for statement in statements:
        sid = statement.sid or ""
        for action in statement.actions:
            if "*" in action:
                if action not in ACTION_WILDCARD_REASONS:
                    raise KeyError(f"wildcard action {action} without a reason: add it to "
                                   "portfolio/launch_role.py ACTION_WILDCARD_REASONS")
                actions[f"Action::{action}"] = ACTION_WILDCARD_REASONS[action]
        for resource in statement.resources:
            if "*" in resource:
                finding = f"Resource::{_nag_form(resource)}"
                resources.setdefault(finding, {})[sid] = _resource_reason(sid, resource)
    findings = dict(actions)
    for finding, by_sid in resources.items():
        parts = {}
        for sid, reason in sorted(by_sid.items()):
            parts.setdefault(reason, []).append(sid)
        findings[finding] = "; ".join(f"{', '.join(sids)}: {reason}"
                                      for reason, sids in parts.items()) + "."
    return findings


def create_launch_role(
    scope: Construct, id_: str, *, resource_types: Iterable[str], role_name: str | None = None
) -> iam.Role:
    """A role Service Catalog assumes to provision products made of these resource types."""
    role = iam.Role(
        scope,
        id_,
        role_name=role_name,
        assumed_by=iam.ServicePrincipal("servicecatalog.amazonaws.com"),
        description="Service Catalog launch role of the MLflow Platform products",
        max_session_duration=cdk.Duration.hours(1),
    )
    statements = launch_policy_statements(resource_types)
    policy = iam.Policy(scope, f"{id_}Policy", statements=statements)
    policy.attach_to_role(role)
    # One acknowledgment per wildcard this role's policy really has, with its own reason.
    for finding, reason in sorted(wildcard_findings(statements).items()):
        acknowledge(policy, "AwsSolutions-IAM5", reason, findings=[finding])
    return role


class RecipientLaunchRoleStack(cdk.Stack):
    """The local launch role alone, for the accounts the portfolio is shared with.

    With localLaunchRoleName the launch constraints name a role, which Service Catalog looks
    up in the account where a product is launched: every recipient account needs that role,
    with the same permissions as the portfolio's. This stack is that role; deploy its
    template (cdk.out/<stack>.template.json) to the recipients as a CloudFormation StackSet.
    It needs no CDK bootstrap there (no assets, no bootstrap-version rule).
    """

    def __init__(self, scope: Construct, id_: str, *, role_name: str,
                 resource_types: Iterable[str]) -> None:
        super().__init__(
            scope, id_,
            synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
            description="MLflow Platform: the local launch role for accounts the portfolio "
            "is shared with (deploy as a StackSet to the recipient accounts)",
        )
        self.role = create_launch_role(self, "LaunchRole", role_name=role_name,
                                       resource_types=resource_types)
