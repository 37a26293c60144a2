"""Execution role of the notebook: reads this deployment's settings and login, nothing more."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from mlflow_platform import contract
from products.common.nag import acknowledge

SAGEMAKER_FULL_ACCESS = "AmazonSageMakerFullAccess"


class NotebookRole(Construct):
    """The role the notebook instance (its kernels and lifecycle scripts) runs as.

    - SSM: GetParameters on this deployment's published values (the lifecycle script reads
      them at every start, in one call).
    - Secrets Manager: GetSecretValue on the deployment's shared login only (basic mode).
    - CloudWatch Logs: SageMaker's notebook log group (lifecycle script output).
    - With `uses_private_api`: execute-api:Invoke on the deployment's private API (SigV4).
    - With `full_access`: AmazonSageMakerFullAccess (opt-in, for training jobs).

    Exposes `.role`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        deployment: str,
        secret_arn: str,
        private_api_invoke_arn: str,
        uses_private_api: cdk.CfnCondition,
        full_access: cdk.CfnCondition,
    ) -> None:
        super().__init__(scope, id_)
        stack = cdk.Stack.of(self)
        full_access_arn = f"arn:{cdk.Aws.PARTITION}:iam::aws:policy/{SAGEMAKER_FULL_ACCESS}"
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="MLflow notebook: reads its MLflow deployment's settings and login",
        )
        cfn_role = self.role.node.default_child
        assert isinstance(cfn_role, iam.CfnRole)
        # A conditional element (dropped by AWS::NoValue), not a conditional list: cdk-nag
        # can then read the list and name its finding.
        cfn_role.managed_policy_arns = [cdk.Fn.condition_if(
            full_access.logical_id, full_access_arn, cdk.Aws.NO_VALUE).to_string()]
        parameters_arn = stack.format_arn(
            service="ssm", resource="parameter",
            resource_name=f"{contract.ssm_prefix(deployment).lstrip('/')}/*")
        logs_arn = stack.format_arn(
            service="logs", resource="log-group",
            resource_name="/aws/sagemaker/NotebookInstances:*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        self.role.add_to_policy(iam.PolicyStatement(
            # The OnStart script reads all its values in one `aws ssm get-parameters` call.
            sid="ReadDeploymentSettings", actions=["ssm:GetParameters"],
            resources=[parameters_arn]))
        self.role.add_to_policy(iam.PolicyStatement(
            sid="ReadMlflowLogin", actions=["secretsmanager:GetSecretValue"],
            resources=[secret_arn]))
        self.role.add_to_policy(iam.PolicyStatement(
            sid="WriteNotebookLogs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                     "logs:DescribeLogStreams"],
            resources=[logs_arn]))
        self._private_api_policy(private_api_invoke_arn, uses_private_api)
        acknowledge(
            self.role, "AwsSolutions-IAM4",
            "AmazonSageMakerFullAccess is attached only when the launching user opts in "
            "(AttachSageMakerFullAccess=true) to run SageMaker jobs from the notebook.",
            # cdk-nag names an Fn::If element by its JSON.
            findings=["Policy::" + json.dumps(stack.resolve(cfn_role.managed_policy_arns)[0],
                                              separators=(",", ":"))],
        )
        acknowledge(
            self.role.node.find_child("DefaultPolicy"), "AwsSolutions-IAM5",
            "Scoped wildcards: this deployment's SSM prefix (its published values) and "
            "SageMaker's own notebook log group (streams are named per instance).",
            findings=[
                "Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/"
                "mlflow-platform/<DeploymentName>/*",
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                "/aws/sagemaker/NotebookInstances:*",
            ],
        )

    def _private_api_policy(self, invoke_arn: str, condition: cdk.CfnCondition) -> None:
        """A separate policy under the condition: its SSM reference to the private API is
        only resolved when the notebook uses that API (which may not exist otherwise).

        The private API publishes its invoke ARN (`<api id>/*`, every route of that one API)
        whole, so this role and the API's own invoke policy share one definition.
        """
        policy = iam.Policy(self, "PrivateApiPolicy", statements=[iam.PolicyStatement(
            sid="CallPrivateApi", actions=["execute-api:Invoke"], resources=[invoke_arn])])
        policy.attach_to_role(self.role)
        cfn = policy.node.default_child
        assert isinstance(cfn, iam.CfnPolicy)
        cfn.cfn_options.condition = condition
