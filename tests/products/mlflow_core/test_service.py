"""Service: proxy + server in one ARM64 Fargate task, safe deployments, autoscaling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.helpers.rules import failed_assertions

from .resources import only, render


def _containers(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    task = only(resources, "AWS::ECS::TaskDefinition")["Properties"]
    return {c["Name"]: c for c in task["ContainerDefinitions"]}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}


def _secrets(container: dict[str, Any]) -> dict[str, str]:
    """Secret env name -> JSON field read from the secret (ValueFrom ends ':<field>::')."""
    out = {}
    for secret in container["Secrets"]:
        parts = secret["ValueFrom"]["Fn::Join"][1]
        out[secret["Name"]] = parts[-1].split(":")[1]
    return out


def test_task_is_arm64_by_default(launch: Callable[..., dict[str, Any]]) -> None:
    task = only(launch(), "AWS::ECS::TaskDefinition")["Properties"]
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64",
                                       "OperatingSystemFamily": "LINUX"}
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    x86 = only(launch(CpuArchitecture="X86_64"), "AWS::ECS::TaskDefinition")["Properties"]
    assert x86["RuntimePlatform"]["CpuArchitecture"] == "X86_64"


@pytest.mark.parametrize(("profile", "cpu", "memory"), [("dev", "256", "1024"),
                                                         ("prod", "1024", "2048")])
def test_task_size_follows_the_profile(launch: Callable[..., dict[str, Any]], profile: str,
                                       cpu: str, memory: str) -> None:
    task = only(launch(Profile=profile), "AWS::ECS::TaskDefinition")["Properties"]
    assert (task["Cpu"], task["Memory"]) == (cpu, memory)


def test_server_container_follows_the_runtime_contract(
        launch: Callable[..., dict[str, Any]]) -> None:
    server = _containers(launch(AuthMode="per-user"))["server"]
    env = _env(server)
    assert env["MLFLOW_BACKEND"] == "mysql"
    assert env["MLFLOW_AUTH_MODE"] == "per-user"
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["MLFLOW_WORKERS"] == "2"
    assert int(env["DB_WAIT_SECONDS"]) >= 60
    assert env["MLFLOW_ARTIFACTS_DESTINATION"]["Fn::Join"][1][-1] == "/artifacts"
    assert _secrets(server) == {
        "DB_HOST": "host", "DB_PORT": "port", "DB_NAME": "dbname",
        "DB_USERNAME": "username", "DB_PASSWORD": "password",
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "secret_key",
        "MLFLOW_ADMIN_USERNAME": "username", "MLFLOW_ADMIN_PASSWORD": "password",
    }
    assert server["Essential"] is True
    assert "PortMappings" not in server  # reached over localhost only
    assert "127.0.0.1:5000/health" in " ".join(server["HealthCheck"]["Command"])


def test_allowed_hosts_name_the_alb_cloud_map_api_gateway_and_localhost(
        launch: Callable[..., dict[str, Any]]) -> None:
    hosts = render(_env(_containers(launch())["server"])["MLFLOW_SERVER_ALLOWED_HOSTS"])
    alb = next(h for h in hosts.split(",") if h.endswith(".DNSName>"))
    assert hosts.split(",") == [
        alb, "server.team-a.mlflow.internal", "server.team-a.mlflow.internal:8080",
        "*.execute-api.<AWS::Region>.amazonaws.com",
        "localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000",
    ]
    extra = _env(_containers(launch(AdditionalHostNames="mlflow.example.org"))["server"])
    assert render(extra["MLFLOW_SERVER_ALLOWED_HOSTS"]) == f"{hosts},mlflow.example.org"
    tls = _env(_containers(launch(
        CertificateArn="arn:aws:acm:us-east-1:111111111111:certificate/"
                       "12345678-1234-1234-1234-123456789012",
        TlsHostName="mlflow.example.com", AdditionalHostNames="api.example.org"))["server"])
    assert render(tls["MLFLOW_SERVER_ALLOWED_HOSTS"]) == (
        f"{hosts},mlflow.example.com,api.example.org")


def test_proxy_is_the_essential_target_and_waits_for_a_healthy_server(
        launch: Callable[..., dict[str, Any]]) -> None:
    proxy = _containers(launch())["proxy"]
    assert proxy["Essential"] is True
    assert proxy["PortMappings"][0]["ContainerPort"] == 8080
    assert _env(proxy) == {"AUTH_MODE": "basic", "UPSTREAM": "127.0.0.1:5000",
                           "LISTEN_PORT": "8080"}
    assert _secrets(proxy) == {"MLFLOW_USERNAME": "username", "MLFLOW_PASSWORD": "password"}
    assert proxy["DependsOn"] == [{"ContainerName": "server", "Condition": "HEALTHY"}]
    assert "/elb-status" in " ".join(proxy["HealthCheck"]["Command"])
    service = only(launch(), "AWS::ECS::Service")["Properties"]
    assert service["LoadBalancers"][0]["ContainerName"] == "proxy"


def test_both_containers_run_an_init_process_so_sigterm_stops_a_waiting_entrypoint(
        launch: Callable[..., dict[str, Any]]) -> None:
    for name, container in _containers(launch()).items():
        assert container["LinuxParameters"]["InitProcessEnabled"] is True, name


def test_images_come_from_the_repository_and_tag_parameters(template: Template) -> None:
    for repository in ("ServerImageRepository", "ProxyImageRepository"):
        template.has_resource_properties("AWS::ECS::TaskDefinition", {
            "ContainerDefinitions": Match.array_with([Match.object_like({
                "Image": {"Fn::Join": ["", Match.array_with([{"Ref": repository}, ":",
                                                              {"Ref": "ImageTag"}])]},
            })]),
        })


@pytest.mark.parametrize(("values", "account"), [
    ({}, "<AWS::AccountId>"), ({"ImageRegistryAccountId": "999999999999"}, "999999999999")])
def test_images_are_pulled_from_the_registry_account(
        launch: Callable[..., dict[str, Any]], values: dict[str, str], account: str) -> None:
    """A shared account pulls from the portfolio's registry; the pull grant names it too."""
    resources = launch(**values)
    for name, container in _containers(resources).items():
        image = render(container["Image"])
        assert image.startswith(f"{account}.dkr.ecr.<AWS::Region>."), (name, image)
    pulls = [render(resource)
             for policy in resources["Resources"].values() if policy["Type"] == "AWS::IAM::Policy"
             for statement in policy["Properties"]["PolicyDocument"]["Statement"]
             if "ecr:BatchGetImage" in statement["Action"]
             for resource in statement["Resource"]]
    assert len(pulls) == 2
    for resource in pulls:
        assert f":ecr:<AWS::Region>:{account}:repository/" in resource


