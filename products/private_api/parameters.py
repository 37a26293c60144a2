"""Launch parameters of MLflow private API: the one declaration."""

from __future__ import annotations

from mlflow_platform import contract
from products.common.parameters import ParamSpec

CONNECTION = "MLflow deployment"

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "DeploymentName", "MLflow deployment name",
        "Name of the MLflow core deployment to expose (as given when it was launched).",
        CONNECTION, allowed_pattern=contract.DEPLOYMENT_NAME_PATTERN,
        constraint_description=contract.DEPLOYMENT_NAME_DESCRIPTION, max_length=32,
    ),
)
