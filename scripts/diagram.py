#!/usr/bin/env python3
"""Architecture diagram of the products, generated from the synthesized templates.

Each product is a cluster; its nodes are the resources that matter to a reader (load
balancer, service, database, bucket, API, notebook, ...; secrets, alarms, log groups and
SSM parameters grouped). Edges are found in the templates: two nodes are joined when one
refers to the other directly or through plumbing (IAM roles and policies, listeners,
target groups, task definitions, integrations), and across products when one product
reads an SSM parameter another publishes. Labels carry the dev/prod differences that the
cost model evaluates from the CloudFormation conditions.

    python scripts/diagram.py [--cdk-out cdk.out] [--out docs/architecture] [--no-png]

Writes <out>.dot and, with Graphviz's `dot` on PATH, <out>.png.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # imported as scripts.diagram (tests) or run as scripts/diagram.py
    from scripts import cost
except ModuleNotFoundError:  # pragma: no cover - depends on how it is started
    import cost  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "architecture"
Template = Mapping[str, Any]

# Resource types shown as nodes: (label, rank). Edges point from lower to higher rank.
SHOWN: dict[str, tuple[str, int]] = {
    "AWS::Events::Rule": ("EventBridge schedule", 0),
    "AWS::Lambda::Function": ("Lambda function", 1),
    "AWS::SageMaker::NotebookInstance": ("SageMaker notebook instance", 1),
    "AWS::ApiGatewayV2::Api": ("API Gateway HTTP API", 2),
    "AWS::ApiGatewayV2::DomainName": ("Custom domain", 2),
    "AWS::ApiGatewayV2::VpcLink": ("VPC link", 3),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("Load balancer", 4),
    "AWS::ServiceDiscovery::Service": ("Cloud Map service", 4),
    "AWS::ECS::Service": ("ECS Fargate service", 5),
    "AWS::RDS::DBCluster": ("Aurora MySQL Serverless v2", 6),
    "AWS::S3::Bucket": ("S3 artifact bucket", 6),
    "AWS::SecretsManager::Secret": ("Secrets Manager", 6),
    "AWS::EC2::NatGateway": ("NAT gateway", 7),
    "AWS::EC2::VPCEndpoint": ("VPC endpoint", 7),
    "AWS::SSM::Parameter": ("SSM parameters (published)", 8),
    "AWS::CloudWatch::Dashboard": ("CloudWatch dashboard", 9),
    "AWS::CloudWatch::Alarm": ("CloudWatch alarms", 9),
    "AWS::Logs::LogGroup": ("CloudWatch log groups", 9),
}
# Shown once per product with a count instead of one node each.
GROUPED = {
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
    "AWS::CloudWatch::Alarm",
    "AWS::Logs::LogGroup",
}
# Shown, but not joined to what they watch (every resource would be joined to them).
UNLINKED = {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::LogGroup"}
# Never walked through: network plumbing shared by everything.
HUBS = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::EIP",
    "AWS::RDS::DBSubnetGroup",
    "AWS::EC2::FlowLog",
    "AWS::ECS::Cluster",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
}
# Plumbing drawn as part of the shown resource that refers to it (a task definition's
# environment names the database, bucket and load balancer: they are the service's links,
# not links between each other).
OWNED = {"AWS::ECS::TaskDefinition", "AWS::SageMaker::NotebookInstanceLifecycleConfig"}
CLIENTS = "clients"


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    rank: int
    product: str


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    label: str = ""
    style: str = "solid"


# ------------------------------------------------------------------------- nodes


def node_id(product: str, logical_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{product}__{logical_id}")


def _group_key(product: str, type_: str) -> str:
    return node_id(product, type_.split("::")[-1] + "s")


def node_of(product: str, logical_id: str, res: Mapping[str, Any]) -> str | None:
    """The node a shown resource is drawn as (its own, its group's); None if not shown."""
    type_ = res["Type"]
    if type_ not in SHOWN:
        return None
    return _group_key(product, type_) if type_ in GROUPED else node_id(product, logical_id)


def product_nodes(product: str, template: Template) -> list[Node]:
    resources = template.get("Resources", {})
    nodes: dict[str, Node] = {}
    for logical_id, res in resources.items():
        nid = node_of(product, logical_id, res)
        if nid is None or nid in nodes:
            continue
        title, rank = SHOWN[res["Type"]]
        if res["Type"] in GROUPED:
            members = [r for r in resources.values() if r["Type"] == res["Type"]]
            detail = _group_detail(members)
        else:
            detail = _detail(product, template, logical_id, res)
        nodes[nid] = Node(nid, "\\n".join([title, *detail]), rank, product)
    return sorted(nodes.values(), key=lambda n: (n.rank, n.id))


def _group_detail(members: list[Mapping[str, Any]]) -> list[str]:
    conditional = sum(1 for r in members if "Condition" in r)
    return [f"{len(members)}" + (f" ({conditional} conditional)" if conditional else "")]


def _detail(product: str, template: Template, logical_id: str, res: Mapping[str, Any]) -> list[str]:
    props = res.get("Properties", {})
    out: list[str] = []
    type_ = res["Type"]
    if type_ == "AWS::ECS::Service":
        out += _service_detail(template, props)
    elif type_ == "AWS::RDS::DBCluster":
        out += [
            f"{props.get('Engine', '')} {props.get('EngineVersion', '')}".strip(),
            *_database_detail(template),
        ]
    elif type_ == "AWS::SageMaker::NotebookInstance":
        out += [
            _literal(template, props.get("InstanceType")),
            _literal(template, props.get("PlatformIdentifier")),
        ]
    elif type_ == "AWS::EC2::VPCEndpoint":
        out.append(
            f"{props.get('VpcEndpointType', 'Gateway')}: "
            f"{_literal(template, props.get('ServiceName')).split('.')[-1]}"
        )
    elif type_ == "AWS::Events::Rule":
        out.append(str(props.get("ScheduleExpression", "")))
    elif type_ == "AWS::Lambda::Function":
        out.append(_wrap(str(props.get("Description", ""))))
    elif type_ == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        out.append(f"{props.get('Scheme', 'internet-facing')} ALB")
    if "Condition" in res:
        out.append(f"only if {res['Condition']}")
    return [x for x in out if x]


def _literal(template: Template, value: Any) -> str:
    """A property as text: a literal, a parameter's default, or its condition choices."""
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, Mapping) and set(value) == {"Ref"}:
        spec = template.get("Parameters", {}).get(value["Ref"], {})
        return f"{value['Ref']} (default {spec.get('Default', 'none')})"
    if isinstance(value, Mapping) and "Fn::Join" in value:
        return "".join(
            _literal(template, v) if not isinstance(v, Mapping) else ""
            for v in value["Fn::Join"][1]
        )
    return ""


