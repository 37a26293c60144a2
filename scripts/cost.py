#!/usr/bin/env python3
"""Monthly cost of each product and profile, read from the synthesized templates.

Reads the product templates in cdk.out, evaluates their CloudFormation conditions for each
profile (what a launch with those values creates), counts what AWS bills (NAT gateways,
public IPv4, load balancers, Fargate tasks at their floor, Aurora Serverless v2 ACUs,
secrets, interface endpoints, CloudWatch, API requests, notebook hours, S3) and prices it
with a dated price table (data/prices/<region>.json). Two workloads: idle (only what must
run) and active (stated below). The old sample's architecture and SageMaker's managed MLflow
go through the same model for comparison.

    python scripts/cost.py [--cdk-out cdk.out] [--region us-east-1] [--json | --markdown]
    python scripts/cost.py --update-doc docs/cost.md   # rewrite the generated part
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRICES_DIR = ROOT / "data" / "prices"
DEFAULT_REGION = "us-east-1"
TARGET_MONTHLY = 40.0  # issue 9: dev MLflow core + private API, idle, us-east-1
TARGET_PRODUCTS = ("mlflow-core", "private-api")
PLACEHOLDER = "example"  # value of required parameters (no default) when evaluating
_PRODUCT_FILE = re.compile(
    r"^MlflowPlatformPortfolio(?P<id>[A-Za-z0-9]+?)Product"
    r"[0-9A-F]{8}\.product\.template\.json$"
)

Template = Mapping[str, Any]


# ---------------------------------------------------------------------------- prices


class UnknownRegionError(ValueError):
    """No price table exists for the region."""


@dataclass(frozen=True)
class Price:
    price: float
    unit: str
    source: str
    date: str
    confidence: str = ""


@dataclass(frozen=True)
class PriceTable:
    region: str
    hours_per_month: float
    prices: Mapping[str, Price]
    path: Path

    def get(self, key: str) -> Price | None:
        return self.prices.get(key)


def known_regions(directory: Path = PRICES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def load_prices(region: str, directory: Path = PRICES_DIR) -> PriceTable:
    path = directory / f"{region}.json"
    if not path.is_file():
        raise UnknownRegionError(
            f"no price table for region {region!r}: known regions are "
            f"{', '.join(known_regions(directory)) or 'none'} (add {path.name} under "
            f"{directory} with a source and date for each price)"
        )
    data = json.loads(path.read_text())
    prices = {key: Price(**spec) for key, spec in data["prices"].items()}
    return PriceTable(data["region"], float(data["hours_per_month"]), prices, path)


# ------------------------------------------------------------ template evaluation


class Unresolved(ValueError):
    """A value that depends on something only known at deploy time (GetAtt, ...)."""


_NO_VALUE = object()


def parameter_values(
    template: Template, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Launch values: defaults, a placeholder for required ones, then the overrides."""
    params = template.get("Parameters", {})
    unknown = set(overrides or {}) - set(params)
    if unknown:
        raise KeyError(f"no such parameters: {sorted(unknown)}; declared: {sorted(params)}")
    values = {name: str(spec.get("Default", PLACEHOLDER)) for name, spec in params.items()}
    values.update({k: str(v) for k, v in (overrides or {}).items()})
    return values


