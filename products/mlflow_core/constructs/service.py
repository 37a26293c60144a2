"""Service: the auth proxy and the MLflow server in one Fargate task, behind the ALB.

Runtime contract (docker/mlflow_core): the server binds 127.0.0.1:5000 and is reached by
the proxy over the task's localhost; the proxy listens on 8080 and is the ALB target.

Auth mode is a launch parameter (a token), so the task definition cannot differ by mode
at synth time. Every per-mode secret is injected in every mode: the entrypoints ignore
what their mode does not use, the task definition has one shape (switching the mode on
update is a plain new revision), and no Fn::If inside container definitions is needed.
The cost is one small extra secret (the Flask key) in basic and iam modes.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from products.common.nag import acknowledge

from ..conditions import CoreConditions
from .artifacts import ARTIFACT_PREFIX, ArtifactStore
from .credentials import Credentials
from .database import MYSQL_PORT, Database
from .entry import CONTAINER_PORT
from .log_groups import log_group

SERVER_PORT = 5000
CLOUD_MAP_SERVICE = "server"
CPU_TARGET_PERCENT = 60
# ALB requests per task per minute; the proxy measured about 58 log_metric calls/s for
# one busy client, so this scales out before a single task saturates its two workers.
REQUESTS_PER_TARGET = 2000
DB_WAIT_SECONDS = 240  # an Aurora resume takes 15-30 s; a first start also migrates
HEALTH_START_PERIOD = cdk.Duration.seconds(300)  # the most ECS allows


@dataclass(frozen=True)
class ServiceSettings:
    """Launch-parameter values (tokens) the service needs."""

    server_repository: str
    proxy_repository: str
    image_tag: str
    cpu_architecture: str
    log_retention_days: str
    auth_mode: str
    namespace_name: str
    family: str  # task definition family, from DeploymentName (no fixed name)
    registry_account: str  # ImageRegistryAccountId (empty: this account)


class Service(Construct):
    """Exposes `cluster`, `service`, `task_definition`, `security_group`, `namespace`,
    `cloud_map_name`, `server` and `proxy` (containers) and `scaling`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        conditions: CoreConditions,
        settings: ServiceSettings,
        artifacts: ArtifactStore,
        database: Database,
        credentials: Credentials,
        target_group: elbv2.ApplicationTargetGroup,
        public_subnet_ids: list[str],
    ) -> None:
        super().__init__(scope, id_)
        self._conditions = conditions
        self._settings = settings
        self._public_subnet_ids = public_subnet_ids
        # ECS Exec sessions (when allowed) are recorded in their own log group, which also
        # scopes the task role's log permissions to it.
        self.exec_logs = log_group(self, "ExecLogs", retention_days=settings.log_retention_days)
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED,
            execute_command_configuration=ecs.ExecuteCommandConfiguration(
                logging=ecs.ExecuteCommandLogging.OVERRIDE,
                log_configuration=ecs.ExecuteCommandLogConfiguration(
                    cloud_watch_log_group=self.exec_logs),
            ),
        )
        # Container Insights bills custom metrics and performance logs per cluster: prod only.
        # The alarms and the dashboard use the free AWS/ECS and ALB metrics.
        cluster_cfn = self.cluster.node.default_child
        assert isinstance(cluster_cfn, ecs.CfnCluster)
        cluster_cfn.add_property_override("ClusterSettings.0.Value", conditions.if_(
            conditions.is_prod, "enabled", "disabled"))
        self.namespace = servicediscovery.PrivateDnsNamespace(
            self, "Namespace", name=settings.namespace_name, vpc=vpc,
            description="Private DNS names of one MLflow core deployment",
        )
        self.cloud_map_name = f"{CLOUD_MAP_SERVICE}.{settings.namespace_name}"
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=True,
            description="MLflow tasks: the proxy port from the load balancer (and clients)",
        )
        self.task_definition = self._task_definition(conditions)
        self.server = self._server(artifacts, database, credentials)
        self.proxy = self._proxy(credentials)
        self.service = self._service(vpc)
        target_group.add_target(self.service.load_balancer_target(
            container_name=self.proxy.container_name, container_port=CONTAINER_PORT))
        database.cluster.connections.allow_from(
            self.security_group, ec2.Port.tcp(MYSQL_PORT), "MySQL from the MLflow tasks")
        # Tasks start once the writer is up (the server still waits for a resume).
        self.service.node.add_dependency(database.cluster.node.find_child("Writer"))
        artifacts.grant_server(self.task_definition.task_role)
        self._acknowledge(artifacts)

    # --- environment set after construction (values known to the stack only) ----------
    def set_host_policy(self, *, allowed_hosts: str, cors_origins: str) -> None:
        """MLflow's Host-header allow-list and CORS origins (see stack.py for the list)."""
        self.server.add_environment("MLFLOW_SERVER_ALLOWED_HOSTS", allowed_hosts)
        self.server.add_environment("MLFLOW_SERVER_CORS_ALLOWED_ORIGINS", cors_origins)

    def admit(self, *, client_security_group: ec2.ISecurityGroup,
              condition: cdk.CfnCondition) -> None:
        """Clients may also use the Cloud Map name (the proxy port), unless iam mode."""
        ingress = ec2.CfnSecurityGroupIngress(
            self, "FromClients", group_id=self.security_group.security_group_id,
            ip_protocol="tcp", from_port=CONTAINER_PORT, to_port=CONTAINER_PORT,
            source_security_group_id=client_security_group.security_group_id,
            description="From the MLflow client security group (Cloud Map name)")
        egress = ec2.CfnSecurityGroupEgress(
            self, "ClientsToTasks", group_id=client_security_group.security_group_id,
            ip_protocol="tcp", from_port=CONTAINER_PORT, to_port=CONTAINER_PORT,
            destination_security_group_id=self.security_group.security_group_id,
            description="To the MLflow tasks (Cloud Map name)")
        for rule in (ingress, egress):
            rule.cfn_options.condition = condition

    def scale(self, *, min_tasks: float, max_tasks: float,
              target_group: elbv2.ApplicationTargetGroup) -> None:
        """Target tracking on CPU and on ALB requests per task, between the bounds."""
        self.scaling = self.service.auto_scale_task_count(min_capacity=1, max_capacity=2)
        self.scaling.scale_on_cpu_utilization(
            "Cpu", target_utilization_percent=CPU_TARGET_PERCENT,
            scale_in_cooldown=cdk.Duration.minutes(5), scale_out_cooldown=cdk.Duration.minutes(1))
        self.scaling.scale_on_request_count(
            "Requests", requests_per_target=REQUESTS_PER_TARGET, target_group=target_group,
            scale_in_cooldown=cdk.Duration.minutes(5), scale_out_cooldown=cdk.Duration.minutes(1))
        targets = [n for n in self.scaling.node.find_all()
                   if isinstance(n, appscaling.CfnScalableTarget)]
        assert len(targets) == 1
        targets[0].min_capacity = min_tasks
        targets[0].max_capacity = max_tasks
        cfn = self.service.node.default_child
        assert isinstance(cfn, ecs.CfnService)
        # No DesiredCount: ECS starts a new service with 1 task and autoscaling raises it to
        # the floor; a fixed count would scale the service back down on every stack update.
        cfn.desired_count = None

    # --- parts -------------------------------------------------------------------------
    def _task_definition(self, c: CoreConditions) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self, "Task", cpu=512, memory_limit_mib=1024, family=self._settings.family,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX),
        )
        cfn = task.node.default_child
        assert isinstance(cfn, ecs.CfnTaskDefinition)
        # dev: 0.25 vCPU / 1 GB (server PSS about 0.48 GB with two workers; under a 0.25 vCPU
        # quota here it started in 23 s and took 58 log_metric calls/s, bench/task_size.py);
        # prod: 1 vCPU / 2 GB of headroom for bursts of logging.
        cfn.cpu = cdk.Token.as_string(c.if_(c.is_prod, "1024", "256"))
        cfn.memory = cdk.Token.as_string(c.if_(c.is_prod, "2048", "1024"))
        cfn.add_property_override("RuntimePlatform.CpuArchitecture",
                                  self._settings.cpu_architecture)
        return task

    def _image(self, id_: str, repository: str) -> ecs.ContainerImage:
        # Also grants the execution role pull access to exactly this repository, in this
        # account or in the registry account the portfolio was shared from.
        c, stack = self._conditions, cdk.Stack.of(self)
        account = cdk.Token.as_string(c.if_(
            c.other_registry, self._settings.registry_account, cdk.Aws.ACCOUNT_ID))
        arn = stack.format_arn(service="ecr", account=account, resource="repository",
                               resource_name=repository)
        repo = ecr.Repository.from_repository_attributes(
            self, id_, repository_arn=arn, repository_name=repository)
        return ecs.ContainerImage.from_ecr_repository(repo, self._settings.image_tag)

    def _server(self, artifacts: ArtifactStore, database: Database,
                credentials: Credentials) -> ecs.ContainerDefinition:
        s = self._settings
        db_secret = database.cluster.secret  # the attached secret: has host and port
        assert db_secret is not None
        return self.task_definition.add_container(
            "server",
            image=self._image("ServerRepository", s.server_repository),
            essential=True,
            # An init process as PID 1: the entrypoint (PID 1 until it execs uvicorn) has no
            # SIGTERM handler while it waits for the database, and the kernel ignores SIGTERM
            # for a PID 1 without one; ECS Exec sessions also leave no zombies behind.
            linux_parameters=ecs.LinuxParameters(self, "ServerLinux", init_process_enabled=True),
            environment={
                "MLFLOW_BACKEND": "mysql",
                "MLFLOW_ARTIFACTS_DESTINATION": artifacts.destination,
                "MLFLOW_WORKERS": "2",
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
                "MLFLOW_AUTH_MODE": s.auth_mode,
                "DB_WAIT_SECONDS": str(DB_WAIT_SECONDS),
                "AWS_DEFAULT_REGION": cdk.Aws.REGION,
            },
            secrets={
                "DB_HOST": ecs.Secret.from_secrets_manager(db_secret, "host"),
                "DB_PORT": ecs.Secret.from_secrets_manager(db_secret, "port"),
                "DB_NAME": ecs.Secret.from_secrets_manager(db_secret, "dbname"),
                "DB_USERNAME": ecs.Secret.from_secrets_manager(db_secret, "username"),
                "DB_PASSWORD": ecs.Secret.from_secrets_manager(db_secret, "password"),
                "MLFLOW_FLASK_SERVER_SECRET_KEY": ecs.Secret.from_secrets_manager(
                    credentials.flask_key, "secret_key"),
                "MLFLOW_ADMIN_USERNAME": ecs.Secret.from_secrets_manager(
                    credentials.login, "username"),
                "MLFLOW_ADMIN_PASSWORD": ecs.Secret.from_secrets_manager(
                    credentials.login, "password"),
            },
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="server",
                log_group=log_group(self, "ServerLogs", retention_days=s.log_retention_days)),
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "-c",
                         "import urllib.request; urllib.request.urlopen("
                         f"'http://127.0.0.1:{SERVER_PORT}/health', timeout=4)"],
                interval=cdk.Duration.seconds(15), timeout=cdk.Duration.seconds(5),
                retries=3, start_period=HEALTH_START_PERIOD,
            ),
            stop_timeout=cdk.Duration.seconds(30),
        )

    def _proxy(self, credentials: Credentials) -> ecs.ContainerDefinition:
        s = self._settings
        proxy = self.task_definition.add_container(
            "proxy",
            image=self._image("ProxyRepository", s.proxy_repository),
            essential=True,
            linux_parameters=ecs.LinuxParameters(self, "ProxyLinux", init_process_enabled=True),
            port_mappings=[ecs.PortMapping(container_port=CONTAINER_PORT, name="proxy")],
            environment={
                "AUTH_MODE": s.auth_mode,
                "UPSTREAM": f"127.0.0.1:{SERVER_PORT}",
                "LISTEN_PORT": str(CONTAINER_PORT),
            },
            secrets={
                "MLFLOW_USERNAME": ecs.Secret.from_secrets_manager(credentials.login, "username"),
                "MLFLOW_PASSWORD": ecs.Secret.from_secrets_manager(credentials.login, "password"),
            },
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="proxy",
                log_group=log_group(self, "ProxyLogs", retention_days=s.log_retention_days)),
            health_check=ecs.HealthCheck(
                command=["CMD", "python3", "-c",
                         "import urllib.request; urllib.request.urlopen("
                         f"'http://127.0.0.1:{CONTAINER_PORT}/elb-status', timeout=4)"],
                interval=cdk.Duration.seconds(15), timeout=cdk.Duration.seconds(5),
                retries=3, start_period=cdk.Duration.seconds(30),
            ),
            stop_timeout=cdk.Duration.seconds(30),
        )
        # The ALB only sees a task once MLflow answers: no 502s while it migrates.
        proxy.add_container_dependencies(ecs.ContainerDependency(
            container=self.server, condition=ecs.ContainerDependencyCondition.HEALTHY))
        return proxy

    def _service(self, vpc: ec2.IVpc) -> ecs.FargateService:
        service = ecs.FargateService(
            self, "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=1,  # overridden in scale()
            # Rolling, never below the running count: restarts and rotations keep serving.
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            enable_execute_command=True,  # grants the ECS Exec permissions; see below
            security_groups=[self.security_group],
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            health_check_grace_period=cdk.Duration.seconds(420),
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
            cloud_map_options=ecs.CloudMapOptions(
                name=CLOUD_MAP_SERVICE, cloud_map_namespace=self.namespace,
                dns_record_type=servicediscovery.DnsRecordType.A,
                dns_ttl=cdk.Duration.seconds(10),
            ),
        )
        cfn = service.node.default_child
        assert isinstance(cfn, ecs.CfnService)
        # The permissions are harmless when off; the switch is the launch parameter.
        c = self._conditions
        cfn.enable_execute_command = c.if_(c.execute_command, True, False)  # type: ignore[assignment]
        # dev in a new VPC has no NAT gateway: the tasks reach ECR, Secrets Manager and
        # CloudWatch Logs through a public IP. Inbound, their security group still admits
        # only the load balancer and the published clients.
        cfn.add_property_override(
            "NetworkConfiguration.AwsvpcConfiguration.Subnets",
            c.if_(c.tasks_in_public_subnets, self._public_subnet_ids,
                  [s.subnet_id for s in vpc.private_subnets]))
        cfn.add_property_override(
            "NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp",
            c.if_(c.tasks_in_public_subnets, "ENABLED", "DISABLED"))
        return service

    def _acknowledge(self, artifacts: ArtifactStore) -> None:
        acknowledge(
            self.task_definition, "AwsSolutions-ECS2",
            "Environment variables carry non-secret settings only (mode, ports, bucket URL, "
            "host allow-list); every credential is a Secrets Manager reference.",
        )
        role = self.task_definition.task_role
        bucket_id, exec_logs_id = (_logical_id(c) for c in (artifacts.bucket, self.exec_logs))
        acknowledge(
            role, "AwsSolutions-IAM5",
            "Objects under the artifacts/ prefix of this deployment's bucket only; the log "
            "streams of this deployment's ECS Exec log group; ECS Exec session channels "
            "(ssmmessages) and logs:DescribeLogGroups support no resource-level permissions.",
            findings=[
                f"Resource::<{bucket_id}.Arn>/{ARTIFACT_PREFIX}/*",
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
                f"log-group:<{exec_logs_id}>:*",
                "Resource::*",
            ],
        )
        execution = self.task_definition.obtain_execution_role()
        acknowledge(
            execution, "AwsSolutions-IAM5",
            "ecr:GetAuthorizationToken supports no resource-level permissions; image pulls "
            "are limited to the two repositories.",
            findings=["Resource::*"],
        )


def _logical_id(construct: Construct) -> str:
    """Logical ID of an L2's resource, as cdk-nag names it in findings."""
    cfn = construct.node.default_child
    assert isinstance(cfn, cdk.CfnElement)
    return cdk.Stack.of(construct).get_logical_id(cfn)
