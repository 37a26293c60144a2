"""Launch parameters of MLflow notebook: the one declaration."""

from __future__ import annotations

from mlflow_platform import contract
from products.common.parameters import ParamSpec

CONNECTION = "MLflow deployment"
INSTANCE = "Notebook instance"

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
)
