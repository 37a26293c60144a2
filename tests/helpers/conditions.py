"""Evaluate a template's CloudFormation conditions for given parameter values.

Product templates switch resources and properties on launch parameters (Condition on a
resource, Fn::If in a property). Tests pick parameter values, evaluate every condition as
CloudFormation would, and then assert on what a launch with those values would create.
Only the condition functions (Fn::Equals/And/Or/Not, Condition) and Ref of parameters are
supported: anything else in a condition is a bug in the template or here, so it raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Template = Mapping[str, Any]


class ConditionError(ValueError):
    """A condition uses something this evaluator (and CloudFormation) cannot evaluate."""


def parameter_values(template: Template, overrides: Mapping[str, str] | None = None
                     ) -> dict[str, str]:
    """Launch values: each parameter's default, overridden; KeyError for unknown names."""
    params = template.get("Parameters", {})
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(params)
    if unknown:
        raise KeyError(f"no such parameters: {sorted(unknown)}; declared: {sorted(params)}")
    values = {name: str(p["Default"]) for name, p in params.items() if "Default" in p}
    values.update({k: str(v) for k, v in overrides.items()})
    return values


def evaluate_conditions(template: Template, overrides: Mapping[str, str] | None = None
                        ) -> dict[str, bool]:
    """Every condition of the template, evaluated for defaults plus overrides."""
    values = parameter_values(template, overrides)
    conditions = template.get("Conditions", {})
    results: dict[str, bool] = {}

    def condition(name: str, stack: tuple[str, ...] = ()) -> bool:
        if name in stack:
            raise ConditionError(f"condition cycle: {' -> '.join((*stack, name))}")
        if name not in results:
            if name not in conditions:
                raise ConditionError(f"unknown condition {name!r}")
            results[name] = _truth(conditions[name], values, lambda n: condition(n, (*stack, name)))
        return results[name]

    for name in conditions:
        condition(name)
    return results


def _truth(expr: Any, values: Mapping[str, str], condition: Any) -> bool:
    if not isinstance(expr, Mapping) or len(expr) != 1:
        raise ConditionError(f"not a condition function: {expr!r}")
    (fn, args), = expr.items()
    if fn == "Fn::Equals":
        left, right = (_value(a, values) for a in args)
        return left == right
    if fn == "Fn::And":
        return all(_truth(a, values, condition) for a in args)
    if fn == "Fn::Or":
        return any(_truth(a, values, condition) for a in args)
    if fn == "Fn::Not":
        return not _truth(args[0], values, condition)
    if fn == "Condition":
        return bool(condition(args))
    raise ConditionError(f"unsupported condition function {fn}")


def _value(expr: Any, values: Mapping[str, str]) -> str:
    if isinstance(expr, str | int | float | bool):
        return str(expr).lower() if isinstance(expr, bool) else str(expr)
    if isinstance(expr, Mapping) and set(expr) == {"Ref"}:
        name = expr["Ref"]
        if name not in values:
            raise ConditionError(f"parameter {name!r} has no value (no default, no override)")
        return values[name]
    if isinstance(expr, Mapping) and len(expr) == 1:
        (fn, _), = expr.items()
        if fn == "Condition" or fn.startswith("Fn::"):
            raise ConditionError(f"Fn::Equals over {fn} is not supported here")
    raise ConditionError(f"cannot evaluate {expr!r}")


def resolve(node: Any, conditions: Mapping[str, bool]) -> Any:
    """A template fragment with every Fn::If chosen and AWS::NoValue dropped."""
    if isinstance(node, list):
        return [r for r in (resolve(n, conditions) for n in node) if r is not _NO_VALUE]
    if isinstance(node, Mapping):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if conditions[name] else when_false, conditions)
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        out = {k: resolve(v, conditions) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}
    return node


_NO_VALUE = object()


def launched(template: Template, overrides: Mapping[str, str] | None = None
             ) -> dict[str, Any]:
    """The resources (and outputs) a launch with these values creates, conditions applied.

    Returns a template-shaped dict (Resources, Outputs) usable with
    aws_cdk.assertions.Template.from_json for assertions on one option.
    """
    conditions = evaluate_conditions(template, overrides)

    def kept(section: str) -> dict[str, Any]:
        return {
            name: {k: v for k, v in resolve(body, conditions).items() if k != "Condition"}
            for name, body in template.get(section, {}).items()
            if "Condition" not in body or conditions[body["Condition"]]
        }

    return {"Resources": kept("Resources"), "Outputs": kept("Outputs")}
