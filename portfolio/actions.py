"""Self-service actions of MLflow core: restart the service, rotate the MLflow login.

How a user runs one: Service Catalog console > Provisioned products > select an MLflow
core deployment > Actions > "MLflowCore-RestartService" (or "...-RotateCredentials") >
type the deployment's name (the DeploymentName parameter, also in the outputs) > Run.
Service Catalog starts the SSM Automation document below with the action role; the
document finds the deployment's cluster, service and secret through the SSM parameters
the product publishes (/mlflow-platform/<DeploymentName>/..., mlflow_platform.contract),
so the documents live once in the portfolio stack and serve every deployment.

The action role can only touch what MLflow core created: ECS services and secrets that
carry the product's tags, and parameters under /mlflow-platform/.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_servicecatalog as servicecatalog
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from mlflow_platform import contract
from mlflow_platform.catalog import MLFLOW_CORE
from products.common.nag import acknowledge
from products.common.stack import PRODUCT_TAG
from products.mlflow_core.constructs.credentials import CREDENTIALS_ROLE, ROLE_TAG

from .lookups import artifact_id

WAIT_SECONDS = 1800  # a rolling replacement waits for health checks and draining

# Runs inside SSM Automation: the new password never appears in step outputs or logs.
_ROTATE_SCRIPT = '''
import json
import secrets
import string

import boto3


def rotate(events, context):
    client = boto3.client("secretsmanager")
    arn = events["SecretArn"]
    value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    alphabet = string.ascii_letters + string.digits
    value["password"] = "".join(secrets.choice(alphabet) for _ in range(32))
    client.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
    return {"rotated": arn}
'''


def _ssm_param(key: str) -> str:
    return contract.ssm_name("{{ DeploymentName }}", key)


def _lookup(step: str, key: str) -> dict:
    return {
        "name": step,
        "action": "aws:executeAwsApi",
        "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": _ssm_param(key)},
        "outputs": [{"Name": "Value", "Selector": "$.Parameter.Value", "Type": "String"}],
    }


def _restart_steps() -> list[dict]:
    cluster, service = "{{ FindCluster.Value }}", "{{ FindService.Value }}"
    return [
        _lookup("FindCluster", "ecs-cluster"),
        _lookup("FindService", "ecs-service"),
        {
            "name": "StartRollingDeployment",
            "action": "aws:executeAwsApi",
            # New tasks start (and pass their health checks) before old ones stop:
            # the service runs with minimum healthy 100%, maximum 200%.
            "inputs": {"Service": "ecs", "Api": "UpdateService", "cluster": cluster,
                       "service": service, "forceNewDeployment": True},
        },
        {
            "name": "WaitForDeployment",
            "action": "aws:waitForAwsResourceProperty",
            "timeoutSeconds": WAIT_SECONDS,
            "inputs": {"Service": "ecs", "Api": "DescribeServices", "cluster": cluster,
                       "services": [service],
                       "PropertySelector": "$.services[0].deployments[0].rolloutState",
                       "DesiredValues": ["COMPLETED"]},
        },
    ]


def _document(description: str, steps: list[dict]) -> dict:
    return {
        "schemaVersion": "0.3",
        "description": description,
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "DeploymentName": {
                "type": "String",
                "description": "DeploymentName of the MLflow core deployment",
                "allowedPattern": contract.DEPLOYMENT_NAME_PATTERN,
            },
            "AutomationAssumeRole": {
                "type": "String", "default": "",
                "description": "Role the automation runs as (set by Service Catalog)",
            },
        },
        "mainSteps": steps,
    }


def restart_document() -> dict:
    return _document("Restart MLflow core: a rolling new deployment of its tasks.",
                     _restart_steps())


def rotate_document() -> dict:
    rotate = {
        "name": "RotatePassword",
        "action": "aws:executeScript",
        "inputs": {"Runtime": "python3.11", "Handler": "rotate", "Script": _ROTATE_SCRIPT,
                   "InputPayload": {"SecretArn": "{{ FindSecret.Value }}"}},
    }
    return _document(
        "Rotate the MLflow login of MLflow core (new generated password), then restart "
        "its tasks one by one so they read it. Read the new password from the secret.",
        [_lookup("FindSecret", "credentials-secret-arn"), rotate, *_restart_steps()],
    )


class CoreServiceActions(Construct):
    """The two documents, their service actions, and the associations with each version."""

    def __init__(self, scope: Construct, id_: str, *,
                 product: servicecatalog.IProduct, versions: Sequence[str]) -> None:
        super().__init__(scope, id_)
        self.role = self._role()
        self.actions = {
            "RestartService": self._action(
                "RestartService", restart_document(),
                "Restart the MLflow tasks (rolling, no downtime)."),
            "RotateCredentials": self._action(
                "RotateCredentials", rotate_document(),
                "New MLflow password in the credentials secret, then a rolling restart."),
        }
        for version in versions:
            artifact = artifact_id(self, product=product, version=version)
            for name, action in self.actions.items():
                servicecatalog.CfnServiceActionAssociation(
                    self, f"{name}{version}", product_id=product.product_id,
                    provisioning_artifact_id=artifact.value, service_action_id=action.ref)

    def _action(self, name: str, content: dict, description: str
                ) -> servicecatalog.CfnServiceAction:
        document = ssm.CfnDocument(self, f"{name}Document", document_type="Automation",
                                   content=content, document_format="JSON")
        return servicecatalog.CfnServiceAction(
            self, name,
            name=f"MLflowCore-{name}",
            description=description,
            definition_type="SSM_AUTOMATION",
            definition=[
                servicecatalog.CfnServiceAction.DefinitionParameterProperty(key=k, value=v)
                for k, v in {
                    "Name": document.ref,
                    "Version": "1",
                    "AssumeRole": self.role.role_arn,
                    "Parameters": json.dumps([{"Name": "DeploymentName",
                                               "Type": "TEXT_VALUE"}]),
                }.items()
            ],
        )

    def _role(self) -> iam.Role:
        stack = cdk.Stack.of(self)
        parameters = str(PurePosixPath(contract.SSM_ROOT.lstrip("/")) / "*")
        role = iam.Role(
            self, "Role",
            # Confused-deputy guard: SSM may assume the role only for automation executions
            # of this account (SSM sets both keys when Automation assumes a role).
            assumed_by=iam.ServicePrincipal("ssm.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": stack.format_arn(
                    service="ssm", region="*", resource="automation-execution",
                    resource_name="*")},
            }),
            description="Runs the MLflow core self-service actions (restart, rotate login)",
        )
        # Service Catalog hands the role to the automation when a user runs an action. It
        # documents no source keys for that, so this statement has no such condition (like
        # every launch role); who may run an action is decided by portfolio access.
        role.assume_role_policy.add_statements(iam.PolicyStatement(
            actions=["sts:AssumeRole"],
            principals=[iam.ServicePrincipal("servicecatalog.amazonaws.com")],
        ))
        statements = [
            iam.PolicyStatement(
                sid="ReadPublishedValues", actions=["ssm:GetParameter"],
                resources=[stack.format_arn(service="ssm", resource="parameter",
                                            resource_name=parameters)]),
            iam.PolicyStatement(
                sid="RestartCoreServices", actions=["ecs:UpdateService"],
                resources=[stack.format_arn(service="ecs", resource="service",
                                            resource_name="*")],
                conditions={"StringEquals": {f"aws:ResourceTag/{PRODUCT_TAG}":
                                             MLFLOW_CORE.slug}}),
            iam.PolicyStatement(
                sid="WatchServices", actions=["ecs:DescribeServices"],
                resources=[stack.format_arn(service="ecs", resource="service",
                                            resource_name="*")]),
            iam.PolicyStatement(
                sid="RotateCoreLogins",
                actions=["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
                         "secretsmanager:DescribeSecret"],
                resources=[stack.format_arn(service="secretsmanager", resource="secret",
                                            resource_name="*",
                                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)],
                conditions={"StringEquals": {f"secretsmanager:ResourceTag/{ROLE_TAG}":
                                             CREDENTIALS_ROLE}}),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        acknowledge(
            role, "AwsSolutions-IAM5",
            "Deployments are created by users at any time, so names are unknown here: "
            "parameters are limited to /mlflow-platform/, updates to ECS services tagged as "
            "MLflow core, secret changes to secrets tagged as MLflow logins.",
            findings=[
                "Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:"
                f"parameter/{parameters}",
                "Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*",
                "Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:"
                "<AWS::AccountId>:secret:*",
            ],
        )
        return role
