"""Outputs and the SSM parameters of the contract (mlflow_platform.contract.CORE_KEYS).

CloudFormation cannot read another provisioned product's outputs, so the values other
products and the CLI need are also published as SSM parameters under
/mlflow-platform/<DeploymentName>/<key>. Every contract key must be given a value: a
missing or unknown key fails the synth.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from mlflow_platform import contract


def output_id(key: str) -> str:
    """CloudFormation output name of a contract key: tracking-url -> TrackingUrl."""
    return "".join(part.capitalize() for part in key.split("-"))


class PublishedValues(Construct):
    """One CfnOutput (in the stack, readable names) and one SSM parameter per key.

    Exposes `parameters` (key -> StringParameter).
    """

    def __init__(self, scope: Construct, id_: str, *, deployment_name: str,
                 values: Mapping[str, str]) -> None:
        super().__init__(scope, id_)
        keys = {k.name: k for k in contract.CORE_KEYS}
        missing, unknown = set(keys) - set(values), set(values) - set(keys)
        if missing or unknown:
            raise ValueError(f"contract keys: missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
        stack = cdk.Stack.of(self)
        self.parameters: dict[str, ssm.StringParameter] = {}
        for key in contract.CORE_KEYS:
            value = values[key.name]
            name = output_id(key.name)
            if stack.node.try_find_child(name) is not None:
                name = f"Published{name}"  # e.g. AuthMode is also a parameter
            cdk.CfnOutput(stack, name, value=value, description=key.description)
            self.parameters[key.name] = ssm.StringParameter(
                self, output_id(key.name),
                parameter_name=contract.ssm_name(deployment_name, key.name),
                string_value=value,
                description=key.description,
                tier=ssm.ParameterTier.STANDARD,
                simple_name=False,  # a path, not a bare name (the name is a token)
            )
