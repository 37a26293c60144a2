"""The MLflow core product stack (composition and wiring only)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from mlflow_platform.catalog import MLFLOW_CORE, MLFLOW_VERSION
from products.common.stack import PlatformProductStack

from .conditions import CoreConditions, create_conditions
from .constructs.artifacts import ArtifactStore
from .constructs.credentials import Credentials
from .constructs.database import Database
from .constructs.entry import CONTAINER_PORT, Entry
from .constructs.monitoring import Monitoring
from .constructs.network import Network, tolerate_selected_subnets
from .constructs.outputs import PublishedValues
from .constructs.service import SERVER_PORT, Service, ServiceSettings
from .parameters import PARAMETERS
from .rules import add_bound_rules

# Private DNS suffix of the Cloud Map namespaces (.internal is reserved for private use).
NAMESPACE_SUFFIX = "mlflow.internal"


class MlflowCoreStack(PlatformProductStack):
    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, spec=MLFLOW_CORE, parameters=PARAMETERS)
        p = self.params
        c = create_conditions(self, p)
        add_bound_rules(self, PARAMETERS)
        deployment = p.text("DeploymentName")

        self.network = Network(
            self, "Network", conditions=c, existing_vpc_id=p.text("ExistingVpcId"),
            existing_subnet_ids=p.text("ExistingSubnetIds"),
            log_retention_days=p.text("LogRetentionDays"),
        )
        vpc = self.network.vpc
        self.artifacts = ArtifactStore(self, "Artifacts")
        self.credentials = Credentials(self, "Credentials")
        self.database = Database(
            self, "Database", vpc=vpc, conditions=c,
            min_capacity=p.text("DatabaseMinCapacity"),
            max_capacity=p.text("DatabaseMaxCapacity"),
            backup_retention_days=p.number("BackupRetentionDays"),
        )
        self.entry = Entry(
            self, "Entry", vpc=vpc, conditions=c, certificate_arn=p.text("CertificateArn"),
            client_cidr=p.text("ClientCidr"), new_vpc_cidr=self.network.new_vpc_cidr,
            tls_host_name=p.text("TlsHostName"), name=f"mlflow-core-{deployment}",
        )
        self.service = Service(
            self, "Service", vpc=vpc, conditions=c,
            settings=ServiceSettings(
                server_repository=p.text("ServerImageRepository"),
                proxy_repository=p.text("ProxyImageRepository"),
                image_tag=p.text("ImageTag"),
                cpu_architecture=p.text("CpuArchitecture"),
                log_retention_days=p.text("LogRetentionDays"),
                auth_mode=p.text("AuthMode"),
                namespace_name=f"{deployment}.{NAMESPACE_SUFFIX}",
                family=f"mlflow-core-{deployment}",
                registry_account=p.text("ImageRegistryAccountId"),
            ),
            artifacts=self.artifacts, database=self.database, credentials=self.credentials,
            target_group=self.entry.target_group,
            public_subnet_ids=self.network.public_subnet_ids,
        )
        self._wire_service(c)
        for consumer in (self.entry.load_balancer, self.service.service):
            tolerate_selected_subnets(consumer)
        self.monitoring = Monitoring(
            self, "Monitoring", conditions=c, alarm_topic_arn=p.text("AlarmTopicArn"),
            load_balancer=self.entry.load_balancer, target_group=self.entry.target_group,
            service=self.service.service, cluster=self.database.cluster,
        )
        self._publish(deployment, c)

    def _wire_service(self, c: CoreConditions) -> None:
        p = self.params
        self.service.admit(client_security_group=self.entry.client_security_group,
                           condition=c.allow_clients)
        min_tasks = cdk.Token.as_number(c.if_(
            c.min_tasks_auto, c.if_(c.is_prod, 2, 1), p.text("MinTasks")))
        self.service.scale(min_tasks=min_tasks,
                           max_tasks=cdk.Token.as_number(p.text("MaxTasks")),
                           target_group=self.entry.target_group)
        self.service.set_host_policy(allowed_hosts=self._allowed_hosts(c),
                                     cors_origins=self.entry.url)

    def _allowed_hosts(self, c: CoreConditions) -> str:
        """Host headers MLflow accepts (exact match, or shell patterns with '*').

        The ALB's name (clients inside the VPC), the Cloud Map name with the proxy port,
        API Gateway's default hosts in this region (the private API forwards the client's
        Host), localhost for the health check and ECS Exec, TlsHostName, and
        AdditionalHostNames (custom domains).
        """
        cloud_map = self.service.cloud_map_name
        base = cdk.Fn.join(",", [
            self.entry.load_balancer.load_balancer_dns_name,
            cloud_map, f"{cloud_map}:{CONTAINER_PORT}",
            f"*.execute-api.{cdk.Aws.REGION}.amazonaws.com",
            "localhost", f"localhost:{SERVER_PORT}", "127.0.0.1", f"127.0.0.1:{SERVER_PORT}",
        ])
        with_tls = cdk.Token.as_string(c.if_(
            c.has_tls_host, cdk.Fn.join(",", [base, self.params.text("TlsHostName")]), base))
        return cdk.Token.as_string(c.if_(
            c.has_extra_hosts,
            cdk.Fn.join(",", [with_tls, self.params.text("AdditionalHostNames")]), with_tls))

    def _publish(self, deployment: str, c: CoreConditions) -> None:
        entry, network = self.entry, self.network
        no_secret = cdk.Stack.of(self).format_arn(
            service="secretsmanager", resource="secret",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            resource_name=f"mlflow-platform/{deployment}/no-shared-login")
        self.published = PublishedValues(self, "Published", deployment_name=deployment, values={
            "tracking-url": entry.url,
            "auth-mode": self.params.text("AuthMode"),
            "credentials-secret-arn": self.credentials.login.secret_arn,
            "shared-login-secret-arn": cdk.Token.as_string(
                c.if_(c.basic_mode, self.credentials.login.secret_arn, no_secret)),
            "notebook-direct-internet-access": cdk.Token.as_string(
                c.if_(c.tasks_in_public_subnets, "Enabled", "Disabled")),
            "artifact-bucket": self.artifacts.bucket.bucket_name,
            "vpc-id": network.vpc_id,
            "private-subnet-ids": cdk.Fn.join(",", network.private_subnet_ids),
            "client-security-group-id": entry.client_security_group.security_group_id,
            "notebook-subnet-id": cdk.Fn.select(0, network.private_subnet_ids),
            "notebook-security-group-id": entry.notebook_security_group.security_group_id,
            "vpc-link-id": entry.vpc_link.vpc_link_id,
            "listener-arn": entry.listener.listener_arn,
            "mlflow-version": MLFLOW_VERSION,
            "ecs-cluster": self.service.cluster.cluster_name,
            "ecs-service": self.service.service.service_name,
        })
        cdk.CfnOutput(self, "DashboardName",
                      value=self.monitoring.dashboard.dashboard_name,
                      description="CloudWatch dashboard of this deployment")
        cdk.CfnOutput(self, "CloudMapName", value=self.service.cloud_map_name,
                      description="Private DNS name of the tasks (proxy port 8080)")
        cdk.CfnOutput(self, "LoadBalancerDnsName",
                      value=entry.load_balancer.load_balancer_dns_name,
                      description="DNS name of the internal load balancer (point TlsHostName "
                      "at it when a certificate is used)")