def _wrap(text: str, width: int = 36) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return "\\n".join([*lines, line]) if line else "\\n".join(lines)


def _profiles(template: Template) -> dict[str, cost.Inventory]:
    wanted = {k: v for k, v in cost.profiles_of(template).items() if k in ("dev", "prod")}
    return {name: cost.inventory(template, values) for name, values in wanted.items()}


def _service_detail(template: Template, props: Mapping[str, Any]) -> list[str]:
    task_id = next(iter(cost.references(props.get("TaskDefinition"))), "")
    task = template["Resources"].get(task_id, {}).get("Properties", {})
    containers = [c.get("Name", "?") for c in task.get("ContainerDefinitions", [])]
    out = [f"containers: {', '.join(containers)}"] if containers else []
    for name, inv in _profiles(template).items():
        out += [
            f"{name}: {g.count} x {g.vcpu:g} vCPU / {g.memory_gb:g} GB {g.architecture} (floor)"
            for g in inv.task_groups
        ]
    return out


def _database_detail(template: Template) -> list[str]:
    out = []
    for name, inv in _profiles(template).items():
        for db in inv.aurora:
            floor = "0 ACU (pauses)" if db.min_acu == 0 else f"{db.min_acu:g} ACU"
            out.append(f"{name}: {db.instances} instance(s), floor {floor}, max {db.max_acu:g}")
    return out


# ------------------------------------------------------------------------- edges


class TemplateGraph:
    """Undirected reference graph of one template, and which node each resource is."""

    def __init__(self, product: str, template: Template) -> None:
        self.product = product
        self.resources: Mapping[str, Mapping[str, Any]] = template.get("Resources", {})
        self.links: dict[str, set[str]] = {k: set() for k in self.resources}
        for logical_id, res in self.resources.items():
            for target in cost.references(res.get("Properties", {})) & set(self.resources):
                self.links[logical_id].add(target)
                self.links[target].add(logical_id)
        self.owner: dict[str, str] = {}
        for logical_id, res in self.resources.items():
            nid = node_of(product, logical_id, res)
            if nid is None:
                continue
            self.owner[logical_id] = nid
            for target in cost.references(res.get("Properties", {})):
                if self.resources.get(target, {}).get("Type") in OWNED:
                    self.owner[target] = nid

    def members(self, nid: str) -> list[str]:
        return [k for k, v in self.owner.items() if v == nid]

    def reach(self, starts: Iterable[str]) -> set[str]:
        """Shown nodes reached from resources through plumbing (not through other shown
        nodes, network hubs or monitoring)."""
        starts = list(starts)
        own = {self.owner.get(s) for s in starts}
        seen, found = set(starts), set()
        todo = [n for s in starts for n in self.links[s]]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            type_ = self.resources[current]["Type"]
            if type_ in UNLINKED or type_ in HUBS:
                continue
            nid = self.owner.get(current)
            if nid is None:
                todo.extend(self.links[current])
            elif nid not in own:
                found.add(nid)
        return found