@dataclass
class Launch:
    """What a launch with given parameter values creates: conditions applied lazily."""

    template: Template
    values: dict[str, str]
    conditions: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, template: Template, overrides: Mapping[str, str] | None = None) -> Launch:
        launch = cls(template, parameter_values(template, overrides))
        for name in template.get("Conditions", {}):
            launch.condition(name)
        return launch

    def condition(self, name: str, stack: tuple[str, ...] = ()) -> bool:
        if name in stack:
            raise ValueError(f"condition cycle: {' -> '.join((*stack, name))}")
        if name not in self.conditions:
            expr = self.template.get("Conditions", {}).get(name)
            if expr is None:
                raise ValueError(f"unknown condition {name!r}")
            self.conditions[name] = self._truth(expr, (*stack, name))
        return self.conditions[name]

    def _truth(self, expr: Any, stack: tuple[str, ...]) -> bool:
        ((fn, args),) = expr.items()
        if fn == "Fn::Equals":
            return str(self.value(args[0])) == str(self.value(args[1]))
        if fn == "Fn::And":
            return all(self._truth(a, stack) for a in args)
        if fn == "Fn::Or":
            return any(self._truth(a, stack) for a in args)
        if fn == "Fn::Not":
            return not self._truth(args[0], stack)
        if fn == "Condition":
            return self.condition(args, stack)
        raise ValueError(f"unsupported condition function {fn}")

    def resources(self, type_: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(logical ID, resource) of every resource the launch creates, optionally of a type."""
        for logical_id, res in self.template.get("Resources", {}).items():
            if type_ is not None and res["Type"] != type_:
                continue
            if "Condition" in res and not self.condition(res["Condition"]):
                continue
            yield logical_id, res

    def prop(self, res: Mapping[str, Any], path: str, default: Any = None) -> Any:
        """A property (dotted path) with Fn::If, Ref, Select, Split, Join and FindInMap
        resolved; `default` when absent or AWS::NoValue."""
        node: Any = res.get("Properties", {})
        for part in path.split("."):
            node = self.value(node) if isinstance(node, dict) and _is_function(node) else node
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        out = self.value(node)
        return default if out is _NO_VALUE else out

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not _NO_VALUE]
        if not isinstance(node, Mapping):
            return node
        if not _is_function(node):
            return {
                k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not _NO_VALUE
            }
        ((fn, args),) = node.items()
        handler = _FUNCTIONS.get(fn)
        if handler is None:
            raise Unresolved(f"{fn} is only known at deploy time")
        return handler(self, args)

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.values:
            return self.values[name]
        raise Unresolved(f"Ref {name} is only known at deploy time")


def _is_function(node: Mapping[str, Any]) -> bool:
    key = next(iter(node), "")
    return len(node) == 1 and (key == "Ref" or key.startswith("Fn::"))


def _if(launch: Launch, args: list[Any]) -> Any:
    name, when_true, when_false = args
    return launch.value(when_true if launch.condition(name) else when_false)


def _find_in_map(launch: Launch, args: list[Any]) -> Any:
    name, first, second = (launch.value(a) for a in args)
    return launch.template["Mappings"][name][first][second]


_FUNCTIONS: dict[str, Callable[[Launch, Any], Any]] = {
    "Ref": lambda launch, name: launch._ref(name),
    "Fn::If": _if,
    "Fn::Select": lambda launch, a: launch.value(a[1])[int(launch.value(a[0]))],
    "Fn::Split": lambda launch, a: str(launch.value(a[1])).split(a[0]),
    "Fn::Join": lambda launch, a: a[0].join(str(v) for v in launch.value(a[1])),
    "Fn::FindInMap": _find_in_map,
}


def references(node: Any) -> set[str]:
    """Logical IDs a template fragment refers to (Ref, Fn::GetAtt, ${X} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(node, list):
        for n in node:
            found |= references(n)
    elif isinstance(node, Mapping):
        for key, arg in node.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= references(arg[1] if isinstance(arg, list) else None)
            else:
                found |= references(arg)
    return found


# ---------------------------------------------------------------------- inventory


@dataclass(frozen=True)
class TaskGroup:
    """Fargate tasks of one service at the floor (autoscaling minimum or desired count)."""

    name: str
    count: int
    vcpu: float
    memory_gb: float
    architecture: str  # "arm64" or "x86_64"
    public_ip: bool = False


@dataclass(frozen=True)
class AuroraCluster:
    name: str
    instances: int  # Serverless v2 instances (writer + readers)
    min_acu: float
    max_acu: float


@dataclass
class Inventory:
    """What a launch creates that AWS bills for (or that needs a stated assumption)."""

    nat_gateways: int = 0
    elastic_ips: int = 0
    load_balancers: int = 0  # application load balancers
    other_load_balancers: int = 0  # network/gateway: no price in the table
    public_lb_addresses: int = 0  # internet-facing load balancer, one per subnet
    task_groups: list[TaskGroup] = field(default_factory=list)
    aurora: list[AuroraCluster] = field(default_factory=list)
    secrets: int = 0
    interface_endpoint_azs: int = 0  # sum over interface endpoints of their subnets
    log_groups: int = 0
    alarms: int = 0
    dashboards: int = 0
    http_apis: int = 0
    rest_apis: int = 0
    notebooks: list[str] = field(default_factory=list)  # instance types
    notebook_volume_gb: float = 0  # ML storage volumes of the notebooks, in GB
    buckets: int = 0
    functions: int = 0
    schedules: int = 0
    container_insights: int = 0  # ECS clusters with Container Insights on


def inventory(template: Template, overrides: Mapping[str, str] | None = None) -> Inventory:
    """Count the billed resources of one launch of a template."""
    launch = Launch.of(template, overrides)
    inv = Inventory()
    counts = {
        "AWS::EC2::NatGateway": "nat_gateways",
        "AWS::EC2::EIP": "elastic_ips",
        "AWS::SecretsManager::Secret": "secrets",
        "AWS::Logs::LogGroup": "log_groups",
        "AWS::CloudWatch::Alarm": "alarms",
        "AWS::CloudWatch::CompositeAlarm": "alarms",
        "AWS::CloudWatch::Dashboard": "dashboards",
        "AWS::S3::Bucket": "buckets",
        "AWS::Lambda::Function": "functions",
        "AWS::Events::Rule": "schedules",
        "AWS::ApiGateway::RestApi": "rest_apis",
    }
    for _, res in launch.resources():
        if res["Type"] in counts:
            setattr(inv, counts[res["Type"]], getattr(inv, counts[res["Type"]]) + 1)
    _count_load_balancers(launch, inv)
    _count_endpoints_and_apis(launch, inv)
    inv.container_insights = sum(
        1
        for _, res in launch.resources("AWS::ECS::Cluster")
        if any(
            s.get("Name") == "containerInsights" and s.get("Value") in ("enabled", "enhanced")
            for s in launch.prop(res, "ClusterSettings", [])
        )
    )
    inv.task_groups = _task_groups(launch)
    inv.aurora = _aurora(launch)
    notebooks = [res for _, res in launch.resources("AWS::SageMaker::NotebookInstance")]
    inv.notebooks = [str(launch.prop(res, "InstanceType")) for res in notebooks]
    # SageMaker's default volume is 5 GB.
    inv.notebook_volume_gb = sum(float(launch.prop(res, "VolumeSizeInGB", 5)) for res in notebooks)
    return inv


def _count_load_balancers(launch: Launch, inv: Inventory) -> None:
    for _, res in launch.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        if launch.prop(res, "Type", "application") == "application":
            inv.load_balancers += 1
        else:
            inv.other_load_balancers += 1
        if launch.prop(res, "Scheme", "internet-facing") == "internet-facing":
            subnets = (
                _safe(lambda r=res: launch.prop(r, "Subnets"), None)
                or _safe(lambda r=res: launch.prop(r, "SubnetMappings"), None)
                or [1, 2]
            )
            inv.public_lb_addresses += len(subnets)


def _count_endpoints_and_apis(launch: Launch, inv: Inventory) -> None:
    for _, res in launch.resources("AWS::EC2::VPCEndpoint"):
        if launch.prop(res, "VpcEndpointType", "Gateway") == "Interface":
            subnets = _safe(lambda r=res: launch.prop(r, "SubnetIds", []), [1, 2])
            inv.interface_endpoint_azs += len(subnets)
    for _, res in launch.resources("AWS::ApiGatewayV2::Api"):
        if launch.prop(res, "ProtocolType", "HTTP") == "HTTP":
            inv.http_apis += 1


def _safe(get: Callable[[], Any], fallback: Any) -> Any:
    try:
        return get()
    except Unresolved:
        return fallback


def _task_groups(launch: Launch) -> list[TaskGroup]:
    groups = []
    definitions = dict(launch.resources("AWS::ECS::TaskDefinition"))
    for service_id, service in launch.resources("AWS::ECS::Service"):
        task_ref = references(service["Properties"].get("TaskDefinition"))
        task = next((definitions[r] for r in task_ref if r in definitions), None)
        if task is None:
            raise ValueError(f"{service_id}: task definition not found in the template")
        groups.append(
            TaskGroup(
                name=service_id,
                count=_task_floor(launch, service_id, service),
                vcpu=int(launch.prop(task, "Cpu")) / 1024,
                memory_gb=int(launch.prop(task, "Memory")) / 1024,
                architecture=str(
                    launch.prop(task, "RuntimePlatform.CpuArchitecture", "X86_64")
                ).lower(),
                public_ip=launch.prop(
                    service, "NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp", "DISABLED"
                )
                == "ENABLED",
            )
        )
    return groups


def _task_floor(launch: Launch, service_id: str, service: Mapping[str, Any]) -> int:
    """The autoscaling minimum of the service if it has a scalable target, else its
    desired count (CloudFormation's default is 1)."""
    for _, target in launch.resources("AWS::ApplicationAutoScaling::ScalableTarget"):
        if service_id in references(target["Properties"].get("ResourceId")):
            return int(float(launch.prop(target, "MinCapacity")))
    return int(float(launch.prop(service, "DesiredCount", 1)))


def _aurora(launch: Launch) -> list[AuroraCluster]:
    clusters = []
    instances = list(launch.resources("AWS::RDS::DBInstance"))
    for cluster_id, cluster in launch.resources("AWS::RDS::DBCluster"):
        scaling = launch.prop(cluster, "ServerlessV2ScalingConfiguration")
        if not scaling:
            raise ValueError(f"{cluster_id}: not Aurora Serverless v2; no price in the model")
        members = [
            i
            for _, i in instances
            if cluster_id in references(i["Properties"].get("DBClusterIdentifier"))
        ]
        provisioned = [i for i in members if launch.prop(i, "DBInstanceClass") != "db.serverless"]
        if provisioned:
            raise ValueError(f"{cluster_id}: provisioned instances have no price in the model")
        clusters.append(
            AuroraCluster(
                cluster_id,
                len(members),
                float(scaling["MinCapacity"]),
                float(scaling["MaxCapacity"]),
            )
        )
    return clusters


# ---------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """Usage assumptions of one scenario (per deployment and month)."""

    name: str
    summary: str
    active_hours: float  # hours of use per month
    db_active_acu: float  # ACUs per Aurora instance while in use
    db_pause_tail_hours: float  # time before a paused-capable database pauses again
    db_storage_gb: float
    db_io_millions: float
    s3_gb: float
    api_requests_millions: float
    alb_lcu_while_active: float
    nat_gb: float
    logs_gb_per_group: float
    notebook_hours: float


IDLE = Workload(
    name="idle",
    summary="provisioned, nobody uses it: only what must run is billed. Nothing is stored "
    "but a 1 GB database; the keep-alive calls the private API 30 times a month; "
    "0.5 GB a month goes through the NAT gateway (image pulls at task start, logs "
    "and secrets to AWS APIs); 0.01 GB of logs per log group (health checks, "
    "rejected flows); the notebook instance is stopped.",
    active_hours=0,
    db_active_acu=0,
    db_pause_tail_hours=0,
    db_storage_gb=1,
    db_io_millions=0,
    s3_gb=0,
    api_requests_millions=30 / 1e6,
    alb_lcu_while_active=0,
    nat_gb=0.5,
    logs_gb_per_group=0.01,
    notebook_hours=0,
)
ACTIVE = Workload(
    name="active",
    summary="a small team: 8 h a day on 22 working days (176 h) of use; the database at "
    "1 ACU per instance while in use and 15 min more each day before it pauses "
    "(dev); 0.5 million API requests through the private API; 0.5 LCU on the load "
    "balancer while in use; 50 GB of artifacts in S3 (through the S3 gateway "
    "endpoint, no NAT charge); a 5 GB database with 5 million I/O requests; 5 GB "
    "through the NAT gateway; 0.25 GB of logs per log group; the notebook instance "
    "runs 176 h (stopped otherwise); task count stays at its floor.",
    active_hours=176,
    db_active_acu=1.0,
    db_pause_tail_hours=22 * 0.25,
    db_storage_gb=5,
    db_io_millions=5,
    s3_gb=50,
    api_requests_millions=0.5,
    alb_lcu_while_active=0.5,
    nat_gb=5,
    logs_gb_per_group=0.25,
    notebook_hours=176,
)
WORKLOADS = (IDLE, ACTIVE)


# -------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    """One line of an estimate: what, how much, at what price, from where."""

    item: str
    quantity: float
    unit: str
    price_key: str
    explanation: str
    unit_price: float | None = None
    monthly: float | None = None  # None: no price for the region
    source: str = ""
    date: str = ""
    confidence: str = ""

    @property
    def missing(self) -> bool:
        return self.monthly is None


def priced(
    prices: PriceTable, item: str, quantity: float, unit: str, key: str, explanation: str
) -> Line:
    price = prices.get(key)
    if price is None:
        return Line(item, quantity, unit, key, explanation)
    return Line(
        item,
        quantity,
        unit,
        key,
        explanation,
        price.price,
        round(quantity * price.price, 4),
        price.source,
        price.date,
        price.confidence,
    )


def cost_lines(inv: Inventory, work: Workload, prices: PriceTable) -> list[Line]:
    """Every billed line of one launch under one workload (zero-quantity lines dropped)."""
    lines = [
        *_network_lines(inv, work, prices),
        *_compute_lines(inv, work, prices),
        *_database_lines(inv, work, prices),
        *_edge_and_storage_lines(inv, work, prices),
        *_monitoring_lines(inv, work, prices),
    ]
    return [line for line in lines if line.quantity > 0]


def _network_lines(inv: Inventory, work: Workload, p: PriceTable) -> list[Line]:
    h = p.hours_per_month
    public_tasks = sum(g.count for g in inv.task_groups if g.public_ip)
    addresses = inv.elastic_ips + inv.public_lb_addresses + public_tasks
    return [
        priced(
            p,
            "NAT gateway hours",
            inv.nat_gateways * h,
            "h",
            "nat_gateway_hour",
            f"{inv.nat_gateways} NAT gateway(s) x {h:g} h",
        ),
        priced(
            p,
            "NAT gateway data",
            work.nat_gb if inv.nat_gateways else 0,
            "GB",
            "nat_gateway_gb",
            "traffic to AWS APIs and the internet from private subnets",
        ),
        priced(
            p,
            "Public IPv4 addresses",
            addresses * h,
            "h",
            "public_ipv4_hour",
            f"{inv.elastic_ips} Elastic IP(s) (NAT), {inv.public_lb_addresses} "
            f"internet-facing LB address(es), {public_tasks} public task IP(s), x {h:g} h",
        ),
        priced(
            p,
            "Interface VPC endpoints",
            inv.interface_endpoint_azs * h,
            "endpoint-AZ-h",
            "interface_endpoint_az_hour",
            f"{inv.interface_endpoint_azs} endpoint-AZ(s) x {h:g} h",
        ),
        priced(
            p,
            "Application load balancer",
            inv.load_balancers * h,
            "h",
            "alb_hour",
            f"{inv.load_balancers} ALB(s) x {h:g} h",
        ),
        priced(
            p,
            "ALB capacity units",
            inv.load_balancers * work.alb_lcu_while_active * work.active_hours,
            "LCU-h",
            "alb_lcu_hour",
            f"{work.alb_lcu_while_active:g} LCU x {work.active_hours:g} h of use",
        ),
        priced(
            p,
            "Network/gateway load balancer",
            inv.other_load_balancers * h,
            "h",
            "nlb_hour",
            f"{inv.other_load_balancers} NLB/GWLB x {h:g} h",
        ),
    ]


def _compute_lines(inv: Inventory, work: Workload, p: PriceTable) -> list[Line]:
    h = p.hours_per_month
    lines = []
    for g in inv.task_groups:
        arch = "arm64" if g.architecture == "arm64" else "x86_64"
        what = f"{g.count} task(s) x {g.vcpu:g} vCPU / {g.memory_gb:g} GB {arch} x {h:g} h"
        lines += [
            priced(
                p,
                f"Fargate vCPU ({g.name})",
                g.count * g.vcpu * h,
                "vCPU-h",
                f"fargate_{arch}_vcpu_hour",
                what,
            ),
            priced(
                p,
                f"Fargate memory ({g.name})",
                g.count * g.memory_gb * h,
                "GB-h",
                f"fargate_{arch}_gb_hour",
                what,
            ),
        ]
    for nb in inv.notebooks:
        lines.append(
            priced(
                p,
                f"Notebook instance {nb}",
                work.notebook_hours,
                "h",
                f"sagemaker_notebook_hour:{nb}",
                f"{work.notebook_hours:g} h InService (billed only while "
                "running; left running all month it is 730 h)",
            )
        )
    if inv.notebooks:
        lines.append(
            priced(
                p,
                "Notebook ML storage volume",
                inv.notebook_volume_gb,
                "GB-month",
                "sagemaker_notebook_storage_gb_month",
                "billed while the instance exists, running or stopped",
            )
        )
    return lines


def _database_lines(inv: Inventory, work: Workload, p: PriceTable) -> list[Line]:
    lines = []
    for db in inv.aurora:
        acu_hours, how = _acu_hours(db, work, p.hours_per_month)
        lines += [
            priced(
                p,
                f"Aurora Serverless v2 ({db.name})",
                acu_hours,
                "ACU-h",
                "aurora_serverless_v2_acu_hour",
                how,
            ),
            priced(
                p,
                "Aurora storage",
                work.db_storage_gb,
                "GB-month",
                "aurora_storage_gb_month",
                "cluster volume (backups within retention free)",
            ),
            priced(
                p,
                "Aurora I/O",
                work.db_io_millions,
                "million I/O",
                "aurora_io_million",
                "reads and writes of the MLflow store",
            ),
        ]
    return lines


def _acu_hours(db: AuroraCluster, work: Workload, hours: float) -> tuple[float, str]:
    """ACU-hours of a cluster: the floor all month plus the usage above it while in use.
    A floor of 0 pauses: only the hours of use plus the pause delay are billed."""
    n = db.instances
    if db.min_acu == 0:
        used = work.active_hours + work.db_pause_tail_hours if work.active_hours else 0
        acu = max(work.db_active_acu, 0.5) if used else 0
        return n * acu * used, (
            f"{n} instance(s), floor 0 (paused when idle): {acu:g} ACU x {used:g} h in use"
        )
    above = max(work.db_active_acu - db.min_acu, 0) * work.active_hours
    return n * (db.min_acu * hours + above), (
        f"{n} instance(s) x ({db.min_acu:g} ACU floor x {hours:g} h + "
        f"{above:g} ACU-h above it while in use)"
    )


def _edge_and_storage_lines(inv: Inventory, work: Workload, p: PriceTable) -> list[Line]:
    return [
        priced(
            p,
            "Secrets Manager secrets",
            inv.secrets,
            "secret-month",
            "secret_month",
            f"{inv.secrets} secret(s); API calls (task starts) negligible",
        ),
        priced(
            p,
            "HTTP API requests",
            inv.http_apis * work.api_requests_millions,
            "million requests",
            "http_api_million",
            f"{work.api_requests_millions * 1e6:,.0f} requests",
        ),
        priced(
            p,
            "REST API requests",
            inv.rest_apis * work.api_requests_millions,
            "million requests",
            "rest_api_million",
            "REST API (not an HTTP API)",
        ),
        priced(
            p,
            "S3 Standard storage",
            (1 if inv.buckets else 0) * work.s3_gb,
            "GB-month",
            "s3_standard_gb_month",
            "artifacts; request charges not modelled",
        ),
    ]


def _monitoring_lines(inv: Inventory, work: Workload, p: PriceTable) -> list[Line]:
    logs_gb = inv.log_groups * work.logs_gb_per_group
    return [
        priced(
            p,
            "CloudWatch alarms",
            inv.alarms,
            "alarm-month",
            "alarm_month",
            f"{inv.alarms} alarm(s), free tier not applied",
        ),
        priced(
            p,
            "CloudWatch dashboards",
            inv.dashboards,
            "dashboard-month",
            "dashboard_month",
            f"{inv.dashboards} dashboard(s), free tier not applied",
        ),
        priced(
            p,
            "CloudWatch Logs ingestion",
            logs_gb,
            "GB",
            "logs_ingest_gb",
            f"{inv.log_groups} log group(s) x {work.logs_gb_per_group:g} GB",
        ),
        priced(
            p,
            "CloudWatch Logs storage",
            logs_gb,
            "GB-month",
            "logs_stored_gb_month",
            "about one month of logs kept",
        ),
        priced(
            p,
            "Container Insights",
            inv.container_insights,
            "cluster-month",
            "container_insights_cluster_month",
            f"{inv.container_insights} ECS cluster(s) with Container Insights: billed as "
            "custom metrics (cluster, service and task-family dimensions) plus performance "
            "log events",
        ),
    ]


def not_priced(inv: Inventory) -> list[str]:
    """What the launch creates that the model leaves out, and why."""
    notes = []
    if inv.functions:
        notes.append(
            f"{inv.functions} Lambda function(s) and {inv.schedules} schedule(s): "
            "a few invocations a month, fractions of a cent (no price in the table)"
        )
    return notes


# ------------------------------------------------------------------------ estimate


@dataclass(frozen=True)
class Estimate:
    product: str
    profile: str
    workload: str
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(line.monthly or 0 for line in self.lines), 2)

    @property
    def missing(self) -> list[str]:
        return [line.price_key for line in self.lines if line.missing]


# Launch values per profile. Products without a Profile parameter have one profile.
PROFILES = {"dev": {"Profile": "dev"}, "prod": {"Profile": "prod"}}


# dev in a VPC the team already has: the product creates no VPC and no NAT gateway (the
# existing VPC's NAT or endpoints are shared and not counted here).
EXISTING_VPC = {
    "ExistingVpcId": "vpc-0123456789abcdef0",
    "ExistingSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba987654321f",
}


def profiles_of(template: Template) -> dict[str, dict[str, str]]:
    params = template.get("Parameters", {})
    if "Profile" not in params:
        return {"any": {}}
    profiles = dict(PROFILES)
    if {"ExistingVpcId", "ExistingSubnetIds"} <= set(params):
        profiles["dev-existing-vpc"] = {**PROFILES["dev"], **EXISTING_VPC}
    return profiles


def estimate_template(
    product: str,
    template: Template,
    prices: PriceTable,
    workloads: tuple[Workload, ...] = WORKLOADS,
) -> list[Estimate]:
    out = []
    for profile, overrides in profiles_of(template).items():
        inv = inventory(template, overrides)
        out += [
            Estimate(
                product, profile, w.name, tuple(cost_lines(inv, w, prices)), tuple(not_priced(inv))
            )
            for w in workloads
        ]
    return out


def old_sample_template() -> dict[str, Any]:
    """The old sample's billed architecture as a template: two x86 Fargate tasks of 1 vCPU
    and 2 GB, one NAT gateway with its Elastic IP, an internal ALB, two secrets (and an
    artifact bucket, billed by what it stores)."""
    res: dict[str, Any] = {
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
        "NatIp": {"Type": "AWS::EC2::EIP", "Properties": {}},
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Scheme": "internal"},
        },
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"Cpu": "1024", "Memory": "2048"},
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {"TaskDefinition": {"Ref": "Task"}, "DesiredCount": 2},
        },
        "DbSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "LoginSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Artifacts": {"Type": "AWS::S3::Bucket", "Properties": {}},
    }
    return {"Resources": res}


