"""Evaluate a template's Rules (checked by CloudFormation before it creates anything).

Supports the rule functions the products use: Fn::Equals, Fn::And, Fn::Or, Fn::Not,
Fn::Contains over literals and Ref of parameters. Anything else raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import parameter_values

Template = Mapping[str, Any]


def failed_assertions(template: Template, overrides: Mapping[str, str] | None = None
                      ) -> list[str]:
    """AssertDescriptions of the rule assertions that fail for these launch values."""
    values = parameter_values(template, overrides)
    failures = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not _truth(rule["RuleCondition"], values):
            continue
        failures += [a.get("AssertDescription", "?") for a in rule["Assertions"]
                     if not _truth(a["Assert"], values)]
    return failures


def _truth(expr: Any, values: Mapping[str, str]) -> bool:
    (fn, args), = expr.items()
    if fn == "Fn::Equals":
        return _value(args[0], values) == _value(args[1], values)
    if fn == "Fn::And":
        return all(_truth(a, values) for a in args)
    if fn == "Fn::Or":
        return any(_truth(a, values) for a in args)
    if fn == "Fn::Not":
        return not _truth(args[0], values)
    if fn == "Fn::Contains":
        return _value(args[1], values) in [_value(v, values) for v in args[0]]
    raise ValueError(f"unsupported rule function {fn}")


def _value(expr: Any, values: Mapping[str, str]) -> str:
    if isinstance(expr, Mapping):
        return values[expr["Ref"]]
    return str(expr)