def product_edges(product: str, template: Template, ranks: Mapping[str, int]) -> set[Edge]:
    graph = TemplateGraph(product, template)
    edges = set()
    for tail in sorted(set(graph.owner.values())):
        if _kind(graph, tail) in UNLINKED:
            continue
        for head in graph.reach(graph.members(tail)):
            # What a product publishes is drawn where another product reads it.
            if "AWS::SSM::Parameter" not in (_kind(graph, tail), _kind(graph, head)):
                edges.add(_oriented(tail, head, ranks))
    return edges


def _kind(graph: TemplateGraph, nid: str) -> str:
    return str(graph.resources[graph.members(nid)[0]]["Type"])


def _oriented(
    a: str, b: str, ranks: Mapping[str, int], label: str = "", style: str = "solid"
) -> Edge:
    if (ranks[a], a) > (ranks[b], b):
        a, b = b, a
    return Edge(a, b, label, style)


def flat_text(node: Any) -> str:
    """A property as text with Ref/GetAtt as {Name}: how SSM names are compared."""
    if isinstance(node, str):
        return node.replace("${", "{")
    if isinstance(node, list):
        return " ".join(flat_text(n) for n in node)
    if isinstance(node, Mapping):
        if set(node) == {"Ref"}:
            return f"{{{node['Ref']}}}"
        if set(node) == {"Fn::GetAtt"}:
            return "{?}"
        if set(node) == {"Fn::Join"}:
            sep, parts = node["Fn::Join"]
            return sep.join(flat_text(p) for p in parts) if isinstance(parts, list) else "{?}"
        return " ".join(flat_text(v) for v in node.values())
    return str(node)


@dataclass(frozen=True)
class Published:
    name: str  # normalized, e.g. /mlflow-platform/{DeploymentName}/vpc-link-id
    product: str
    targets: frozenset[str]  # shown nodes the value points to
    group: str  # the product's SSM parameters node


def published(templates: Mapping[str, Template]) -> list[Published]:
    out = []
    for product, template in templates.items():
        graph = TemplateGraph(product, template)
        for logical_id, res in graph.resources.items():
            if res["Type"] != "AWS::SSM::Parameter":
                continue
            name = flat_text(res["Properties"].get("Name"))
            reached = graph.reach([logical_id])
            # The nearest kind only: a listener's ARN names the load balancer, not the
            # service behind its target group.
            nearest = min((SHOWN[_kind(graph, t)][1] for t in reached), default=0)
            targets = {t for t in reached if SHOWN[_kind(graph, t)][1] == nearest}
            out.append(
                Published(name, product, frozenset(targets), _group_key(product, res["Type"]))
            )
    return out


def cross_edges(templates: Mapping[str, Template]) -> set[Edge]:
    """A product that reads a parameter another publishes: its node -> the published one."""
    params = published(templates)
    edges = set()
    for product, template in templates.items():
        graph = TemplateGraph(product, template)
        for logical_id, res in graph.resources.items():
            text = flat_text(res.get("Properties", {}))
            own = graph.owner.get(logical_id)
            readers = {own} if own else graph.reach([logical_id])
            for reader in readers:
                edges |= _reads(reader, text, product, params)
    return edges


def _reads(reader: str, text: str, product: str, params: Iterable[Published]) -> set[Edge]:
    edges = set()
    for p in params:
        if p.product == product:
            continue
        wildcard = p.name.rsplit("/", 1)[0] + "/*"
        if p.name in text and p.targets:
            label = p.name.rsplit("/", 1)[-1]
            edges |= {Edge(reader, t, f"SSM {label}", "dashed") for t in sorted(p.targets)}
        elif wildcard in text:
            edges.add(Edge(reader, p.group, "SSM (reads)", "dashed"))
    return edges