def managed_mlflow(prices: PriceTable, size: str = "Small") -> list[Estimate]:
    """SageMaker's managed MLflow tracking server: per-hour size price, running all month
    (it bills while running, used or not), plus the same artifact storage."""
    h = prices.hours_per_month
    out = []
    for work in WORKLOADS:
        lines = [
            priced(
                prices,
                f"Managed MLflow tracking server ({size})",
                h,
                "h",
                f"sagemaker_mlflow_hour:{size}",
                f"1 server x {h:g} h",
            ),
            priced(
                prices,
                "S3 Standard storage",
                work.s3_gb,
                "GB-month",
                "s3_standard_gb_month",
                "artifacts in your bucket",
            ),
        ]
        out.append(
            Estimate(
                f"sagemaker-mlflow-{size.lower()}",
                "any",
                work.name,
                tuple(line for line in lines if line.quantity > 0),
                ("Medium and Large sizes: no dated price in the table",),
            )
        )
    return out


def estimate_all(templates: Mapping[str, Template], prices: PriceTable) -> list[Estimate]:
    out = []
    for product, template in templates.items():
        out += estimate_template(product, template, prices)
    out += estimate_template("old-sample", old_sample_template(), prices)
    out += managed_mlflow(prices)
    return out


@dataclass(frozen=True)
class TargetCheck:
    total: float
    target: float
    met: bool
    complete: bool  # every line had a price
    biggest: tuple[Line, ...]
    unpriced: tuple[Line, ...] = ()


