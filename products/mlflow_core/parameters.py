"""Launch parameters of MLflow core: the one declaration (see products.common.parameters)."""

from __future__ import annotations

from mlflow_platform import contract
from mlflow_platform.catalog import IMAGE_TAG, PROXY_IMAGE_REPOSITORY, SERVER_IMAGE_REPOSITORY
from products.common.parameters import ParamSpec

DEPLOYMENT = "Deployment"
NETWORK = "Network"
SERVICE = "Tracking service"
DATABASE = "Database"
IMAGES = "Container images (set by the platform team)"

# Aurora Serverless v2 capacity steps in ACUs (0 = auto-pause when idle).
_ACU_STEPS = tuple(str(x / 2).removesuffix(".0") for x in range(0, 129))
MAX_TASKS_LIMIT = 20
LOG_RETENTION_DAYS = ("7", "14", "30", "60", "90", "180", "365", "731", "1827", "3653")

_SUBNET = r"subnet-[0-9a-f]{8,17}"
_CIDR = r"(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-9]|3[0-2])"
_SNS_TOPIC = r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}"
_HOST = r"[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
# TlsHostName (new in v2) also becomes the tracking URL: lowercase, as clients send it. Not
# AdditionalHostNames: v1 accepted capitals there, and an update from v1 must not fail on a
# value that works (the server lowercases its allow-list anyway).
_LOWER_HOST = r"[a-z0-9*]([a-z0-9.-]{0,251}[a-z0-9])?"

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "DeploymentName", "Deployment name",
        "Unique name of this MLflow deployment in the account and region. The private API "
        "and notebook products find it by this name.",
        DEPLOYMENT, allowed_pattern=contract.DEPLOYMENT_NAME_PATTERN,
        constraint_description=contract.DEPLOYMENT_NAME_DESCRIPTION, max_length=32,
    ),
    ParamSpec(
        "Profile", "Profile",
        "dev: cheapest (no NAT gateway: the task runs in a public subnet with a public IP "
        "that only the load balancer may reach; one small task; the database pauses when "
        "idle). prod: private tasks behind a NAT gateway per zone, at least two larger tasks, "
        "a database that never pauses and has a standby reader, deletion protection.",
        DEPLOYMENT, default="dev", allowed_values=("dev", "prod"),
    ),
    ParamSpec(
        "AuthMode", "Authentication",
        "basic: one shared login checked by the proxy. per-user: MLflow user accounts and "
        "per-experiment permissions. iam: only the private API (with IAM auth) may reach it.",
        DEPLOYMENT, default="basic", allowed_values=contract.AUTH_MODES,
    ),
    ParamSpec(
        "ExistingVpcId", "Existing VPC (optional)",
        "Leave empty to create a new VPC. Otherwise the ID of a VPC to deploy into; then also "
        "give its private subnets and the client CIDR.",
        NETWORK, default="", allowed_pattern=r"^(|vpc-[0-9a-f]{8,17})$",
        constraint_description="empty, or a VPC ID like vpc-0123456789abcdef0",
    ),
    ParamSpec(
        "ExistingSubnetIds", "Existing private subnets (optional)",
        "With an existing VPC: the IDs of two private subnets in different Availability "
        "Zones, separated by a comma, with a route to the internet (NAT) or VPC endpoints for "
        "ECR, CloudWatch Logs, Secrets Manager and S3. The database, the tasks, the load "
        "balancer and the VPC link all use these two subnets.",
        NETWORK, default="", allowed_pattern=rf"^(|{_SUBNET},{_SUBNET})$",
        constraint_description="empty, or exactly two subnet IDs separated by a comma",
    ),
    ParamSpec(
        "ClientCidr", "Client network (CIDR)",
        "Network allowed to reach the internal load balancer (besides the VPC link and "
        "the published client security group). Empty: the new VPC's own CIDR, or no CIDR "
        "with an existing VPC. Ignored in iam mode. Never 0.0.0.0/0.",
        NETWORK, default="", allowed_pattern=rf"^(|{_CIDR})$",
        constraint_description="empty, or an IPv4 CIDR with a prefix of /16 to /32",
    ),
    ParamSpec(
        "CertificateArn", "TLS certificate (optional)",
        "ARN of an ACM certificate for an HTTPS listener (port 443) on the internal load "
        "balancer, for clients inside the VPC; then also give TLS host name. Empty: HTTP "
        "inside the VPC (the private API product adds HTTPS for outside clients).",
        NETWORK, default="",
        allowed_pattern=r"^(|arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36})$",
        constraint_description="empty, or an ACM certificate ARN",
    ),
    ParamSpec(
        "TlsHostName", "TLS host name (with a certificate)",
        "With a certificate: the DNS name on it that clients use (point a record at the load "
        "balancer; the DNS name is an output). The tracking URL then uses this name, and "
        "MLflow accepts it as a host. Empty without a certificate.",
        NETWORK, default="", allowed_pattern=rf"^(|{_LOWER_HOST})$",
        constraint_description="empty, or one DNS name in lowercase such as mlflow.example.com",
    ),
    ParamSpec(
        "AdditionalHostNames", "Additional host names (optional)",
        "Comma-separated DNS names clients use besides the load balancer's own name, e.g. "
        "the name on the TLS certificate or a custom domain of the private API. MLflow "
        "rejects requests for host names it does not know.",
        NETWORK, default="", allowed_pattern=rf"^(|{_HOST}(,{_HOST})*)$",
        constraint_description="empty, or DNS names separated by commas",
    ),
    ParamSpec(
        "MinTasks", "Minimum tasks",
        "Fewest tracking-server tasks. auto: 1 in dev, 2 in prod.",
        SERVICE, default="auto",
        allowed_values=("auto", *(str(n) for n in range(1, MAX_TASKS_LIMIT + 1))),
    ),
    ParamSpec(
        "MaxTasks", "Maximum tasks",
        "Most tracking-server tasks autoscaling may run (on CPU and request count).",
        SERVICE, default="2", allowed_values=tuple(str(n) for n in range(1, MAX_TASKS_LIMIT + 1)),
    ),
    ParamSpec(
        "CpuArchitecture", "CPU architecture",
        "ARM64 (Graviton) costs about 20% less than X86_64.",
        SERVICE, default="ARM64", allowed_values=("ARM64", "X86_64"),
    ),
    ParamSpec(
        "EnableExecuteCommand", "Allow ECS Exec",
        "true lets operators open a shell in running tasks with ECS Exec (audited in "
        "CloudTrail). Off by default.",
        SERVICE, default="false", allowed_values=("false", "true"),
    ),
    ParamSpec(
        "LogRetentionDays", "Log retention (days)",
        "How long the server and proxy logs are kept in CloudWatch Logs.",
        SERVICE, default="30", allowed_values=LOG_RETENTION_DAYS,
    ),
    ParamSpec(
        "AlarmTopicArn", "Alarm notifications (optional)",
        "ARN of an SNS topic that receives the alarms (5xx, unhealthy targets, CPU, memory, "
        "database capacity and connections). Empty: alarms show in the console only.",
        SERVICE, default="", allowed_pattern=rf"^(|{_SNS_TOPIC})$",
        constraint_description="empty, or an SNS topic ARN",
    ),
    ParamSpec(
        "DatabaseMinCapacity", "Database minimum capacity (ACU)",
        "Aurora Serverless v2 floor. 0 lets the database pause when idle (about 15-30 s to "
        "resume); prod never pauses (floor at least 0.5).",
        DATABASE, default="0", allowed_values=_ACU_STEPS[:33],
    ),
    ParamSpec(
        "DatabaseMaxCapacity", "Database maximum capacity (ACU)",
        "Aurora Serverless v2 ceiling. 1 ACU is about 2 GB of memory.",
        DATABASE, default="2", allowed_values=_ACU_STEPS[2:],
    ),
    ParamSpec(
        "BackupRetentionDays", "Backup retention (days)",
        "Days of automated database backups (point-in-time recovery).",
        DATABASE, default=7, type="Number", min_value=1, max_value=35,
        constraint_description="a whole number of days from 1 to 35",
    ),
    ParamSpec(
        "ServerImageRepository", "MLflow server image repository",
        "ECR repository of the MLflow server image, in this region of the image registry "
        "account (see Image registry account).",
        IMAGES, default=SERVER_IMAGE_REPOSITORY, allowed_pattern=r"^[a-z0-9][a-z0-9._/-]{1,255}$",
        constraint_description="an ECR repository name",
    ),
    ParamSpec(
        "ProxyImageRepository", "Auth proxy image repository",
        "ECR repository of the nginx auth proxy image.",
        IMAGES, default=PROXY_IMAGE_REPOSITORY, allowed_pattern=r"^[a-z0-9][a-z0-9._/-]{1,255}$",
        constraint_description="an ECR repository name",
    ),
    ParamSpec(
        "ImageRegistryAccountId", "Image registry account (optional)",
        "ID of the AWS account whose ECR repositories hold the images: the portfolio's "
        "account when the portfolio was shared with this one. Empty: this account.",
        IMAGES, default="", allowed_pattern=r"^(|\d{12})$",
        constraint_description="empty, or a 12-digit AWS account ID",
    ),
    ParamSpec(
        "ImageTag", "Image tag",
        "Immutable tag of both images. Each product version pins the tag it was tested with.",
        IMAGES, default=IMAGE_TAG, allowed_pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        constraint_description="an image tag",
    ),
)
