"""Checkov checks that do not apply, each with the reason. Nothing else is skipped.

GLOBAL: a check that does not fit this architecture anywhere.
RESOURCE: one check on one resource, keyed (template, check, "<Type>.<logical ID stem>"),
where template is "portfolio", "launch-role" (the recipient accounts' launch-role
template) or a product slug and the stem is the logical ID without
CDK's 8-character hash suffix (stable while the construct path is).
Stale RESOURCE entries fail test_checkov.py, so the list only shrinks with the findings.
"""

from __future__ import annotations

GLOBAL: dict[str, str] = {
    "CKV_AWS_116": "Dead-letter queues catch failed asynchronous invocations worth replaying. "
    "The CloudFormation custom-resource functions are invoked synchronously; the private "
    "API's keep-alive is a scheduled ping whose next run replaces a lost one, and replaying "
    "old pings would achieve nothing.",
    "CKV_AWS_173": "Lambda environment variables hold no secrets here (test_template_scan.py "
    "enforces it) and are encrypted at rest with the AWS managed key; a customer key would "
    "add cost and a key policy without protecting anything more.",
    "CKV_AWS_158": "CloudWatch Logs encrypts every log group at rest with a service key; a "
    "customer-managed KMS key per launch costs $1/month and needs a key policy for the logs "
    "service, for logs that carry no secrets (scan-enforced: no credentials in log formats).",
    "CKV_AWS_136": "ECR repositories are encrypted at rest with AES-256; the images are "
    "built from public sources and carry no secrets (hadolint test), and a KMS key would "
    "need cross-account grants for every sharing account.",
    "CKV_AWS_149": "Secrets are encrypted with the account's aws/secretsmanager key; who may "
    "read them is decided by IAM (the task execution role, the notebook role of the same "
    "deployment, the rotate action's tag-scoped role), which a customer key would not "
    "narrow further. Not worth $1/month and a key policy per launch.",
}

_LISTENER = "AWS::ElasticLoadBalancingV2::Listener.EntryLoadBalancerListener"
_CUSTOM_RESOURCE_FN = "AWS::Lambda::Function.AWS679f53fac002430cb0da5b7982bd2287"
_LAUNCH_ROLE_WRITES = (
    "Launch role: CloudFormation creates the products' resources, whose names it generates "
    "at create time, so management writes (EC2, ECS, ELB, RDS, API Gateway create calls) "
    "cannot be bounded by ARN. Role assumable only by servicecatalog.amazonaws.com. The "
    "data-read, escalation and resource-policy checks (CKV_AWS_108/109/110) stay on."
)

_PERMISSIONS_MGMT = (
    "Launch role: DetachPlatformPolicies (iam:Detach{Role,User,Group}Policy) is bounded by an "
    "ArnLike iam:PolicyARN condition to the platform's own managed policies, which "
    "CloudFormation must detach from users' roles before it can delete them on termination; "
    "ec2:CreateNetworkInterfacePermission lets SageMaker attach the notebook's interface, "
    "created in the same call. Checkov evaluates neither condition nor scope."
)