def target_check(estimates: list[Estimate], target: float = TARGET_MONTHLY) -> TargetCheck:
    """Dev MLflow core plus the private API, idle, against the target."""
    chosen = [
        e
        for e in estimates
        if e.product in TARGET_PRODUCTS and e.workload == "idle" and e.profile in ("dev", "any")
    ]
    found = {e.product for e in chosen}
    if found != set(TARGET_PRODUCTS):
        raise ValueError(
            f"target products missing from the estimates: {sorted(set(TARGET_PRODUCTS) - found)}"
        )
    lines = [line for e in chosen for line in e.lines]
    total = round(sum(e.total for e in chosen), 2)
    biggest = tuple(sorted((x for x in lines if x.monthly), key=lambda x: -(x.monthly or 0)))
    unpriced = tuple(x for x in lines if x.missing)
    return TargetCheck(total, target, total <= target, not unpriced, biggest[:6], unpriced)


# ------------------------------------------------------------------------ templates


def product_templates(cdk_out: Path) -> dict[str, dict[str, Any]]:
    """The current product templates in cdk.out, keyed by product slug (mlflow-core, ...).
    The slug comes from the product stack's construct ID (MlflowCore -> mlflow-core)."""
    out = {}
    for path in sorted(cdk_out.glob("*.product.template.json")):
        match = _PRODUCT_FILE.match(path.name)
        if match:
            slug = re.sub(r"(?<!^)(?=[A-Z])", "-", match.group("id")).lower()
            out[slug] = json.loads(path.read_text())
    return out


