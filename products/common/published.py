"""Reading what other products publish (mlflow_platform.contract), from CloudFormation.

Products find each other by deployment name alone: the value is an SSM dynamic reference
`{{resolve:ssm:/mlflow-platform/<name>/<key>}}` built from the DeploymentName parameter,
resolved by CloudFormation at deploy time. No cross-stack exports, no lookups at synth.
"""

from __future__ import annotations

import aws_cdk as cdk

from mlflow_platform import contract


def published_value(deployment: str, key: str) -> str:
    """Deploy-time value of one contract key of a deployment (deployment may be a token).

    KeyError for keys the contract does not define: a product can only read what some
    product is declared to write.
    """
    return cdk.CfnDynamicReference(
        cdk.CfnDynamicReferenceService.SSM, contract.ssm_name(deployment, key)
    ).to_string()