def rule_edges(nodes: list[Node]) -> set[Edge]:
    """Edges the templates imply but do not spell as references."""
    edges = set()
    by_product: dict[str, list[Node]] = {}
    for n in nodes:
        by_product.setdefault(n.product, []).append(n)
    for members in by_product.values():
        services = [n for n in members if n.label.startswith("ECS Fargate service")]
        egress = [n for n in members if n.label.startswith(("NAT gateway", "VPC endpoint"))]
        edges |= {Edge(s.id, e.id, "egress", "dotted") for s in services for e in egress}
        links = [n for n in members if n.label.startswith("VPC link")]
        balancers = [n for n in members if n.label.startswith("Load balancer")]
        edges |= {Edge(v.id, b.id) for v in links for b in balancers}
    entry = [n for n in nodes if n.label.startswith(("API Gateway HTTP API", "Load balancer"))]
    edges |= {
        Edge(CLIENTS, n.id, "HTTPS (outside the VPC)" if n.rank == 2 else "in the VPC")
        for n in entry
    }
    return edges


# --------------------------------------------------------------------------- DOT


def render_dot(templates: Mapping[str, Template]) -> str:
    """The whole diagram as Graphviz DOT text (deterministic: sorted everywhere)."""
    nodes = [n for product in sorted(templates) for n in product_nodes(product, templates[product])]
    ranks = {n.id: n.rank for n in nodes}
    ranks[CLIENTS] = -1
    edges = set()
    for product in sorted(templates):
        edges |= product_edges(product, templates[product], ranks)
    edges |= cross_edges(templates) | rule_edges(nodes)
    lines = [
        "// Generated by scripts/diagram.py from the synthesized product templates.",
        "// Do not edit: run `make diagram`.",
        "digraph mlflow_platform {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.3, '
        'ranksep=0.6, label="MLflow platform: products as synthesized", labelloc=t];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", '
        'fontname="Helvetica", fontsize=9];',
        '  edge [fontname="Helvetica", fontsize=8, color="#555555"];',
        f'  {CLIENTS} [label="MLflow clients\\n(laptops, CI, notebooks)", '
        'shape=ellipse, fillcolor="#fff4d6"];',
    ]
    for product in sorted(templates):
        lines += _cluster(product, [n for n in nodes if n.product == product])
    for e in sorted(edges, key=lambda e: (e.tail, e.head, e.label)):
        attrs = [f'label="{e.label}"'] if e.label else []
        attrs += [f"style={e.style}"] if e.style != "solid" else []
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {e.tail} -> {e.head}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster(product: str, nodes: list[Node]) -> list[str]:
    cid = re.sub(r"[^A-Za-z0-9_]", "_", product)
    out = [
        f"  subgraph cluster_{cid} {{",
        f'    label="{product}"; style="rounded"; color="#8899aa";',
    ]
    out += [f'    {n.id} [label="{n.label}"];' for n in nodes]
    out.append("  }")
    return out


def dot_digest(dot: str) -> str:
    """What the PNG sidecar records: the SHA-256 of the DOT text it was rendered from
    (PNG bytes differ between Graphviz versions, the DOT does not)."""
    return hashlib.sha256(dot.encode()).hexdigest()


def sidecar(out: Path) -> Path:
    return out.with_name(out.name + ".png.sha256")


def write(dot: str, out: Path, png: bool = True) -> list[Path]:
    out.parent.mkdir(parents=True, exist_ok=True)
    dot_path = out.with_suffix(".dot")
    dot_path.write_text(dot)
    written = [dot_path]
    if png:
        exe = shutil.which("dot")
        if exe is None:
            raise FileNotFoundError(
                "Graphviz `dot` not found: apt-get install -y graphviz "
                "(or pass --no-png to write only the DOT file)"
            )
        subprocess.run(
            [exe, "-Tpng", "-Gdpi=110", str(dot_path), "-o", str(out.with_suffix(".png"))],
            check=True,
        )
        sidecar(out).write_text(f"{dot_digest(dot)}  {dot_path.name}\n")
        written += [out.with_suffix(".png"), sidecar(out)]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="path without suffix: writes .dot and .png"
    )
    parser.add_argument("--no-png", action="store_true", help="write only the DOT file")
    args = parser.parse_args(argv)
    templates = cost.product_templates(args.cdk_out)
    if not templates:
        print(
            f"error: no product templates in {args.cdk_out}; run `make synth` first",
            file=sys.stderr,
        )
        return 2
    try:
        for path in write(render_dot(templates), args.out, png=not args.no_png):
            print(f"wrote {path}")
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