# --------------------------------------------------------------------------- output


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _money(value: float | None) -> str:
    return "missing" if value is None else f"{value:,.2f}"


def _summary_rows(estimates: list[Estimate]) -> list[tuple[str, str, str, str]]:
    keyed = {(e.product, e.profile, e.workload): e for e in estimates}
    rows = []
    for product, profile in dict.fromkeys((e.product, e.profile) for e in estimates):
        idle, active = keyed[(product, profile, "idle")], keyed[(product, profile, "active")]
        rows.append((product, profile, _total_text(idle), _total_text(active)))
    return rows


def _total_text(e: Estimate) -> str:
    return _money(e.total) + (" + missing" if e.missing else "")


def combined_rows(estimates: list[Estimate]) -> list[tuple[str, str, str, str]]:
    """MLflow core plus the private API, per profile (what a team launches together)."""
    rows = []
    profiles = [e.profile for e in estimates if e.product == TARGET_PRODUCTS[0]]
    for profile in dict.fromkeys(profiles):
        totals = []
        for work in ("idle", "active"):
            parts = [
                e
                for e in estimates
                if e.product in TARGET_PRODUCTS
                and e.workload == work
                and e.profile in (profile, "any")
            ]
            missing = " + missing" if any(e.missing for e in parts) else ""
            totals.append(_money(round(sum(e.total for e in parts), 2)) + missing)
        rows.append(("mlflow-core + private-api", profile, *totals))
    return rows


