"""The MLflow notebook product stack (composition and wiring only)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from mlflow_platform.catalog import NOTEBOOK
from products.common.nag import acknowledge
from products.common.published import published_value
from products.common.stack import PlatformProductStack
from service_templates.notebook.render import render_lifecycle

from .parameters import PARAMETERS
from .role import NotebookRole

PLATFORM = "notebook-al2023-v1"  # AL2 platforms can no longer be created (FACTS)


class NotebookStack(PlatformProductStack):
    """A notebook instance whose kernels log to one MLflow deployment."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, spec=NOTEBOOK, parameters=PARAMETERS)
        p = self.params
        self.deployment = p.text("DeploymentName")
        self.in_vpc = cdk.CfnCondition(
            self, "InVpc", expression=cdk.Fn.condition_equals(p.text("Connection"), "vpc"))
        self.uses_private_api = cdk.CfnCondition(
            self, "UsesPrivateApi",
            expression=cdk.Fn.condition_equals(p.text("Connection"), "private-api"))
        self.full_access = cdk.CfnCondition(
            self, "AttachFullAccess",
            expression=cdk.Fn.condition_equals(p.text("AttachSageMakerFullAccess"), "true"))

        self.execution = NotebookRole(
            self, "Execution", deployment=self.deployment,
            # The shared login in basic mode; in per-user mode (where the deployment's login
            # is the admin's) and iam mode an ARN that names no secret.
            secret_arn=published_value(self.deployment, "shared-login-secret-arn"),
            private_api_invoke_arn=published_value(self.deployment, "api-invoke-arn"),
            uses_private_api=self.uses_private_api, full_access=self.full_access,
        )
        self.lifecycle = self._lifecycle()
        self.notebook = self._notebook()
        cdk.CfnOutput(self, "NotebookInstanceName",
                      value=self.notebook.attr_notebook_instance_name,
                      description="Open it from the SageMaker console (Notebook instances)")
        cdk.CfnOutput(self, "ExecutionRoleArn", value=self.execution.role.role_arn,
                      description="Role of the notebook's kernels")

    def _lifecycle(self) -> sagemaker.CfnNotebookInstanceLifecycleConfig:
        scripts = render_lifecycle(
            deployment=self.deployment, connection=self.params.text("Connection"),
            region=cdk.Aws.REGION,
        )
        return sagemaker.CfnNotebookInstanceLifecycleConfig(
            self, "Lifecycle",
            on_create=[sagemaker.CfnNotebookInstanceLifecycleConfig
                       .NotebookInstanceLifecycleHookProperty(
                           content=cdk.Fn.base64(scripts.on_create))],
            on_start=[sagemaker.CfnNotebookInstanceLifecycleConfig
                      .NotebookInstanceLifecycleHookProperty(
                          content=cdk.Fn.base64(scripts.on_start))],
        )

    def _notebook(self) -> sagemaker.CfnNotebookInstance:
        """In the core's notebook subnet with its client and notebook security groups (vpc),
        or outside any VPC with SageMaker's internet access (private-api)."""
        p = self.params
        in_vpc = self.in_vpc.logical_id
        # Published as one ID: Fn::Split would run before the dynamic reference resolves.
        subnet = published_value(self.deployment, "notebook-subnet-id")
        groups = [published_value(self.deployment, "client-security-group-id"),
                  published_value(self.deployment, "notebook-security-group-id")]
        notebook = sagemaker.CfnNotebookInstance(
            self, "Notebook",
            instance_type=p.text("InstanceType"),
            platform_identifier=PLATFORM,
            role_arn=self.execution.role.role_arn,
            volume_size_in_gb=p.number("VolumeSizeInGB"),
            root_access=p.text("RootAccess"),
            lifecycle_config_name=self.lifecycle.attr_notebook_instance_lifecycle_config_name,
            subnet_id=cdk.Fn.condition_if(in_vpc, subnet, cdk.Aws.NO_VALUE).to_string(),
            security_group_ids=cdk.Token.as_list(
                cdk.Fn.condition_if(in_vpc, groups, cdk.Aws.NO_VALUE)),
            # IMDSv2 only: kernels run user code; no session-less metadata requests.
            instance_metadata_service_configuration=sagemaker.CfnNotebookInstance
            .InstanceMetadataServiceConfigurationProperty(
                minimum_instance_metadata_service_version="2"),
            direct_internet_access=cdk.Fn.condition_if(
                in_vpc, self._direct_internet_access(), "Enabled").to_string(),
        )
        # The role's default policy must exist before the lifecycle script reads SSM at first
        # start (not the conditional private API policy: a DependsOn on it would break launch).
        notebook.node.add_dependency(self.execution.role)
        acknowledge(
            notebook, "AwsSolutions-SM1",
            "In the core's private subnet with Connection=vpc (the default); Connection="
            "private-api deliberately runs outside the VPC and reaches MLflow over HTTPS.",
        )
        acknowledge(
            notebook, "AwsSolutions-SM2",
            "The ML storage volume is always encrypted by SageMaker with the AWS managed key; "
            "a customer managed key would need KMS grants the launch role does not hold.",
        )
        acknowledge(
            notebook, "AwsSolutions-SM3",
            "In the VPC, direct internet access is Disabled by default wherever the private "
            "subnets reach the internet through NAT (auto); a dev core without a NAT gateway "
            "has no other path. Outside the VPC (private-api) SageMaker's path is the only one.",
        )
        return notebook

    def _direct_internet_access(self) -> str:
        """auto: the value the core publishes for its private subnets (Disabled behind NAT,
        Enabled in a dev VPC without NAT); otherwise the user's choice."""
        p = self.params
        auto = cdk.CfnCondition(
            self, "DirectInternetAccessAuto",
            expression=cdk.Fn.condition_equals(p.text("DirectInternetAccess"), "auto"))
        return cdk.Fn.condition_if(
            auto.logical_id,
            published_value(self.deployment, "notebook-direct-internet-access"),
            p.text("DirectInternetAccess")).to_string()
