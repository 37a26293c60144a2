"""Monitoring: the alarms an operator of one deployment needs, and a small dashboard.

Alarms notify the optional AlarmTopicArn (an Fn::If on the actions); without a topic they
still show their state in the console and on the dashboard.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_rds as rds
from constructs import Construct

from ..conditions import CoreConditions

FIVE_MINUTES = cdk.Duration.minutes(5)
ONE_MINUTE = cdk.Duration.minutes(1)
# Aurora MySQL allows roughly 90 connections per GB of the max capacity; MLflow with
# NullPool opens one per request in flight. 80% of a 1-ACU ceiling's limit is the signal.
DB_CONNECTIONS_THRESHOLD = 150


class Monitoring(Construct):
    """Exposes `alarms` (name -> Alarm) and `dashboard`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        conditions: CoreConditions,
        alarm_topic_arn: str,
        load_balancer: elbv2.ApplicationLoadBalancer,
        target_group: elbv2.ApplicationTargetGroup,
        service: ecs.FargateService,
        cluster: rds.DatabaseCluster,
    ) -> None:
        super().__init__(scope, id_)
        lb, tg = load_balancer.metrics, target_group.metrics
        server_errors = cloudwatch.MathExpression(
            expression="FILL(elb, 0) + FILL(target, 0)",
            using_metrics={
                "elb": lb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES),
                "target": tg.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT,
                                              period=FIVE_MINUTES),
            },
            label="5xx responses (load balancer + MLflow)",
            period=FIVE_MINUTES,
        )
        specs: dict[str, tuple[cloudwatch.IMetric, float, int, str]] = {
            "ServerErrors": (server_errors, 10, 1,
                             "10 or more 5xx responses in 5 minutes"),
            "UnhealthyTargets": (tg.unhealthy_host_count(period=ONE_MINUTE,
                                                         statistic="Maximum"), 1, 3,
                                 "A task failed its /elb-status health check for 3 minutes"),
            "HighCpu": (service.metric_cpu_utilization(period=FIVE_MINUTES), 85, 3,
                        "Task CPU above 85% for 15 minutes (autoscaling at its maximum?)"),
            "HighMemory": (service.metric_memory_utilization(period=FIVE_MINUTES), 85, 3,
                           "Task memory above 85% for 15 minutes"),
            "DatabaseCapacity": (cluster.metric_acu_utilization(period=FIVE_MINUTES), 90, 3,
                                 "Database at more than 90% of its maximum ACUs for 15 "
                                 "minutes: raise DatabaseMaxCapacity"),
            "DatabaseConnections": (cluster.metric_database_connections(period=FIVE_MINUTES,
                                                                        statistic="Maximum"),
                                    DB_CONNECTIONS_THRESHOLD, 2,
                                    "Unusually many database connections"),
        }
        self.alarms = {
            name: self._alarm(name, metric, threshold, periods, description,
                              conditions, alarm_topic_arn)
            for name, (metric, threshold, periods, description) in specs.items()
        }
        self.dashboard = self._dashboard(lb, tg, service, cluster, server_errors)

    def _alarm(self, name: str, metric: cloudwatch.IMetric, threshold: float, periods: int,
               description: str, conditions: CoreConditions, topic: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self, name, metric=metric, threshold=threshold, evaluation_periods=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # A paused database and an idle load balancer publish nothing: that is fine.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"MLflow {cdk.Aws.STACK_NAME}: {description}",
        )
        cfn = alarm.node.default_child
        assert isinstance(cfn, cloudwatch.CfnAlarm)
        actions = conditions.if_(conditions.has_alarm_topic, [topic], cdk.Aws.NO_VALUE)
        cfn.add_property_override("AlarmActions", actions)
        cfn.add_property_override("OKActions", actions)
        return alarm

    def _dashboard(self, lb: elbv2.IApplicationLoadBalancerMetrics,
                   tg: elbv2.IApplicationTargetGroupMetrics, service: ecs.FargateService,
                   cluster: rds.DatabaseCluster, server_errors: cloudwatch.IMetric
                   ) -> cloudwatch.Dashboard:
        # No dashboard_name: CloudFormation generates one, so launches never collide.
        dashboard = cloudwatch.Dashboard(self, "Dashboard",
                                         default_interval=cdk.Duration.hours(6))
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()),
                                         width=24, height=3),
        )
        dashboard.add_widgets(
            _graph("Requests", [lb.request_count(period=ONE_MINUTE)]),
            _graph("5xx responses", [server_errors]),
            _graph("Response time (p90)", [tg.target_response_time(
                period=ONE_MINUTE, statistic="p90")]),
            _graph("Healthy / unhealthy tasks", [tg.healthy_host_count(period=ONE_MINUTE),
                                                 tg.unhealthy_host_count(period=ONE_MINUTE)]),
        )
        dashboard.add_widgets(
            _graph("Task CPU and memory (%)", [service.metric_cpu_utilization(),
                                              service.metric_memory_utilization()]),
            _graph("Database capacity (ACU)", [cluster.metric_serverless_database_capacity()]),
            _graph("Database ACU utilization (%)", [cluster.metric_acu_utilization()]),
            _graph("Database connections", [cluster.metric_database_connections()]),
        )
        return dashboard


def _graph(title: str, metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=6, height=6)