def render_text(estimates: list[Estimate], prices: PriceTable, check: TargetCheck | None) -> str:
    out = [
        f"Monthly cost (USD), {prices.region} on-demand, prices from {_shown(prices.path)}",
        "",
        f"{'product':30} {'profile':16} {'idle':>16} {'active':>16}",
    ]
    for row in _summary_rows(estimates) + combined_rows(estimates):
        out.append(f"{row[0]:30} {row[1]:16} {row[2]:>16} {row[3]:>16}")
    out += ["", *_target_text(check), "", "Workloads:"]
    out += [f"  {w.name}: {w.summary}" for w in WORKLOADS]
    for e in estimates:
        out += ["", f"== {e.product} / {e.profile} / {e.workload}: {_total_text(e)} =="]
        out += [_line_text(line) for line in e.lines]
        out += [f"   not priced: {note}" for note in e.notes]
    return "\n".join(out)


def _line_text(line: Line) -> str:
    price = (
        "no price for region" if line.unit_price is None else f"x ${line.unit_price:g}/{line.unit}"
    )
    flag = f" [{line.confidence}]" if line.confidence else ""
    return (
        f"  {line.item:38} {line.quantity:>10,.2f} {line.unit:14} {price:24} "
        f"{_money(line.monthly):>9}  {line.explanation}; {line.source or 'no source'} "
        f"{line.date}{flag}"
    )


