"""Monitoring: alarms on 5xx, unhealthy targets, CPU, memory, DB capacity and connections."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from .resources import of_type

TOPIC = "arn:aws:sns:us-east-1:111111111111:mlflow-alarms"


def _metric_names(alarm: dict[str, Any]) -> set[str]:
    props = alarm["Properties"]
    if "MetricName" in props:
        return {props["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"]
            if "MetricStat" in m}


def test_alarms_cover_errors_health_cpu_memory_and_database(
        launch: Callable[..., dict[str, Any]]) -> None:
    alarms = of_type(launch(), "AWS::CloudWatch::Alarm").values()
    names = [_metric_names(a) for a in alarms]
    expected = [{"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"},
                {"UnHealthyHostCount"}, {"CPUUtilization"}, {"MemoryUtilization"},
                {"ACUUtilization"}, {"DatabaseConnections"}]
    assert sorted(map(sorted, names)) == sorted(map(sorted, expected))


def test_alarms_tolerate_a_paused_database(template: Template) -> None:
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize(("values", "actions"), [({}, None), ({"AlarmTopicArn": TOPIC},
                                                               [TOPIC])])
def test_alarms_notify_the_optional_topic(launch: Callable[..., dict[str, Any]],
                                          values: dict[str, str], actions: Any) -> None:
    for alarm in of_type(launch(**values), "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"].get("AlarmActions") == actions
        assert alarm["Properties"].get("OKActions") == actions


def test_dashboard_shows_service_and_database(template_json: dict[str, Any]) -> None:
    (dashboard,) = [v for v in template_json["Resources"].values()
                    if v["Type"] == "AWS::CloudWatch::Dashboard"]
    assert "DashboardName" not in dashboard["Properties"]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in ("RequestCount", "TargetResponseTime", "CPUUtilization",
                   "ServerlessDatabaseCapacity", "DatabaseConnections"):
        assert metric in body, metric


def test_database_alarms_watch_this_cluster(template: Template) -> None:
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ACUUtilization", "Namespace": "AWS/RDS",
        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": Match.object_like(
            {"Ref": Match.string_like_regexp("^DatabaseCluster")})}],
    })
