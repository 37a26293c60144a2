"""Database: Aurora MySQL 3 Serverless v2, paused when idle in dev, snapshotted on delete.

Capacities, backup retention and deletion protection come from launch parameters, i.e.
tokens, which the L2 cannot validate or use: the L2 gets literal placeholders and the
L1 properties are overridden with the parameter references.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from constructs import Construct

from products.common.nag import acknowledge

from ..conditions import CoreConditions

DATABASE_NAME = "mlflow"
USERNAME = "mlflow"
ENGINE_VERSION = rds.AuroraMysqlEngineVersion.VER_3_12_0  # >= 3.08 for auto-pause (min 0)
# Long enough that a user clicking through the UI does not pay the resume delay each time.
AUTO_PAUSE = cdk.Duration.minutes(15)
PROD_MIN_CAPACITY = 0.5
MYSQL_PORT = 3306


class Database(Construct):
    """Exposes `cluster`, `secret` (host, port, dbname, username, password) and
    `security_group` (no ingress of its own; the service is admitted by the stack)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        conditions: CoreConditions,
        min_capacity: str,
        max_capacity: str,
        backup_retention_days: float,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="MLflow database: port 3306 from the MLflow service only",
        )
        # Created here (not by the cluster) so that the secret carries dbname, which the
        # server reads; the cluster's attachment adds host and port.
        self.secret = rds.DatabaseSecret(
            self, "Secret", username=USERNAME, dbname=DATABASE_NAME,
            # Characters that would need quoting in a SQLAlchemy URL or a shell.
            exclude_characters=" %+~`#$&*()|[]{}:;<>?!'/@\"\\",
        )
        # The password is needed to open a restored snapshot: keep it after termination.
        self.secret.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_mysql(version=ENGINE_VERSION),
            credentials=rds.Credentials.from_secret(self.secret),
            default_database_name=DATABASE_NAME,
            writer=rds.ClusterInstance.serverless_v2(
                "Writer", auto_minor_version_upgrade=True, publicly_accessible=False),
            readers=[rds.ClusterInstance.serverless_v2(
                "Reader", scale_with_writer=True, auto_minor_version_upgrade=True,
                publicly_accessible=False)],
            serverless_v2_min_capacity=0,  # overridden below from the parameters
            serverless_v2_max_capacity=2,
            serverless_v2_auto_pause_duration=AUTO_PAUSE,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.security_group],
            storage_encrypted=True,
            port=MYSQL_PORT,
            backup=rds.BackupProps(retention=cdk.Duration.days(7)),
            # No log exports: RDS would create log groups that never expire, and the
            # retention custom resource is a Lambda asset (ProductStacks carry none).
            copy_tags_to_snapshot=True,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
        self._parameterize(conditions, min_capacity, max_capacity, backup_retention_days)
        self._acknowledge()

    def _parameterize(self, conditions: CoreConditions, min_capacity: str,
                      max_capacity: str, backup_retention_days: float) -> None:
        cfn = self.cluster.node.default_child
        assert isinstance(cfn, rds.CfnDBCluster)
        cfn.add_property_override("ServerlessV2ScalingConfiguration.MinCapacity",
                                  conditions.if_(conditions.prod_database_floor,
                                                 PROD_MIN_CAPACITY, min_capacity))
        cfn.add_property_override("ServerlessV2ScalingConfiguration.MaxCapacity",
                                  max_capacity)
        # Auto-pause applies to a floor of 0 only: leave the setting out otherwise.
        seconds = AUTO_PAUSE.to_seconds()
        cfn.add_property_override(
            "ServerlessV2ScalingConfiguration.SecondsUntilAutoPause",
            conditions.if_(conditions.database_pauses, seconds, cdk.Aws.NO_VALUE))
        cfn.backup_retention_period = backup_retention_days
        cfn.deletion_protection = conditions.if_(conditions.is_prod, True, False)
        # prod: a reader in the other zone for a fast failover; dev: the writer alone.
        reader = self.cluster.node.find_child("Reader").node.default_child
        assert isinstance(reader, cdk.CfnResource)
        reader.cfn_options.condition = conditions.is_prod

    def _acknowledge(self) -> None:
        acknowledge(
            self.cluster, "AwsSolutions-RDS6",
            "The MLflow server connects with the generated password injected from Secrets "
            "Manager; IAM database authentication tokens expire every 15 minutes, which "
            "MLflow's SQLAlchemy store cannot refresh.",
        )
        acknowledge(
            self.cluster, "AwsSolutions-RDS11",
            "Only the MLflow service's security group reaches the database; a non-standard "
            "port would add no protection and break the MySQL defaults of the tooling.",
        )
        acknowledge(
            self.cluster, "AwsSolutions-RDS14",
            "Backtrack is not available on Aurora Serverless v2; point-in-time recovery "
            "from automated backups (BackupRetentionDays) covers recovery.",
        )
        acknowledge(
            self.cluster, "AwsSolutions-RDS10",
            "Deletion protection is an Fn::If on the Profile: on in prod. Dev deployments are "
            "meant to be terminated, and the SNAPSHOT deletion policy keeps their data.",
        )
        acknowledge(
            self.secret, "AwsSolutions-SMG4",
            "The tasks read the password only at start; an automatic rotation would break "
            "running tasks until they restart. Rotate with a planned restart instead.",
        )