def _target_text(check: TargetCheck | None) -> list[str]:
    if check is None:
        return ["Target: not checked (MLflow core or the private API has no resources in cdk.out)"]
    verdict = "MET" if check.met else "MISSED"
    out = [
        f"Target: dev MLflow core + private API idle <= ${check.target:.2f}: "
        f"${check.total:.2f} -> {verdict}"
        + ("" if check.complete else " (some prices missing: total is a lower bound)")
    ]
    if not check.met:
        out.append(f"  over by ${check.total - check.target:.2f}; largest lines:")
        out += [f"    {x.monthly:8.2f}  {x.item}: {x.explanation}" for x in check.biggest]
    out += [
        f"  not priced (no price in the table): {x.item}: {x.explanation}" for x in check.unpriced
    ]
    return out


def render_markdown(
    estimates: list[Estimate], prices: PriceTable, check: TargetCheck | None
) -> str:
    out = [*render_summary_markdown(estimates, prices, check).splitlines(), "", "Workloads:", ""]
    out += [f"- **{w.name}**: {w.summary}" for w in WORKLOADS]
    for e in estimates:
        out += [
            "",
            f"#### {e.product} / {e.profile} / {e.workload}: ${_total_text(e)}",
            "",
            "| item | quantity | unit price | $/month | how | source, date |",
            "|---|---:|---|---:|---|---|",
        ]
        out += [_line_markdown(line) for line in e.lines]
        out += [f"\nNot priced: {note}." for note in e.notes]
    return "\n".join(out) + "\n"