RESOURCE: dict[tuple[str, str, str], str] = {
    # --- portfolio ---
    ("portfolio", "CKV_AWS_117", _CUSTOM_RESOURCE_FN): "aws-cdk-lib's AwsCustomResource "
        "provider calls the public Service Catalog API during deployments only; putting it "
        "in a VPC would need a VPC, NAT or endpoints in the admin's account for nothing.",
    ("portfolio", "CKV_AWS_115", _CUSTOM_RESOURCE_FN): "Invoked only by CloudFormation during "
        "portfolio deployments (a handful of calls); reserving concurrency would take it "
        "from the account's pool for no protection.",
    ("portfolio", "CKV_AWS_32", "AWS::ECR::Repository.ImagesServer"): "Principal '*' is "
        "bounded by an aws:PrincipalOrgPaths / aws:PrincipalOrgID condition (the configured "
        "organization or OU) and only for the three image-pull actions; checkov does not "
        "read the condition.",
    ("portfolio", "CKV_AWS_32", "AWS::ECR::Repository.ImagesProxy"): "Same as the server "
        "repository: pull-only, bounded to the configured organization or OU by condition.",
    ("portfolio", "CKV_AWS_111", "AWS::IAM::Policy.MlflowCoreLaunchRolePolicy"):
        _LAUNCH_ROLE_WRITES,
    ("portfolio", "CKV_AWS_111", "AWS::IAM::Policy.PrivateApiLaunchRolePolicy"):
        _LAUNCH_ROLE_WRITES,
    ("portfolio", "CKV_AWS_111", "AWS::IAM::Policy.NotebookLaunchRolePolicy"):
        _LAUNCH_ROLE_WRITES,
    # With localLaunchRoleName (required when the portfolio is shared): the one named launch
    # role in this account, and the same role in the recipients' StackSet template.
    ("portfolio", "CKV_AWS_111", "AWS::IAM::Policy.LaunchRolePolicy"): _LAUNCH_ROLE_WRITES,
    ("launch-role", "CKV_AWS_111", "AWS::IAM::Policy.LaunchRolePolicy"): _LAUNCH_ROLE_WRITES,
    # CKV_AWS_109 (permissions management without constraints) on the two statements that
    # must act on "*": checkov reads neither the condition nor what the action touches.
    ("portfolio", "CKV_AWS_109", "AWS::IAM::Policy.LaunchRolePolicy"): _PERMISSIONS_MGMT,
    ("launch-role", "CKV_AWS_109", "AWS::IAM::Policy.LaunchRolePolicy"): _PERMISSIONS_MGMT,
    ("portfolio", "CKV_AWS_109", "AWS::IAM::Policy.NotebookLaunchRolePolicy"):
        _PERMISSIONS_MGMT,
    # --- mlflow-core ---
    ("mlflow-core", "CKV_AWS_18", "AWS::S3::Bucket.ArtifactsBucket"): "Clients never reach "
        "the bucket: every artifact call goes through the auth proxy, whose JSON access log "
        "records user, path and status (same reason as the AwsSolutions-S1 acknowledgment).",
    ("mlflow-core", "CKV_AWS_91", "AWS::ElasticLoadBalancingV2::LoadBalancer.EntryLoadBalancer"):
        "Internal load balancer in front of the auth proxy, which logs every request as "
        "JSON to CloudWatch Logs (same reason as the AwsSolutions-ELB2 acknowledgment).",
    ("mlflow-core", "CKV_AWS_2", _LISTENER):
        "The protocol is Fn::If: HTTPS on 443 with the CertificateArn launch parameter, else "
        "HTTP on 80 on an internal load balancer (clients outside the VPC get HTTPS from the "
        "private API). Checkov cannot evaluate the condition. SECURITY.md advises a "
        "certificate for basic auth.",
    ("mlflow-core", "CKV_AWS_103", _LISTENER):
        "With a certificate the listener uses ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.2+) "
        "through the same Fn::If as its protocol, which checkov cannot evaluate.",
    ("mlflow-core", "CKV_AWS_162", "AWS::RDS::DBCluster.DatabaseCluster"): "IAM database "
        "tokens expire every 15 minutes and MLflow's SQLAlchemy store cannot refresh them; the "
        "generated password is injected from Secrets Manager (same reason as the "
        "AwsSolutions-RDS6 acknowledgment).",
    ("mlflow-core", "CKV_AWS_118", "AWS::RDS::DBInstance.DatabaseClusterWriter"): "Enhanced "
        "Monitoring is OS-level performance telemetry, not a security control; it needs a "
        "monitoring role and keeps writing to CloudWatch Logs while the dev database would "
        "otherwise pause. The Monitoring construct alarms on the cluster's metrics.",
    ("mlflow-core", "CKV_AWS_65", "AWS::ECS::Cluster.ServiceCluster"): "Container Insights "
        "is Fn::If on the Profile: enabled in prod, disabled in dev, where its custom metrics "
        "and performance logs would cost more than the task itself; the alarms and dashboard "
        "use the free AWS/ECS and ALB metrics. Checkov cannot evaluate the condition "
        "(test_service.py::test_container_insights_only_in_prod checks both values).",
    # --- private-api ---
    ("private-api", "CKV_AWS_117", "AWS::Lambda::Function.KeepAliveFunction"): "The "
        "keep-alive calls the API's public execute-api endpoint (to keep the VPC link "
        "active); inside a VPC it would need a NAT gateway or an endpoint for one ping.",
    ("private-api", "CKV_AWS_115", "AWS::Lambda::Function.KeepAliveFunction"): "One "
        "scheduled call a day. Reserving concurrency, even 1, fails the launch in accounts "
        "whose concurrency quota is at the minimum (new accounts: Lambda keeps 100 unreserved), "
        "and protects nothing here.",
    ("private-api", "CKV_AWS_117", "AWS::Lambda::Function.AuthPairingFunction"): "The "
        "pairing check reads one SSM parameter and answers CloudFormation's presigned S3 URL, "
        "both public endpoints, once per launch or update; inside a VPC it would need NAT or "
        "two interface endpoints, and a dev core has neither.",
    ("private-api", "CKV_AWS_115", "AWS::Lambda::Function.AuthPairingFunction"): "Invoked "
        "only by CloudFormation, once per launch or update of the product; reserving "
        "concurrency would fail launches in accounts at the minimum quota, for no protection.",
    # --- notebook ---
    ("notebook", "CKV_AWS_187", "AWS::SageMaker::NotebookInstance.Notebook"): "SageMaker "
        "always encrypts the notebook's ML storage volume with the AWS managed key; it holds "
        "code and notebooks, no credentials (the MLflow login stays in kernel memory), so a "
        "customer key per launch would add cost and a key policy for nothing more.",
}
