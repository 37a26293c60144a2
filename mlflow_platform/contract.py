"""The one definition of what products publish for each other (and for the CLI).

MLflow core writes these SSM parameters under a per-deployment prefix; the private
API and notebook products and the end-user CLI read them by deployment name alone.
CloudFormation cannot read another provisioned product's outputs, so this is the
hand-over point between products.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SSM_ROOT = "/mlflow-platform"

# Deployment names become part of SSM parameter names, resource names and tags.
DEPLOYMENT_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
DEPLOYMENT_NAME_DESCRIPTION = (
    "3-32 characters: lower-case letters, digits and hyphens; starts with a letter, "
    "does not end with a hyphen."
)

AUTH_MODES = ("basic", "per-user", "iam")


@dataclass(frozen=True)
class SsmKey:
    """One value MLflow core publishes for the other products."""

    name: str
    description: str


# Order matters only for documentation; the names are the contract.
CORE_KEYS: tuple[SsmKey, ...] = (
    SsmKey("tracking-url", "Internal tracking URL of the MLflow server (through the ALB)."),
    SsmKey("auth-mode", "Auth mode of the deployment: basic, per-user or iam."),
    SsmKey("credentials-secret-arn", "ARN of the Secrets Manager secret with the MLflow login "
           "(the admin account in per-user mode)."),
    # What clients such as notebooks may read: the shared login in basic mode; in per-user and
    # iam modes the ARN of no secret (each user has their own account, or IAM signs requests).
    SsmKey("shared-login-secret-arn", "ARN of the login secret clients may read: the shared "
           "login in basic mode, an ARN naming no secret otherwise."),
    SsmKey("artifact-bucket", "Name of the S3 artifact bucket."),
    SsmKey("vpc-id", "ID of the VPC that hosts the deployment."),
    SsmKey("private-subnet-ids", "Comma-separated IDs of the private subnets."),
    SsmKey("client-security-group-id", "Security group to attach to clients of the server."),
    # One subnet, published whole: CloudFormation runs Fn::Split before it resolves a dynamic
    # reference, so a reader cannot pick one ID out of private-subnet-ids.
    SsmKey("notebook-subnet-id", "Private subnet for a SageMaker notebook of the deployment."),
    SsmKey("notebook-security-group-id", "Security group a notebook adds to the client group: "
           "HTTPS out (AWS APIs through NAT or endpoints, package indexes)."),
    SsmKey("vpc-link-id", "ID of the API Gateway VPC link to the internal ALB."),
    SsmKey("listener-arn", "ARN of the internal ALB listener."),
    SsmKey("mlflow-version", "MLflow version of the server, for matching clients."),
    SsmKey("notebook-direct-internet-access", "DirectInternetAccess a SageMaker notebook in "
           "the private subnets needs: Disabled where they reach the internet (NAT), Enabled "
           "in a dev deployment whose new VPC has no NAT gateway."),
    # Read by the portfolio's self-service actions (restart, rotate credentials).
    SsmKey("ecs-cluster", "Name of the ECS cluster that runs the tracking server."),
    SsmKey("ecs-service", "Name of the ECS service of the tracking server."),
)

# What the private API product publishes (read by the notebook product and the CLI).
API_KEYS: tuple[SsmKey, ...] = (
    SsmKey("api-url", "HTTPS tracking URI of the private API."),
    SsmKey("api-authorization", "Authorization of the private API: NONE, AWS_IAM or JWT."),
    SsmKey("api-id", "ID of the HTTP API."),
    # Published whole (not built from api-id by readers): one definition of what "may call
    # this API" means, for the notebook's role and any other role a user grants.
    SsmKey("api-invoke-arn", "execute-api ARN covering every route of the private API."),
)

_KEY_NAMES = {k.name for k in CORE_KEYS + API_KEYS}


def validate_deployment_name(name: str) -> str:
    """Return name if it is a valid deployment name, else raise ValueError naming the rule."""
    if not re.fullmatch(DEPLOYMENT_NAME_PATTERN, name):
        raise ValueError(f"invalid deployment name {name!r}: {DEPLOYMENT_NAME_DESCRIPTION}")
    return name


def ssm_prefix(deployment: str) -> str:
    """SSM prefix of one deployment. Accepts CloudFormation tokens as well as plain names."""
    return f"{SSM_ROOT}/{deployment}"


def ssm_name(deployment: str, key: str) -> str:
    """Full SSM parameter name of one published value."""
    if key not in _KEY_NAMES:
        raise KeyError(f"unknown contract key {key!r}; known: {sorted(_KEY_NAMES)}")
    return f"{ssm_prefix(deployment)}/{key}"
