"""A whole deployment: `up` and `down` over the three products, in order.

Naming convention: deployment NAME is provisioned as `NAME-core` (MLflow core),
`NAME-api` (MLflow private API) and `NAME-notebook` (MLflow notebook).

Wiring: CloudFormation cannot read another provisioned product's outputs, so MLflow
core publishes everything the others need in SSM under its deployment name
(mlflow_platform.contract). The deployment name is therefore the link: every product
gets `DeploymentName` (fixed). On top, `up` derives overridable defaults from earlier
outputs: the private API's `Authorization` and the notebook's `Connection` follow the
core's auth mode (iam needs AWS_IAM and the API path). tests/cli/test_contract.py checks
all of it against the synthesized product templates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from mlflow_platform import contract
from mlflow_platform.catalog import MLFLOW_CORE, NOTEBOOK, PRIVATE_API

from .aws import error_code
from .catalog_service import CatalogService, Output, Provisioned, Record, Target
from .connection import ConnectionService
from .errors import NotFoundError, ProvisioningFailed, ValidationError
from .parameters import check_tags, resolve_parameters
from .polling import Progress

USABLE = frozenset({"AVAILABLE", "TAINTED"})


@dataclass(frozen=True)
class FromDeployment:
    """The deployment name given to `up`."""


@dataclass(frozen=True)
class FromOutput:
    """An output of a product launched earlier in the same `up`, optionally translated."""

    slug: str
    key: str
    values: Mapping[str, str] | None = None

    def value(self, outputs: Mapping[str, Sequence[Output]]) -> str:
        found = {o.key: o.value for o in outputs.get(self.slug, ())}
        if self.key not in found:
            raise ProvisioningFailed(f"{self.slug} has no output {self.key}")
        if self.values is None:
            return found[self.key]
        if found[self.key] not in self.values:
            raise ProvisioningFailed(f"{self.slug} output {self.key}={found[self.key]!r} "
                                     f"is not one of {sorted(self.values)}")
        return self.values[found[self.key]]


Source = FromDeployment | FromOutput


@dataclass(frozen=True)
class Component:
    slug: str
    suffix: str
    inputs: Mapping[str, Source]  # always set by up
    defaults: Mapping[str, Source] = field(default_factory=dict)  # a --param may override

    def provisioned_name(self, deployment: str) -> str:
        return f"{deployment}-{self.suffix}"


# Output of MLflow core with its auth mode (output_id("auth-mode"), renamed because
# AuthMode is also a parameter of the core).
CORE_AUTH_OUTPUT = "PublishedAuthMode"

COMPONENTS: tuple[Component, ...] = (
    Component(MLFLOW_CORE.slug, "core", {"DeploymentName": FromDeployment()}),
    # Reads the core's tracking URL, VPC link and listener from SSM by deployment name.
    Component(PRIVATE_API.slug, "api", {"DeploymentName": FromDeployment()}, {
        "Authorization": FromOutput(MLFLOW_CORE.slug, CORE_AUTH_OUTPUT,
                                    {"basic": "NONE", "per-user": "NONE", "iam": "AWS_IAM"}),
    }),
    # Reads the core's (and the API's, when present) values from SSM by deployment name.
    Component(NOTEBOOK.slug, "notebook", {"DeploymentName": FromDeployment()}, {
        "Connection": FromOutput(MLFLOW_CORE.slug, CORE_AUTH_OUTPUT,
                                 {"basic": "vpc", "per-user": "vpc", "iam": "private-api"}),
    }),
)

RETAINED = (
    "the S3 artifact bucket{bucket} (experiment artifacts and models)",
    "a final snapshot of the Aurora database (RDS > Snapshots, named after the cluster)",
)


def component(ref: str) -> Component:
    for c in COMPONENTS:
        if ref in (c.slug, c.suffix):
            return c
    raise ValidationError(f"unknown component {ref!r}; known: "
                          + ", ".join(f"{c.suffix} ({c.slug})" for c in COMPONENTS))


def inputs_for(c: Component, deployment: str, outputs: Mapping[str, Sequence[Output]],
               given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parameter values `up` passes to one component: given ones, wired defaults
    (unless given) and fixed inputs."""
    given = given or {}
    wired: dict[str, str] = {}
    for key, source in c.defaults.items():
        if key in given:
            continue
        try:
            wired[key] = _resolve(source, deployment, outputs)
        except ProvisioningFailed as err:
            raise err.with_hint(f"set it yourself: --param {c.suffix}.{key}=VALUE") from None
    fixed = {k: _resolve(s, deployment, outputs) for k, s in c.inputs.items()}
    return {**given, **wired, **fixed}


