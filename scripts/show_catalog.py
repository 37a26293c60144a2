#!/usr/bin/env python3
"""Print the synthesized catalog as an end user meets it in the Service Catalog console.

Reads what `cdk synth` wrote (the portfolio template, its asset manifest and the
product templates it publishes), so it shows exactly what a deploy would publish:
each product, its versions, its launch parameters with labels, defaults, allowed
values and descriptions, the portfolio's launch rules, and the outputs.

    python scripts/show_catalog.py [--cdk-out cdk.out] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

_HASH = re.compile(r"/([0-9a-f]{64})\.json$")
_STACK = "MlflowPlatformPortfolio"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _template_url(version: dict[str, Any]) -> str:
    url = version["Info"]["LoadTemplateFromURL"]
    return url["Fn::Sub"] if isinstance(url, dict) else url


def _parameters(template: dict[str, Any]) -> list[dict[str, Any]]:
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
    labels = {k: v["default"] for k, v in interface.get("ParameterLabels", {}).items()}
    group_of = {
        name: g["Label"]["default"]
        for g in interface.get("ParameterGroups", [])
        for name in g["Parameters"]
    }
    out = []
    for name, spec in template.get("Parameters", {}).items():
        if name.startswith("BootstrapVersion"):
            continue
        out.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "group": group_of.get(name, "Other"),
                "type": spec.get("Type", "String"),
                "default": spec.get("Default"),
                "allowed_values": spec.get("AllowedValues"),
                "allowed_pattern": spec.get("AllowedPattern"),
                "min_value": spec.get("MinValue"),
                "max_value": spec.get("MaxValue"),
                "description": spec.get("Description", ""),
                "constraint": spec.get("ConstraintDescription"),
            }
        )
    return out


def _outputs(template: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"name": k, "description": v.get("Description", "")}
        for k, v in template.get("Outputs", {}).items()
    ]


def _rules(portfolio: dict[str, Any], product_logical_id: str) -> list[str]:
    rules = []
    for res in portfolio["Resources"].values():
        if res["Type"] != "AWS::ServiceCatalog::LaunchTemplateConstraint":
            continue
        if res["Properties"]["ProductId"] != {"Ref": product_logical_id}:
            continue
        for rule in json.loads(res["Properties"]["Rules"]).values():
            rules += [a.get("AssertDescription", "") for a in rule.get("Assertions", [])]
    return rules


def _deprecated(portfolio: dict[str, Any]) -> set[tuple[str, str]]:
    """(product logical ID, version name) of the versions with guidance DEPRECATED."""
    found = set()
    for res in portfolio["Resources"].values():
        marker = res.get("Metadata", {}).get("MlflowPlatformDeprecates")
        if marker:
            found.add((marker["ProductId"]["Ref"], marker["Version"]))
    return found


def load_catalog(cdk_out: Path, stack: str = _STACK) -> dict[str, Any]:
    """The catalog as data: portfolio, products, versions, parameters, rules, outputs."""
    portfolio = _load(cdk_out / f"{stack}.template.json")
    assets = _load(cdk_out / f"{stack}.assets.json")["files"]
    deprecated = _deprecated(portfolio)
    products = []
    for logical_id, res in portfolio["Resources"].items():
        if res["Type"] == "AWS::ServiceCatalog::Portfolio":
            header = res["Properties"]
        if res["Type"] != "AWS::ServiceCatalog::CloudFormationProduct":
            continue
        props = res["Properties"]
        versions = []
        for version in props["ProvisioningArtifactParameters"]:
            match = _HASH.search(_template_url(version))
            if match is None:
                raise ValueError(f"{props['Name']} {version['Name']}: template is not an asset")
            template = _load(cdk_out / assets[match.group(1)]["source"]["path"])
            versions.append(
                {
                    "name": version["Name"],
                    "description": version.get("Description", ""),
                    "deprecated": (logical_id, version["Name"]) in deprecated,
                    "parameters": _parameters(template),
                    "outputs": _outputs(template),
                }
            )
        products.append(
            {
                "name": props["Name"],
                "owner": props["Owner"],
                "distributor": props.get("Distributor"),
                "description": props.get("Description", ""),
                "support": {
                    k: props.get(k) for k in ("SupportDescription", "SupportEmail", "SupportUrl")
                },
                "launch_rules": _rules(portfolio, logical_id),
                "versions": versions,
            }
        )
    return {
        "portfolio": header.get("DisplayName"),
        "provider": header.get("ProviderName"),
        "products": products,
    }


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)


def _describe_param(p: dict[str, Any]) -> list[str]:
    facts = [f"type {p['type']}"]
    if p["default"] not in (None, ""):
        facts.append(f"default {p['default']!s}")
    elif p["default"] == "":
        facts.append("default empty")
    else:
        facts.append("required")
    if p["allowed_values"]:
        values = p["allowed_values"]
        shown = values if len(values) <= 8 else [*values[:3], "...", *values[-2:]]
        facts.append("one of " + ", ".join(map(str, shown)))
    if p["min_value"] is not None:
        facts.append(f"from {p['min_value']} to {p['max_value']}")
    if p["allowed_pattern"] and p["constraint"]:
        facts.append(p["constraint"])
    return [
        f"      {p['label']} ({p['name']}): " + "; ".join(facts),
        _wrap(p["description"], "          "),
    ]


def render(catalog: dict[str, Any]) -> str:
    lines = [f"Portfolio: {catalog['portfolio']} (provider: {catalog['provider']})", ""]
    for product in catalog["products"]:
        lines += [
            f"== {product['name']} ==  owner: {product['owner']}",
            _wrap(product["description"], "  "),
        ]
        for rule in product["launch_rules"]:
            lines.append(f"  launch rule: {rule}")
        for version in product["versions"]:
            mark = " [DEPRECATED: no new launches]" if version["deprecated"] else ""
            lines += ["", f"  Version {version['name']}{mark}: {version['description']}"]
            group = None
            for param in version["parameters"]:
                if param["group"] != group:
                    group = param["group"]
                    lines.append(f"    [{group}]")
                lines += _describe_param(param)
            if version["outputs"]:
                lines.append("    Outputs:")
                lines += [f"      {o['name']}: {o['description']}" for o in version["outputs"]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"))
    parser.add_argument("--json", action="store_true", help="print the catalog as JSON")
    args = parser.parse_args(argv)
    if not (args.cdk_out / f"{_STACK}.template.json").exists():
        print(
            f"error: no synthesized portfolio in {args.cdk_out}; run `make synth` first",
            file=sys.stderr,
        )
        return 2
    catalog = load_catalog(args.cdk_out)
    print(json.dumps(catalog, indent=2) if args.json else render(catalog))
    return 0


if __name__ == "__main__":
    sys.exit(main())
