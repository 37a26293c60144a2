"""Launch parameters of MLflow notebook: the one declaration."""

from __future__ import annotations

from mlflow_platform import contract
from products.common.parameters import ParamSpec

CONNECTION = "MLflow deployment"
INSTANCE = "Notebook instance"
ACCESS = "Network and access"

# Connection values: inside the core's VPC (internal ALB) or from outside via the private API.
CONNECTIONS = ("vpc", "private-api")

# The product accepts these; the portfolio's template constraint narrows them further.
INSTANCE_TYPES = (
    "ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.t3.2xlarge",
    "ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge",
    "ml.m6i.xlarge", "ml.m6i.2xlarge", "ml.m6i.4xlarge",
    "ml.c5.xlarge", "ml.c5.2xlarge", "ml.c5.4xlarge",
    "ml.r5.xlarge", "ml.r5.2xlarge",
    "ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g5.xlarge", "ml.g5.2xlarge",
)

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "DeploymentName", "MLflow deployment name",
        "Name of the MLflow core deployment this notebook logs to (as given when it was "
        "launched).",
        CONNECTION, allowed_pattern=contract.DEPLOYMENT_NAME_PATTERN,
        constraint_description=contract.DEPLOYMENT_NAME_DESCRIPTION, max_length=32,
    ),
    ParamSpec(
        "InstanceType", "Instance type",
        "Size of the notebook instance. Bigger types cost more per hour while running.",
        INSTANCE, default="ml.t3.medium", allowed_values=INSTANCE_TYPES,
    ),
    ParamSpec(
        "Connection", "Connection to MLflow",
        "vpc: the notebook sits in the deployment's private subnets and talks to the internal "
        "load balancer. private-api: the notebook runs outside the VPC and uses the "
        "deployment's private API (launch that product first; with its AWS_IAM "
        "authorization requests are signed with the notebook's role).",
        CONNECTION, default="vpc", allowed_values=CONNECTIONS,
    ),
    ParamSpec(
        "VolumeSizeInGB", "Storage (GB)",
        "Size of the notebook's ML storage volume (persists across stops).",
        INSTANCE, default=20, type="Number", min_value=5, max_value=500,
    ),
    ParamSpec(
        "DirectInternetAccess", "Direct internet access (vpc only)",
        "auto: what the deployment's network needs: Disabled where its private subnets reach "
        "the internet through a NAT gateway (prod, or an existing VPC), Enabled for a dev "
        "deployment whose new VPC has no NAT gateway. Disabled: all traffic goes through the "
        "VPC. Enabled: SageMaker adds its own internet path. A notebook using the private API "
        "always has internet access, since it is outside the VPC.",
        ACCESS, default="auto", allowed_values=("auto", "Disabled", "Enabled"),
    ),
    ParamSpec(
        "RootAccess", "Root access",
        "Enabled lets notebook users run sudo (install system packages). The lifecycle "
        "scripts run as root either way.",
        ACCESS, default="Disabled", allowed_values=("Disabled", "Enabled"),
    ),
    ParamSpec(
        "AttachSageMakerFullAccess", "Allow SageMaker jobs",
        "true attaches AmazonSageMakerFullAccess to the notebook's role, for users who "
        "start training jobs or endpoints from the notebook. false keeps the role to reading "
        "this deployment's settings and login.",
        ACCESS, default="false", allowed_values=("false", "true"),
    ),
)
