"""Template constraints: the admin's bounds, as rules on real product parameters.

Rules are checked by Service Catalog at launch and update. CloudFormation rule
functions cannot compare numbers, so numeric bounds are expressed as the list of
allowed values up to the bound (the parameters are strings with allowed values).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_servicecatalog as servicecatalog

from mlflow_platform.catalog import MLFLOW_CORE, NOTEBOOK
from products.common.parameters import ParamSpec, by_name
from products.mlflow_core.parameters import PARAMETERS as CORE_PARAMETERS
from products.notebook.parameters import PARAMETERS as NOTEBOOK_PARAMETERS

from .config import Bounds


def _within(specs: Sequence[ParamSpec], name: str, allowed: Sequence[str], what: str
            ) -> servicecatalog.TemplateRuleAssertion:
    spec = by_name(specs, name)  # KeyError if the product has no such parameter
    if spec.allowed_values is not None:
        unknown = set(allowed) - set(spec.allowed_values)
        if unknown:
            raise ValueError(f"bound for {name} allows values the product rejects: {unknown}")
    return servicecatalog.TemplateRuleAssertion(
        assert_=cdk.Fn.condition_contains(list(allowed), cdk.Fn.ref(name)),
        description=f"{spec.label}: {what}",
    )


def _up_to(specs: Sequence[ParamSpec], name: str, bound: float) -> list[str]:
    values = by_name(specs, name).allowed_values or ()
    return [v for v in values if v == "auto" or float(v) <= bound]


def core_rules(bounds: Bounds) -> list[servicecatalog.TemplateRule]:
    tasks = _up_to(CORE_PARAMETERS, "MaxTasks", bounds.max_tasks)
    acu = _up_to(CORE_PARAMETERS, "DatabaseMaxCapacity", bounds.max_database_capacity)
    min_acu = _up_to(CORE_PARAMETERS, "DatabaseMinCapacity", bounds.max_database_capacity)
    min_tasks = _up_to(CORE_PARAMETERS, "MinTasks", bounds.max_tasks)
    return [
        servicecatalog.TemplateRule(
            rule_name="TaskBounds",
            assertions=[
                _within(CORE_PARAMETERS, "MaxTasks", tasks,
                        f"at most {bounds.max_tasks} tasks (portfolio limit)"),
                _within(CORE_PARAMETERS, "MinTasks", min_tasks,
                        f"at most {bounds.max_tasks} tasks (portfolio limit)"),
            ],
        ),
        servicecatalog.TemplateRule(
            rule_name="DatabaseCapacityBounds",
            assertions=[
                _within(CORE_PARAMETERS, "DatabaseMaxCapacity", acu,
                        f"at most {bounds.max_database_capacity:g} ACU (portfolio limit)"),
                _within(CORE_PARAMETERS, "DatabaseMinCapacity", min_acu,
                        f"at most {bounds.max_database_capacity:g} ACU (portfolio limit)"),
            ],
        ),
    ]


def notebook_rules(bounds: Bounds) -> list[servicecatalog.TemplateRule]:
    return [
        servicecatalog.TemplateRule(
            rule_name="NotebookInstanceTypes",
            assertions=[
                _within(NOTEBOOK_PARAMETERS, "InstanceType", bounds.notebook_instance_types,
                        "one of " + ", ".join(bounds.notebook_instance_types)
                        + " (portfolio limit)"),
            ],
        )
    ]


TEMPLATE_RULES: dict[str, Callable[[Bounds], list[servicecatalog.TemplateRule]]] = {
    MLFLOW_CORE.slug: core_rules,
    NOTEBOOK.slug: notebook_rules,
}