def test_deployments_roll_with_circuit_breaker_and_rollback(template: Template) -> None:
    template.has_resource_properties("AWS::ECS::Service", {
        "LaunchType": "FARGATE",
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            "MinimumHealthyPercent": 100, "MaximumPercent": 200},
        "ServiceRegistries": Match.any_value(),
    })


def _network(resources: dict[str, Any]) -> dict[str, Any]:
    return only(resources, "AWS::ECS::Service")["Properties"]["NetworkConfiguration"][
        "AwsvpcConfiguration"]


def test_dev_tasks_in_a_new_vpc_run_in_public_subnets_with_a_public_ip(
        launch: Callable[..., dict[str, Any]]) -> None:
    resources = launch()
    network = _network(resources)
    assert network["AssignPublicIp"] == "ENABLED"
    for subnet in [ref["Ref"] for ref in network["Subnets"]]:
        assert resources["Resources"][subnet]["Properties"]["MapPublicIpOnLaunch"] is False
        assert "PublicSubnet" in subnet
    # A public IP opens nothing: the tasks admit only the load balancer and the clients.
    group = network["SecurityGroups"][0]["Fn::GetAtt"][0]
    body = resources["Resources"][group]["Properties"]
    assert "SecurityGroupIngress" not in body
    sources = {r["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
               for r in resources["Resources"].values()
               if r["Type"] == "AWS::EC2::SecurityGroupIngress"
               and r["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}}
    descriptions = sorted(resources["Resources"][s]["Properties"]["GroupDescription"]
                          for s in sources)
    assert [d.split(":")[0] for d in descriptions] == ["Attach to clients of this MLflow server "
                                                        "(besides their own groups)",
                                                        "MLflow load balancer"]


@pytest.mark.parametrize("values", [{"Profile": "prod"},
                                    {"ExistingVpcId": "vpc-0123456789abcdef0",
                                     "ExistingSubnetIds": "subnet-0123456789abcdef0,"
                                                          "subnet-0123456789abcdef1"}])
def test_prod_and_existing_vpc_tasks_stay_private(
        launch: Callable[..., dict[str, Any]], values: dict[str, str]) -> None:
    resources = launch(**values)
    network = _network(resources)
    assert network["AssignPublicIp"] == "DISABLED"
    for subnet in network["Subnets"]:
        if "Ref" in subnet:
            assert "PrivateSubnet" in subnet["Ref"]
        else:  # an existing VPC: the given subnets
            assert subnet["Fn::Select"][1]["Fn::Split"][1]["Fn::Join"][1][0] == values[
                "ExistingSubnetIds"]


@pytest.mark.parametrize(("profile", "insights"), [("dev", "disabled"), ("prod", "enabled")])
def test_container_insights_only_in_prod(launch: Callable[..., dict[str, Any]], profile: str,
                                         insights: str) -> None:
    cluster = only(launch(Profile=profile), "AWS::ECS::Cluster")["Properties"]
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": insights}]


@pytest.mark.parametrize(("value", "enabled"), [("false", False), ("true", True)])
def test_ecs_exec_is_a_launch_option(launch: Callable[..., dict[str, Any]], value: str,
                                     enabled: bool) -> None:
    service = only(launch(EnableExecuteCommand=value), "AWS::ECS::Service")["Properties"]
    assert service["EnableExecuteCommand"] is enabled


@pytest.mark.parametrize(("values", "floor"), [
    ({}, 1), ({"Profile": "prod"}, 2), ({"MinTasks": "3", "MaxTasks": "4"}, "3"),
])
def test_task_floor_follows_profile_or_min_tasks(launch: Callable[..., dict[str, Any]],
                                                 values: dict[str, str], floor: object) -> None:
    resources = launch(**values)
    target = only(resources, "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert target["MinCapacity"] == floor
    assert target["MaxCapacity"] == values.get("MaxTasks", "2")
    # No fixed count: a stack update must not scale a busy service back to the floor.
    assert "DesiredCount" not in only(resources, "AWS::ECS::Service")["Properties"]


def test_autoscaling_tracks_cpu_and_requests_per_target(template: Template) -> None:
    for metric in ("ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"):
        template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like({
                "PredefinedMetricSpecification": Match.object_like({
                    "PredefinedMetricType": metric})}),
        })


@pytest.mark.parametrize(("values", "ok"), [
    ({"MinTasks": "4", "MaxTasks": "2"}, False),
    ({"MinTasks": "2", "MaxTasks": "2"}, True),
    ({"Profile": "prod", "MaxTasks": "1"}, False),
    ({"Profile": "dev", "MaxTasks": "1"}, True),
])
def test_task_bounds_are_checked_at_launch(template_json: dict[str, Any],
                                           values: dict[str, str], ok: bool) -> None:
    failures = failed_assertions(template_json, {"DeploymentName": "team-a", **values})
    assert (failures == []) is ok, failures


def test_cloud_map_name_derives_from_the_deployment(
        launch: Callable[..., dict[str, Any]]) -> None:
    namespace = only(launch(), "AWS::ServiceDiscovery::PrivateDnsNamespace")["Properties"]
    assert namespace["Name"] == {"Fn::Join": ["", ["team-a", ".mlflow.internal"]]}
    registry = only(launch(), "AWS::ServiceDiscovery::Service")["Properties"]
    assert registry["Name"] == "server"


def test_log_groups_keep_logs_for_the_retention_parameter(template: Template) -> None:
    groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 4  # server, proxy, ECS Exec sessions, VPC flow log
    for body in groups.values():
        assert body["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert "LogGroupName" not in body["Properties"]