def render_summary_markdown(
    estimates: list[Estimate], prices: PriceTable, check: TargetCheck | None
) -> str:
    """The summary table and the target line: the head of docs/cost.md and the README's."""
    out = [
        f"Region **{prices.region}**, on-demand, USD per month; prices from "
        f"`{_shown(prices.path)}`.",
        "",
        "| product | profile | idle | active |",
        "|---|---|---:|---:|",
    ]
    rows = _summary_rows(estimates) + combined_rows(estimates)
    out += [f"| {' | '.join(row)} |" for row in rows]
    out += ["", *_target_markdown(check)]
    return "\n".join(out) + "\n"


def _target_markdown(check: TargetCheck | None) -> list[str]:
    first, *rest = _target_text(check)
    return [f"**{first}**", *([""] if rest else []), *(f"- {x.strip()}" for x in rest)]


def _line_markdown(line: Line) -> str:
    price = "missing" if line.unit_price is None else f"${line.unit_price:g}/{line.unit}"
    flag = f" ({line.confidence})" if line.confidence else ""
    return (
        f"| {line.item} | {line.quantity:,.2f} {line.unit} | {price} | "
        f"{_money(line.monthly)} | {line.explanation} | {line.source} {line.date}{flag} |"
    )


def render_json(estimates: list[Estimate], prices: PriceTable, check: TargetCheck | None) -> str:
    return json.dumps(
        {
            "region": prices.region,
            "prices": str(prices.path),
            "workloads": [asdict(w) for w in WORKLOADS],
            "estimates": [{**asdict(e), "total": e.total, "missing": e.missing} for e in estimates],
            "target": None
            if check is None
            else {
                "total": check.total,
                "target": check.target,
                "met": check.met,
                "complete": check.complete,
                "largest": [asdict(x) for x in check.biggest],
            },
        },
        indent=2,
    )


BEGIN, END = "<!-- cost:begin (generated by scripts/cost.py) -->", "<!-- cost:end -->"
# The README carries only the summary table, between markers of its own.
SUMMARY_BEGIN = "<!-- cost-summary:begin (generated by scripts/cost.py) -->"
SUMMARY_END = "<!-- cost-summary:end -->"


def generated_part(path: Path, begin: str = BEGIN, end: str = END) -> str:
    """The text between the markers (what update_doc last wrote)."""
    text = path.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"{path}: markers {begin!r} and {end!r} not found")
    return text.split(begin, 1)[1].split(end, 1)[0].removeprefix("\n")


def update_doc(path: Path, generated: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace the part of the doc between the markers with freshly generated text."""
    generated_part(path, begin, end)  # names the missing markers
    head, rest = path.read_text().split(begin, 1)
    path.write_text(f"{head}{begin}\n{generated}{end}{rest.split(end, 1)[1]}")


# ------------------------------------------------------------------------------ CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--prices-dir", type=Path, default=PRICES_DIR)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the estimate as JSON")
    out.add_argument("--markdown", action="store_true", help="print Markdown tables")
    out.add_argument(
        "--update-doc",
        type=Path,
        metavar="PATH",
        help="rewrite the generated part of a Markdown page (docs/cost.md)",
    )
    out.add_argument(
        "--update-summary",
        type=Path,
        metavar="PATH",
        help="rewrite the generated summary table of a Markdown page (README.md)",
    )
    args = parser.parse_args(argv)
    try:
        prices = load_prices(args.region, args.prices_dir)
    except UnknownRegionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    templates = product_templates(args.cdk_out)
    if not templates:
        print(
            f"error: no product templates in {args.cdk_out}; run `make synth` first",
            file=sys.stderr,
        )
        return 2
    estimates = estimate_all(templates, prices)
    ready = all(templates.get(p, {}).get("Resources") for p in TARGET_PRODUCTS)
    check = target_check(estimates) if ready else None
    if args.update_doc:
        update_doc(args.update_doc, render_markdown(estimates, prices, check))
    elif args.update_summary:
        update_doc(args.update_summary, render_summary_markdown(estimates, prices, check),
                   SUMMARY_BEGIN, SUMMARY_END)
    elif args.json:
        print(render_json(estimates, prices, check))
    else:
        print(
            render_markdown(estimates, prices, check)
            if args.markdown
            else render_text(estimates, prices, check)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
