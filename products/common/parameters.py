"""Launch parameters declared once, as data.

A product declares its parameters as `ParamSpec`s; the same declaration creates the
CfnParameters, the console labels and groups (`AWS::CloudFormation::Interface`), the
portfolio's template constraints (which must name real parameters) and the CLI's
contract tests. Nothing else spells a parameter name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct


@dataclass(frozen=True)
class ParamSpec:
    """One launch parameter, as a console user meets it."""

    name: str
    label: str
    description: str
    group: str
    default: str | int | float | None = None
    type: str = "String"
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    constraint_description: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None

    def __post_init__(self) -> None:
        if not self.label or not self.description or not self.group:
            raise ValueError(f"parameter {self.name}: label, description and group are required")
        constrained = (
            self.allowed_values is not None
            or self.allowed_pattern is not None
            or self.min_value is not None
            or self.type.startswith(("AWS::", "List<AWS::"))
        )
        if not constrained:
            raise ValueError(
                f"parameter {self.name}: give allowed values, a pattern, bounds or an AWS type"
            )
        if self.allowed_pattern is not None and not self.constraint_description:
            raise ValueError(f"parameter {self.name}: a pattern needs a constraint_description")
        if (
            self.allowed_values is not None
            and self.default is not None
            and str(self.default) not in self.allowed_values
        ):
            raise ValueError(f"parameter {self.name}: default not among allowed values")


class ParameterSet:
    """Creates the CfnParameters of a stack from specs, with labels and groups."""

    def __init__(self, scope: Construct, specs: Sequence[ParamSpec]) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names: {names}")
        self.specs = {s.name: s for s in specs}
        self._params = {s.name: _create(scope, s) for s in specs}
        cdk.Stack.of(scope).template_options.metadata = {
            "AWS::CloudFormation::Interface": _interface(specs)
        }

    def __getitem__(self, name: str) -> cdk.CfnParameter:
        try:
            return self._params[name]
        except KeyError:
            raise KeyError(f"no parameter {name!r}; declared: {sorted(self._params)}") from None

    def text(self, name: str) -> str:
        return self[name].value_as_string

    def number(self, name: str) -> float:
        return self[name].value_as_number

    def names(self) -> list[str]:
        return list(self._params)


def _create(scope: Construct, spec: ParamSpec) -> cdk.CfnParameter:
    return cdk.CfnParameter(
        scope,
        spec.name,
        type=spec.type,
        description=spec.description,
        default=spec.default,
        allowed_values=list(spec.allowed_values) if spec.allowed_values else None,
        allowed_pattern=spec.allowed_pattern,
        constraint_description=spec.constraint_description,
        min_value=spec.min_value,
        max_value=spec.max_value,
        max_length=spec.max_length,
    )


def _interface(specs: Iterable[ParamSpec]) -> dict:
    groups: dict[str, list[str]] = {}
    for spec in specs:
        groups.setdefault(spec.group, []).append(spec.name)
    return {
        "ParameterGroups": [
            {"Label": {"default": label}, "Parameters": names} for label, names in groups.items()
        ],
        "ParameterLabels": {s.name: {"default": s.label} for s in specs},
    }


def by_name(specs: Sequence[ParamSpec], name: str) -> ParamSpec:
    """Look a spec up by name; KeyError names the known parameters."""
    for spec in specs:
        if spec.name == name:
            return spec
    raise KeyError(f"no parameter {name!r}; declared: {[s.name for s in specs]}")
