"""What a synthesized template reads and writes through the SSM contract.

Reads are `{{resolve:ssm:/mlflow-platform/<deployment>/<key>}}` dynamic references, which
CDK renders as Fn::Join pieces around Ref DeploymentName; writes are AWS::SSM::Parameter
resources named the same way. Both are reduced to contract key names here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlflow_platform.contract import SSM_ROOT

_READ = re.compile(
    r"\{\{resolve:ssm:" + re.escape(SSM_ROOT) + r"/<DeploymentName>/(?P<key>[a-z0-9-]+)\}\}"
)


def _flatten(node: Any) -> str:
    """Render a value as a string with `Ref DeploymentName` as <DeploymentName>."""
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping):
        if node == {"Ref": "DeploymentName"}:
            return "<DeploymentName>"
        if set(node) == {"Fn::Join"}:
            sep, parts = node["Fn::Join"]
            return sep.join(_flatten(p) for p in parts)
        return " ".join(_flatten(v) for v in node.values())
    if isinstance(node, list):
        return " ".join(_flatten(v) for v in node)
    return str(node)


def ssm_keys_read(template: Mapping[str, Any]) -> set[str]:
    """Contract keys the template resolves with SSM dynamic references."""
    text = _flatten(template.get("Resources", {})) + _flatten(template.get("Outputs", {}))
    return {m["key"] for m in _READ.finditer(text)}


def unparsed_ssm_references(template: Mapping[str, Any]) -> list[str]:
    """Dynamic SSM references that are not per-deployment contract reads (should be none)."""
    text = _flatten(template.get("Resources", {}))
    return [m.group(0) for m in re.finditer(r"\{\{resolve:ssm[^}]*\}\}", text)
            if not _READ.fullmatch(m.group(0))]


def ssm_keys_written(template: Mapping[str, Any]) -> set[str]:
    """Contract keys of the AWS::SSM::Parameter resources the template creates."""
    prefix = f"{SSM_ROOT}/<DeploymentName>/"
    keys = set()
    for resource in template.get("Resources", {}).values():
        if resource["Type"] == "AWS::SSM::Parameter":
            name = _flatten(resource["Properties"]["Name"])
            if name.startswith(prefix):
                keys.add(name.removeprefix(prefix))
    return keys