def _resolve(source: Source, deployment: str, outputs: Mapping[str, Sequence[Output]]) -> str:
    return deployment if isinstance(source, FromDeployment) else source.value(outputs)


def split_component_params(params: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """`core.Profile=prod` style options into {slug: {key: value}}."""
    result: dict[str, dict[str, str]] = {}
    for dotted, value in params.items():
        ref, dot, key = dotted.partition(".")
        if not dot or not key:
            raise ValidationError(f"parameter {dotted!r}: use COMPONENT.KEY=VALUE, "
                                  "e.g. core.Profile=prod")
        c = component(ref)
        if key in c.inputs:
            raise ValidationError(f"parameter {dotted!r} is set by up itself")
        result.setdefault(c.slug, {})[key] = value
    return result


@dataclass
class Step:
    """What `up` or `down` did with one component."""

    slug: str
    name: str
    action: str  # launched, skipped, waited, terminated, absent
    status: str
    record_id: str = ""
    outputs: list[Output] = field(default_factory=list)


class DeploymentService:
    def __init__(self, catalog: CatalogService, connection: ConnectionService,
                 progress: Progress) -> None:
        self._catalog = catalog
        self._connection = connection
        self._progress = progress

    # --- up -----------------------------------------------------------------------------
    def up(self, deployment: str, *, params: Mapping[str, Mapping[str, str]] | None = None,
           tags: Mapping[str, str] | None = None, skip: Sequence[str] = ()) -> list[Step]:
        """Validate every component first (no change yet), then provision them in order."""
        _check_name(deployment)
        params, tags = params or {}, tags or {}
        targets = [(c, self._prepare(c, deployment, params.get(c.slug, {}), tags))
                   for c in COMPONENTS if c.slug not in skip]
        outputs: dict[str, list[Output]] = {}
        steps: list[Step] = []
        for c, target in targets:
            if c.slug != MLFLOW_CORE.slug:
                self._check_handover(deployment)
            step = self._ensure(c, target, deployment, outputs, params.get(c.slug, {}), tags)
            outputs[c.slug] = step.outputs
            steps.append(step)
        return steps

    def _prepare(self, c: Component, deployment: str, extra: Mapping[str, str],
                 tags: Mapping[str, str]) -> Target:
        target = self._catalog.target(c.slug, None, launching=True)
        sources = {**c.defaults, **c.inputs}
        known = {k: deployment for k, s in sources.items() if isinstance(s, FromDeployment)}
        later = [k for k, s in sources.items() if isinstance(s, FromOutput)]
        resolve_parameters(target.options.parameters, {**extra, **known}, previous=later)
        check_tags(tags, target.options.tag_options)
        return target

    def _ensure(self, c: Component, target: Target, deployment: str,
                outputs: Mapping[str, Sequence[Output]], extra: Mapping[str, str],
                tags: Mapping[str, str]) -> Step:
        name = c.provisioned_name(deployment)
        existing = self._catalog.provisioned(name)
        if existing is not None:
            if existing.product_id != target.product.id:
                raise ValidationError(f"{name} exists but is not a {target.product.name}",
                                      hint="terminate it or choose another deployment name")
            step = self._resume(c, existing, deployment)
            if step is not None:
                return step
        values = inputs_for(c, deployment, outputs, extra)
        record = self._catalog.provision(target, name, values, tags)
        self._progress(f"{name}: launching {target.product.name} {target.version.name} "
                       f"(record {record.id})")
        record = self._catalog.wait(record.id, name, resume_hint=_resume(deployment))
        return Step(c.slug, name, "launched", "AVAILABLE", record.id, list(record.outputs))

    def _resume(self, c: Component, existing: Provisioned, deployment: str) -> Step | None:
        """The step for an existing product; None when it turned out to be gone."""
        name = existing.name
        if existing.status in USABLE:
            self._progress(f"{name}: already provisioned ({existing.status}); skipping")
            return Step(c.slug, name, "skipped", existing.status, existing.last_record_id,
                        self._catalog.outputs(name))
        if existing.status == "UNDER_CHANGE":
            self._progress(f"{name}: a change is in progress; waiting for it")
            record = self._catalog.wait(existing.last_record_id, name,
                                        resume_hint=_resume(deployment))
            # The change may have been its termination (an interrupted `down`).
            after = self._catalog.provisioned(name)
            if after is None:
                self._progress(f"{name}: that change terminated it; launching it again")
                return None
            return Step(c.slug, name, "waited", after.status, record.id,
                        self._catalog.outputs(name))
        raise ProvisioningFailed(
            f"{name} is {existing.status}: {existing.status_message or 'no message'}",
            hint=f"terminate it (mlflow-platform terminate {name}) and run up again",
        )

    def _check_handover(self, deployment: str) -> None:
        """The next products read the core's SSM values: fail early if they are missing."""
        try:
            published = self._connection.published(deployment)
        except ClientError as err:
            self._progress(f"cannot read {contract.ssm_prefix(deployment)} in SSM "
                           f"({error_code(err)}); not checking the hand-over")
            return
        if not published.get("tracking-url"):
            raise ProvisioningFailed(
                f"MLflow core {deployment!r} published no tracking-url under "
                f"{contract.ssm_prefix(deployment)}; the next products need it",
                hint="check the core's last record: mlflow-platform status " + deployment,
            )

    # --- down ---------------------------------------------------------------------------
    def existing(self, deployment: str) -> list[Provisioned]:
        """The deployment's provisioned products, in `up` order."""
        found = (self._catalog.provisioned(c.provisioned_name(deployment)) for c in COMPONENTS)
        return [p for p in found if p is not None]

    def down(self, deployment: str) -> tuple[list[Step], list[str]]:
        _check_name(deployment)
        retained = self.retained(deployment)
        steps = [self._terminate(c, deployment) for c in reversed(COMPONENTS)]
        if all(s.action == "absent" for s in steps):
            raise NotFoundError(f"deployment {deployment!r} has no provisioned products")
        return steps, retained

    def _terminate(self, c: Component, deployment: str) -> Step:
        name = c.provisioned_name(deployment)
        existing = self._catalog.provisioned(name)
        if existing is None:
            return Step(c.slug, name, "absent", "")
        if existing.status == "UNDER_CHANGE":
            self._progress(f"{name}: a change is in progress; waiting before terminating")
            self._wait_quietly(existing.last_record_id, name, deployment)
            # That change may have been this termination, started by an interrupted `down`.
            if self._catalog.provisioned(name) is None:
                self._progress(f"{name}: already terminated by that change")
                return Step(c.slug, name, "terminated", "TERMINATED", existing.last_record_id)
        record = self.terminate(name, resume_hint=f"run again: mlflow-platform down {deployment}")
        return Step(c.slug, name, "terminated", "TERMINATED", record.id)

    def _wait_quietly(self, record_id: str, name: str, deployment: str) -> None:
        # A failed change does not stop the termination.
        with contextlib.suppress(ProvisioningFailed):
            self._catalog.wait(record_id, name,
                               resume_hint=f"run again: mlflow-platform down {deployment}")

    def terminate(self, name: str, *, resume_hint: str) -> Record:
        record = self._catalog.terminate(name)
        self._progress(f"{name}: terminating (record {record.id})")
        return self._catalog.wait(record.id, f"{name} (terminate)", resume_hint=resume_hint)

    def retained(self, deployment: str) -> list[str]:
        """What survives termination of the core, with the bucket name when readable."""
        try:
            bucket = self._connection.published(deployment).get("artifact-bucket")
        except ClientError:
            bucket = None
        return [RETAINED[0].format(bucket=f" {bucket}" if bucket else ""), RETAINED[1]]


def _check_name(deployment: str) -> None:
    try:
        contract.validate_deployment_name(deployment)
    except ValueError as err:
        raise ValidationError(str(err)) from None


def _resume(deployment: str) -> str:
    return (f"resume with: mlflow-platform up {deployment} (finished products are skipped, "
            "changes in progress are waited on)")
