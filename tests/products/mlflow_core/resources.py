"""Small lookups over launched templates (see conftest.launch)."""

from __future__ import annotations

from typing import Any


def of_type(resources: dict[str, Any], type_: str) -> dict[str, Any]:
    """The resources of one CloudFormation type, by logical ID."""
    return {k: v for k, v in resources["Resources"].items() if v["Type"] == type_}


def only(resources: dict[str, Any], type_: str) -> dict[str, Any]:
    """The one resource of a type (its body); fails if there are none or several."""
    found = of_type(resources, type_)
    assert len(found) == 1, f"{type_}: {sorted(found)}"
    return next(iter(found.values()))


def render(node: Any) -> str:
    """A string value with Fn::Join flattened; Ref and GetAtt shown as <Name>/<Id.Attr>."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and set(node) == {"Fn::Join"}:
        sep, parts = node["Fn::Join"]
        return sep.join(render(p) for p in parts)
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return f"<{node['Ref']}>"
    if isinstance(node, dict) and set(node) == {"Fn::GetAtt"}:
        return "<{}.{}>".format(*node["Fn::GetAtt"])
    raise ValueError(f"cannot render {node!r}")
