"""IAM Allow statements whose resource is `*`, each with the reason it must be.

Key: (template, sid or action). template is "portfolio" or a product slug. A statement with
a Sid is matched by its Sid; one without (CDK-generated grants) by each of its actions, all
of which must be listed. Anything not here fails test_template_scan.py, and so do entries
that no longer match a statement, so the list tracks the templates.

Independently of this list, scan.broad_grants fails admin/FullAccess policies, Action '*',
sensitive service-wide wildcards and privilege-escalation actions on '*'.
"""

from __future__ import annotations

_LAUNCH_ROLE = (
    "Launch role (portfolio/launch_role.py), assumable only by servicecatalog.amazonaws.com, "
    "which only runs the products' fixed templates. CloudFormation generates these "
    "resources' names at create time, so create calls cannot be scoped by ARN; the statement "
    "lists this service's management verbs only (no data-plane reads)."
)

ALLOWED: dict[tuple[str, str], str] = {
    # --- portfolio: launch roles ----------------------------------------------------------
    ("portfolio", "ValidateTemplates"):
        "cloudformation:ValidateTemplate and GetTemplateSummary support no resource-level "
        "permissions (Service Catalog calls them with a template URL, before a stack exists).",
    ("portfolio", "ManageEC2"): _LAUNCH_ROLE + " EC2 create calls (VPC, subnets, security "
        "groups, NAT, endpoints) take no resource ARN before the resource exists.",
    ("portfolio", "ManageECS"): _LAUNCH_ROLE,
    ("portfolio", "ManageElasticLoadBalancingV2"): _LAUNCH_ROLE,
    ("portfolio", "ManageRDS"): _LAUNCH_ROLE,
    ("portfolio", "ManageSecretsManager"): _LAUNCH_ROLE + " Only CreateSecret, TagResource "
        "and GetRandomPassword; reading or changing existing secrets is limited to the "
        "platform's tagged secrets (ResolvePlatformSecrets).",
    ("portfolio", "ManageApplicationAutoScaling"): _LAUNCH_ROLE + " Scalable targets and "
        "policies have no ARN-based permissions.",
    ("portfolio", "ManageServiceDiscovery"): _LAUNCH_ROLE + " Namespace creation has no "
        "resource-level permissions.",
    ("portfolio", "ManageApiGatewayV2"): _LAUNCH_ROLE,
    ("portfolio", "ManageCloudWatch"): _LAUNCH_ROLE,
    ("portfolio", "ManageLogs"): _LAUNCH_ROLE,
    ("portfolio", "ManageSSM"): _LAUNCH_ROLE + " ssm:DescribeParameters has no "
        "resource-level permissions.",
    ("portfolio", "ManageEvents"): _LAUNCH_ROLE,
    ("portfolio", "ManageSageMaker"): _LAUNCH_ROLE,
    ("portfolio", "ManageSageMakerNotebookInstanceDependencies"): _LAUNCH_ROLE + " SageMaker "
        "creates the notebook's network interface in the user's subnet with the caller's "
        "credentials (the interface and its permission get their IDs in that call).",
    ("portfolio", "DetachPlatformPolicies"): "Terminating the private API deletes its invoke "
        "policy, and CloudFormation first detaches it from every role, user and group that "
        "users attached it to (any path). The ArnLike iam:PolicyARN condition limits the "
        "statement to the platform's own managed policies.",
    # --- portfolio: the organization share custom resource (portfolio/lookups.py) ---------
    **{("portfolio", action): "Read-only Organizations calls that "
       "servicecatalog:CreatePortfolioShare makes on the caller's behalf to resolve the "
       "organization node; Organizations supports no resource-level scoping for them."
       for action in ("organizations:DescribeAccount", "organizations:DescribeOrganization",
                      "organizations:ListAWSServiceAccessForOrganization",
                      "organizations:ListChildren", "organizations:ListParents")},
    # --- mlflow-core: the ECS task roles (CDK grants) ------------------------------------
    ("mlflow-core", "ecr:GetAuthorizationToken"): "The registry login token is account-wide "
        "and the action supports no resource-level permissions; image pulls themselves are "
        "scoped to the two repositories.",
    **{("mlflow-core", action): "ECS Exec's Session Manager channels; ssmmessages supports "
       "no resource-level permissions. Only usable when the ExecuteCommand launch parameter "
       "enables ECS Exec on the service."
       for action in ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                      "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel")},
    ("mlflow-core", "logs:DescribeLogGroups"): "ECS Exec checks its log destination; "
        "DescribeLogGroups supports no resource-level permissions (read-only).",
}

# The recipient accounts' launch-role template (portfolio.launch_role.RecipientLaunchRoleStack)
# holds the same launch-role policy as the portfolio: the same statements, the same reasons.
ALLOWED.update({
    ("launch-role", sid): reason for (template, sid), reason in list(ALLOWED.items())
    if template == "portfolio"
    and (sid in ("ValidateTemplates", "DetachPlatformPolicies") or sid.startswith("Manage"))
})
