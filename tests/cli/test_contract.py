"""Contract: what `up` passes to each product exists in its synthesized template, and
the template's constraints accept the values `up` would pass."""

from __future__ import annotations

from typing import Any

import pytest

from mlflow_platform import contract
from mlflow_platform.cli.catalog_service import Output
from mlflow_platform.cli.commands import PROVISIONED_NAME
from mlflow_platform.cli.deployment import (
    COMPONENTS,
    CORE_AUTH_OUTPUT,
    FromOutput,
    inputs_for,
)
from mlflow_platform.cli.parameters import ParameterDef, resolve_parameters

# Deployment names `up` accepts: shortest, typical and longest.
NAMES = ("abc", "demo", "team-a-mlflow-2", "a" + "b1-" * 10 + "z")


def template_parameters(template: dict[str, Any]) -> list[ParameterDef]:
    """A template's Parameters as describe_provisioning_parameters would report them."""
    defs = []
    for key, p in template.get("Parameters", {}).items():
        default = p.get("Default")
        defs.append(ParameterDef(
            key=key, type=p.get("Type", "String"),
            default=None if default is None else str(default),
            allowed_values=tuple(str(v) for v in p.get("AllowedValues", ())),
            allowed_pattern=p.get("AllowedPattern"),
            constraint_description=p.get("ConstraintDescription"),
            min_length=p.get("MinLength"), max_length=p.get("MaxLength"),
            min_value=p.get("MinValue"), max_value=p.get("MaxValue"),
        ))
    return defs


def test_sample_names_are_valid_deployment_names() -> None:
    for name in NAMES:
        assert contract.validate_deployment_name(name) == name
    assert len(NAMES[-1]) == 32


def _sources(component: Any) -> dict[str, Any]:
    return {**component.defaults, **component.inputs}


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.slug)
def test_up_inputs_exist_in_the_product_template(synth: Any, component: Any) -> None:
    params = synth.product_json(component.slug).get("Parameters", {})
    missing = set(_sources(component)) - set(params)
    assert not missing, f"{component.slug} template lacks {missing}"


def _sample_outputs(synth: Any, raw: str) -> dict[str, list[Output]]:
    """Every earlier product's outputs, with `raw` for the translated ones."""
    return {c.slug: [Output(k, raw) for k in _outputs(synth, c.slug)] for c in COMPONENTS}


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.slug)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("auth_mode", contract.AUTH_MODES)
def test_template_constraints_accept_what_up_passes(synth: Any, component: Any, name: str,
                                                    auth_mode: str) -> None:
    """Also fails when a product gains a required parameter that `up` does not pass."""
    defs = template_parameters(synth.product_json(component.slug))
    values = inputs_for(component, name, _sample_outputs(synth, auth_mode))
    assert resolve_parameters(defs, values) == values


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.slug)
def test_output_sources_exist_in_earlier_templates(synth: Any, component: Any) -> None:
    order = [c.slug for c in COMPONENTS]
    for key, source in _sources(component).items():
        if isinstance(source, FromOutput):
            assert order.index(source.slug) < order.index(component.slug), key
            assert source.key in _outputs(synth, source.slug), f"{source.slug}.{source.key}"


def test_auth_mode_translations_cover_every_core_auth_mode(synth: Any) -> None:
    allowed = synth.product_json("mlflow-core")["Parameters"]["AuthMode"]["AllowedValues"]
    for c in COMPONENTS:
        for source in c.defaults.values():
            if isinstance(source, FromOutput) and source.key == CORE_AUTH_OUTPUT:
                assert set(source.values or {}) == set(allowed), c.slug


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.slug)
def test_provisioned_names_fit_service_catalog(component: Any) -> None:
    assert PROVISIONED_NAME.fullmatch(component.provisioned_name(NAMES[-1]))


def _outputs(synth: Any, slug: str) -> set[str]:
    return set(synth.product_json(slug).get("Outputs", {}))
