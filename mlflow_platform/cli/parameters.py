"""Launch parameters and tags: parsing `K=V` options and files, and client-side validation.

Validation mirrors what CloudFormation checks (allowed values, pattern, length and
value bounds, required parameters) against the `describe_provisioning_parameters`
answer, so a bad value fails before any change is made, naming the parameter.
Values of NoEcho parameters never appear in messages.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ValidationError

MASK = "****"


@dataclass(frozen=True)
class ParameterDef:
    """One launch parameter as Service Catalog describes it."""

    key: str
    default: str | None = None
    type: str = "String"
    no_echo: bool = False
    description: str = ""
    allowed_values: tuple[str, ...] = ()
    allowed_pattern: str | None = None
    constraint_description: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> ParameterDef:
        """From one `ProvisioningArtifactParameters` entry."""
        c = item.get("ParameterConstraints") or {}
        return cls(
            key=item["ParameterKey"],
            default=item.get("DefaultValue"),
            type=item.get("ParameterType") or "String",
            no_echo=bool(item.get("IsNoEcho")),
            description=item.get("Description") or "",
            allowed_values=tuple(c.get("AllowedValues") or ()),
            allowed_pattern=c.get("AllowedPattern") or None,
            constraint_description=c.get("ConstraintDescription") or None,
            min_length=_int(c.get("MinLength")),
            max_length=_int(c.get("MaxLength")),
            min_value=_float(c.get("MinValue")),
            max_value=_float(c.get("MaxValue")),
        )

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def is_list(self) -> bool:
        return self.type == "CommaDelimitedList" or self.type.startswith("List<")

    @property
    def is_number(self) -> bool:
        return self.type in ("Number", "List<Number>")

    def show(self, value: str) -> str:
        return MASK if self.no_echo else repr(value)

    def constraint_text(self) -> str:
        """One line for `describe`: what values are accepted."""
        parts: list[str] = []
        if self.allowed_values:
            parts.append("one of " + ", ".join(v or '""' for v in self.allowed_values))
        if self.constraint_description:
            parts.append(self.constraint_description)
        elif self.allowed_pattern:
            parts.append(f"pattern {self.allowed_pattern}")
        if self.min_value is not None or self.max_value is not None:
            parts.append(f"{_num(self.min_value)}..{_num(self.max_value)}")
        if self.min_length is not None or self.max_length is not None:
            parts.append(f"length {_num(self.min_length)}..{_num(self.max_length)}")
        return "; ".join(parts)


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# --- parsing --------------------------------------------------------------------------
def parse_pairs(items: Iterable[str], what: str) -> dict[str, str]:
    """`K=V` options into a dict; a repeated key keeps the last value."""
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"{what} {item!r} is not KEY=VALUE")
        result[key.strip()] = value
    return result


def load_params_file(path: str) -> dict[str, str]:
    """A JSON object {"Key": "value"} or the AWS CLI list [{"ParameterKey", "ParameterValue"}]."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as err:
        raise ValidationError(f"cannot read parameters file {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise ValidationError(f"parameters file {path} is not valid JSON: {err}") from None
    if isinstance(data, dict):
        return {str(k): _text(v, path) for k, v in data.items()}
    if isinstance(data, list) and all(isinstance(i, dict) and "ParameterKey" in i for i in data):
        return {str(i["ParameterKey"]): _text(i.get("ParameterValue", ""), path) for i in data}
    raise ValidationError(
        f"parameters file {path}: expected an object of KEY: VALUE or a list of "
        "{ParameterKey, ParameterValue}"
    )


def _text(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise ValidationError(f"parameters file {path}: value {value!r} is not a string or number")


# --- validation -----------------------------------------------------------------------
def resolve_parameters(
    defs: Sequence[ParameterDef],
    given: Mapping[str, str],
    *,
    previous: Iterable[str] = (),
) -> dict[str, str]:
    """Check `given` against `defs`; return it unchanged or raise naming every problem.

    `previous` names parameters that keep their earlier value (updates), so they are
    not missing even without a default.
    """
    by_key = {d.key: d for d in defs}
    problems = [_unknown(key, by_key) for key in given if key not in by_key]
    for key, value in given.items():
        if key in by_key:
            problems += check_value(by_key[key], value)
    kept = set(previous)
    problems += [
        f"parameter {d.key} is required (it has no default)"
        + (f": {d.description}" if d.description else "")
        for d in defs
        if d.required and d.key not in given and d.key not in kept
    ]
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} invalid parameters"
        raise ValidationError(summary, problems=problems,
                              hint="see the accepted values with: mlflow-platform describe PRODUCT")
    return dict(given)


def _unknown(key: str, by_key: Mapping[str, ParameterDef]) -> str:
    close = difflib.get_close_matches(key, list(by_key), n=1)
    maybe = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown parameter {key}{maybe}; known: {', '.join(sorted(by_key))}"


def check_value(d: ParameterDef, value: str) -> list[str]:
    """Problems with one value (empty list when it is accepted)."""
    problems = _check_length(d, value)
    if problems:
        return problems
    items = [v.strip() for v in value.split(",")] if d.is_list and value else [value]
    for item in items:
        problems += _check_item(d, item)
    return problems


def _check_item(d: ParameterDef, value: str) -> list[str]:
    shown = d.show(value)
    if d.allowed_values and value not in d.allowed_values:
        allowed = MASK if d.no_echo else ", ".join(v or '""' for v in d.allowed_values)
        return [f"parameter {d.key}: {shown} is not allowed; allowed values: {allowed}"]
    if d.allowed_pattern and not _matches(d.allowed_pattern, value):
        why = d.constraint_description or f"pattern {d.allowed_pattern}"
        return [f"parameter {d.key}: {shown} does not match the allowed pattern ({why})"]
    if d.is_number:
        return _check_number(d, value)
    return []


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True  # a pattern Python cannot read: leave it to CloudFormation


def _check_number(d: ParameterDef, value: str) -> list[str]:
    try:
        number = float(value)
    except ValueError:
        return [f"parameter {d.key}: {d.show(value)} is not a number"]
    if d.min_value is not None and number < d.min_value:
        return [f"parameter {d.key}: {d.show(value)} is below the minimum {d.min_value:g}"]
    if d.max_value is not None and number > d.max_value:
        return [f"parameter {d.key}: {d.show(value)} is above the maximum {d.max_value:g}"]
    return []


def _check_length(d: ParameterDef, value: str) -> list[str]:
    if d.min_length is not None and len(value) < d.min_length:
        return [f"parameter {d.key}: {len(value)} characters, at least {d.min_length} needed"]
    if d.max_length is not None and len(value) > d.max_length:
        return [f"parameter {d.key}: {len(value)} characters, at most {d.max_length} allowed"]
    return []


def check_tags(tags: Mapping[str, str], tag_options: Mapping[str, Sequence[str]]) -> None:
    """Tags whose key has TagOptions must use one of their values."""
    problems = [
        f"tag {key}: {value!r} is not allowed; allowed values: {', '.join(tag_options[key])}"
        for key, value in tags.items()
        if key in tag_options and value not in tag_options[key]
    ]
    if problems:
        raise ValidationError(problems[0] if len(problems) == 1 else
                              f"{len(problems)} invalid tags", problems=problems)


def masked(defs: Sequence[ParameterDef], values: Mapping[str, str]) -> dict[str, str]:
    """Values safe to print: NoEcho ones masked."""
    secret = {d.key for d in defs if d.no_echo}
    return {k: (MASK if k in secret else v) for k, v in values.items()}
