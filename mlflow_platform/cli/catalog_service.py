"""Service Catalog, as an end user meets it: products, versions, launches and records.

Wraps an injected `servicecatalog` client (tests pass a Stubber-wrapped one) and
raises domain errors. It never prints: progress goes through the `progress` callback.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mlflow_platform.catalog import PORTFOLIO_NAME, PRODUCTS

from .aws import error_code, error_message
from .errors import (
    ChangeInProgress,
    Interrupted,
    NotFoundError,
    ProvisioningFailed,
    ValidationError,
    WaitTimeout,
)
from .parameters import ParameterDef, check_tags, resolve_parameters
from .polling import Poller, Progress

RECORD_DONE = frozenset({"SUCCEEDED", "FAILED"})
PLAN_DONE = frozenset({"CREATE_SUCCESS", "CREATE_FAILED"})
DEPRECATED = "DEPRECATED"
# A plan whose change set is empty fails with "The submitted information didn't contain
# changes. ..." (CloudFormation's wording): that is "nothing to change", not a failure.
NO_CHANGES = "contain changes"
# --access-level of `status` -> search_provisioned_products' AccessLevelFilter key. The API
# default (Account) is denied to end users scoped with servicecatalog:userLevel/roleLevel.
# The filter's only value is "self" (so spelled in the API reference).
ACCESS_LEVELS = {"user": "User", "role": "Role", "account": "Account"}


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    owner: str = ""
    description: str = ""

    @property
    def slug(self) -> str | None:
        return next((p.slug for p in PRODUCTS if p.name == self.name), None)


@dataclass(frozen=True)
class Version:
    id: str
    name: str
    description: str = ""
    guidance: str = "DEFAULT"
    created: str = ""

    @property
    def deprecated(self) -> bool:
        return self.guidance == DEPRECATED


@dataclass(frozen=True)
class LaunchPath:
    id: str
    name: str
    constraints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Output:
    key: str
    value: str
    description: str = ""


@dataclass(frozen=True)
class LaunchOptions:
    """What `describe_provisioning_parameters` says about one version on one path."""

    parameters: tuple[ParameterDef, ...]
    constraints: tuple[str, ...] = ()
    tag_options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    output_keys: tuple[Output, ...] = ()
    usage: str = ""


@dataclass(frozen=True)
class Target:
    """A product version to launch or update to, with the path and its options."""

    product: Product
    version: Version
    path: LaunchPath
    options: LaunchOptions


@dataclass(frozen=True)
class Record:
    id: str
    status: str
    name: str = ""
    type: str = ""
    errors: tuple[str, ...] = ()
    outputs: tuple[Output, ...] = ()


@dataclass(frozen=True)
class Provisioned:
    name: str
    id: str
    status: str
    product_id: str
    version_id: str = ""
    status_message: str = ""
    last_record_id: str = ""
    product_name: str = ""
    version_name: str = ""
    created: str = ""


@dataclass(frozen=True)
class ResourceChange:
    action: str
    logical_id: str
    resource_type: str
    replacement: str = ""
    physical_id: str = ""


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    status: str
    changes: tuple[ResourceChange, ...] = ()
    status_message: str = ""

    @property
    def unchanged(self) -> bool:
        """The plan failed only because the update would change nothing."""
        return (self.status == "CREATE_FAILED"
                and NO_CHANGES in self.status_message.casefold())


class CatalogService:
    def __init__(self, client: Any, poller: Poller, progress: Progress, *,
                 portfolio: str = PORTFOLIO_NAME) -> None:
        self._sc = client
        self._poller = poller
        self._progress = progress
        self._portfolio = portfolio  # launch path to use when a product has several
        self._products: list[Product] | None = None
        self._executed: set[str] = set()  # plans sent for execution: never deleted

    # --- products, versions, paths ----------------------------------------------------
    def products(self) -> list[Product]:
        """Every product the caller may launch (search_products has no paginator)."""
        if self._products is None:
            self._products = [_product(s) for s in self._pages_of_products()]
        return self._products

    def _pages_of_products(self) -> Iterator[Mapping[str, Any]]:
        kwargs: dict[str, Any] = {}
        while True:
            page = self._sc.search_products(**kwargs)
            yield from page.get("ProductViewSummaries", [])
            token = page.get("NextPageToken")
            if not token:
                return
            kwargs["PageToken"] = token

    def platform_products(self) -> list[Product]:
        """The portfolio's products in catalog order."""
        by_name = {p.name: p for p in self.products()}
        return [by_name[spec.name] for spec in PRODUCTS if spec.name in by_name]

    def find_product(self, ref: str) -> Product:
        """By slug (mlflow-core), console name (MLflow core) or product ID (prod-...)."""
        names = {spec.slug: spec.name for spec in PRODUCTS}
        wanted = names.get(ref, ref)
        for product in self.products():
            if ref == product.id or wanted.casefold() == product.name.casefold():
                return product
        known = ", ".join(p.slug or p.name for p in self.platform_products()) or "none"
        raise NotFoundError(
            f"product {ref!r} not found among the products you can launch (visible: {known})",
            hint="ask the platform team for access to the MLflow Platform portfolio",
        )

    def product_by_id(self, product_id: str) -> Product:
        for product in self.products():
            if product.id == product_id:
                return product
        view = self._sc.describe_product(Id=product_id)["ProductViewSummary"]
        return _product(view)

    def versions(self, product: Product) -> list[Version]:
        """Versions, oldest first; deprecated ones are marked."""
        response = self._sc.describe_product(Id=product.id)
        versions = [_version(a) for a in response.get("ProvisioningArtifacts", [])]
        return sorted(versions, key=lambda v: v.created)

    def version(self, product: Product, ref: str | None, *, launching: bool) -> Version:
        """The named version (name or pa- ID), or the newest one not deprecated."""
        versions = self.versions(product)
        if ref is None:
            usable = [v for v in versions if not v.deprecated]
            if not usable:
                raise NotFoundError(f"{product.name} has no version that can be launched")
            return usable[-1]
        found = next((v for v in versions if ref in (v.name, v.id)), None)
        if found is None:
            known = ", ".join(v.name for v in versions) or "none"
            raise NotFoundError(f"{product.name} has no version {ref!r} (versions: {known})")
        if launching and found.deprecated:
            current = [v.name for v in versions if not v.deprecated]
            raise ValidationError(
                f"version {found.name} of {product.name} is deprecated and cannot be launched",
                hint=f"launch a current version: {', '.join(current) or 'none available'}",
            )
        return found

    def launch_paths(self, product: Product) -> list[LaunchPath]:
        pages = self._sc.get_paginator("list_launch_paths").paginate(ProductId=product.id)
        return [_path(s) for page in pages for s in page.get("LaunchPathSummaries", [])]

    def launch_path(self, product: Product) -> LaunchPath:
        """The only path, or the one of the --portfolio portfolio (by name or path ID).

        A product in several portfolios has a path per portfolio, each with its own launch
        role and TagOptions, and list_launch_paths returns them in no defined order."""
        paths = self.launch_paths(product)
        if not paths:
            raise NotFoundError(f"no launch path for {product.name}: you have no access to it")
        if len(paths) == 1:
            return paths[0]
        matching = [p for p in paths if self._portfolio in (p.name, p.id)]
        if len(matching) == 1:
            return matching[0]
        listed = ", ".join(f"{p.name} ({p.id})" for p in paths)
        found = "several match" if matching else "none matches"
        raise ValidationError(
            f"{product.name} has {len(paths)} launch paths and {found} portfolio "
            f"{self._portfolio!r}: {listed}",
            hint="choose one with --portfolio NAME (or --portfolio PATH_ID)",
        )

    def options(self, product: Product, version: Version, path: LaunchPath) -> LaunchOptions:
        r = self._sc.describe_provisioning_parameters(
            ProductId=product.id, ProvisioningArtifactId=version.id, PathId=path.id)
        return LaunchOptions(
            parameters=tuple(ParameterDef.from_api(p)
                             for p in r.get("ProvisioningArtifactParameters", [])),
            constraints=tuple(_constraint(c) for c in r.get("ConstraintSummaries", [])),
            tag_options={t["Key"]: tuple(t.get("Values", [])) for t in r.get("TagOptions", [])},
            output_keys=tuple(Output(o["Key"], "", o.get("Description", ""))
                              for o in r.get("ProvisioningArtifactOutputKeys", [])),
            usage=" ".join(u.get("Value", "") for u in r.get("UsageInstructions", [])),
        )

    def target(self, ref: str, version: str | None, *, launching: bool) -> Target:
        product = self.find_product(ref)
        chosen = self.version(product, version, launching=launching)
        path = self.launch_path(product)
        return Target(product, chosen, path, self.options(product, chosen, path))

    # --- launch and records -----------------------------------------------------------
    def provision(self, target: Target, name: str, params: Mapping[str, str],
                  tags: Mapping[str, str]) -> Record:
        """Validate, then provision with an idempotency token; returns the new record."""
        values = resolve_parameters(target.options.parameters, params)
        check_tags(tags, target.options.tag_options)
        try:
            response = self._sc.provision_product(
                ProductId=target.product.id,
                ProvisioningArtifactId=target.version.id,
                PathId=target.path.id,
                ProvisionedProductName=name,
                ProvisioningParameters=[{"Key": k, "Value": v} for k, v in values.items()],
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                ProvisionToken=new_token(),
            )
        except ClientError as err:
            raise _launch_error(err, name) from None
        return _record(response["RecordDetail"])

    def wait(self, record_id: str, label: str, *, resume_hint: str) -> Record:
        """Poll the record until it ends; raise ProvisioningFailed with its reasons."""
        response = self._poller.until(
            lambda: self._sc.describe_record(Id=record_id),
            lambda r: r["RecordDetail"]["Status"],
            RECORD_DONE,
            label=label,
            resume_hint=resume_hint,
        )
        record = _record(response["RecordDetail"], self._record_outputs(record_id, response))
        if record.status == "FAILED":
            raise ProvisioningFailed(
                f"{label} failed (record {record.id})",
                reasons=list(record.errors) or ["no reason given"],
                record_id=record.id,
            )
        return record

    def _record_outputs(self, record_id: str, first: Mapping[str, Any]) -> list[Output]:
        outputs = [_output(o) for o in first.get("RecordOutputs", [])]
        token = first.get("NextPageToken")
        while token:
            page = self._sc.describe_record(Id=record_id, PageToken=token)
            outputs += [_output(o) for o in page.get("RecordOutputs", [])]
            token = page.get("NextPageToken")
        return outputs

    # --- provisioned products ---------------------------------------------------------
    def provisioned(self, name: str) -> Provisioned | None:
        try:
            detail = self._sc.describe_provisioned_product(Name=name)["ProvisionedProductDetail"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise
        return _provisioned(detail)

    def require(self, name: str) -> Provisioned:
        found = self.provisioned(name)
        if found is None:
            raise NotFoundError(f"no provisioned product named {name!r}",
                                hint="list them with: mlflow-platform status")
        return found

    def search_provisioned(self, access_level: str = "user") -> list[Provisioned]:
        """Provisioned products of this platform's products: by default the caller's own
        (user), or those of the caller's role, or the account's."""
        names = {spec.name for spec in PRODUCTS}
        found: list[Provisioned] = []
        kwargs: dict[str, Any] = {
            "AccessLevelFilter": {"Key": ACCESS_LEVELS[access_level], "Value": "self"},
            "SortBy": "name", "SortOrder": "ASCENDING"}
        while True:
            page = self._sc.search_provisioned_products(**kwargs)
            found += [_provisioned(p) for p in page.get("ProvisionedProducts", [])
                      if p.get("ProductName") in names]
            token = page.get("NextPageToken")
            if not token:
                return found
            kwargs["PageToken"] = token

    def outputs(self, name: str) -> list[Output]:
        outputs: list[Output] = []
        kwargs: dict[str, Any] = {"ProvisionedProductName": name}
        while True:
            page = self._sc.get_provisioned_product_outputs(**kwargs)
            outputs += [_output(o) for o in page.get("Outputs", [])]
            token = page.get("NextPageToken")
            if not token:
                return outputs
            kwargs["PageToken"] = token

    def terminate(self, name: str) -> Record:
        try:
            response = self._sc.terminate_provisioned_product(
                ProvisionedProductName=name, TerminateToken=new_token())
        except ClientError as err:
            raise self._state_error(err, name) from None
        return _record(response["RecordDetail"])

    def _state_error(self, err: ClientError, name: str) -> Exception:
        """InvalidStateException: a change started since we looked; name its record."""
        if error_code(err) != "InvalidStateException":
            return err
        try:
            current = self.provisioned(name)
        except (ClientError, BotoCoreError):
            current = None
        return change_in_progress(name, current.last_record_id if current else "")

    # --- updates through a plan ---------------------------------------------------------
    @contextmanager
    def update_plan(self, current: Provisioned, target: Target, params: Mapping[str, str],
                    previous: Sequence[str]) -> Iterator[Plan]:
        """Create an update plan and wait for it; delete it on leaving unless executed.

        A plan left behind keeps its CloudFormation change set: whatever ends the block
        (a failed or empty plan, Ctrl-C, a timeout, a declined confirmation, a rejected
        execution) deletes it. Only `execute_plan` keeps it.
        """
        plan_id = self._create_plan(current, target, params, previous)
        try:
            yield self._wait_plan_or_explain(plan_id, current.name)
        finally:
            if plan_id not in self._executed:
                self.delete_plan(plan_id)

    def _create_plan(self, current: Provisioned, target: Target,
                     params: Mapping[str, str], previous: Sequence[str]) -> str:
        """Plan an update; parameters not given keep their previous value."""
        values = resolve_parameters(target.options.parameters, params, previous=previous)
        keys = {d.key for d in target.options.parameters}
        update = [{"Key": k, "Value": v} for k, v in values.items()] + [
            {"Key": k, "UsePreviousValue": True} for k in previous if k in keys and k not in values
        ]
        try:
            response = self._sc.create_provisioned_product_plan(
                PlanName=f"mlflow-platform-{current.name}-{target.version.name}"[:128],
                PlanType="CLOUDFORMATION",
                ProductId=target.product.id,
                ProvisionedProductName=current.name,
                ProvisioningArtifactId=target.version.id,
                PathId=target.path.id,
                ProvisioningParameters=update,
                IdempotencyToken=new_token(),
            )
        except ClientError as err:
            raise self._state_error(err, current.name) from None
        return str(response["PlanId"])

    def _wait_plan_or_explain(self, plan_id: str, name: str) -> Plan:
        # The poller's messages say the change continues in AWS; for a plan that is
        # about to be deleted, the truth is that nothing was changed.
        try:
            return self.wait_plan(plan_id, name)
        except Interrupted:
            raise Interrupted(f"interrupted while planning the update of {name}; nothing "
                              "was changed", hint="the plan is deleted") from None
        except WaitTimeout:
            raise WaitTimeout(f"gave up waiting for the update plan of {name}; nothing was "
                              "changed", hint="the plan is deleted; run the update again "
                              "(or raise --wait-timeout)") from None

    def wait_plan(self, plan_id: str, name: str) -> Plan:
        """The finished plan; an empty one (`unchanged`) is returned, any other failure
        raised. Deleting it is the caller's job (`update_plan` does it)."""
        response = self._poller.until(
            lambda: self._sc.describe_provisioned_product_plan(PlanId=plan_id),
            lambda r: r["ProvisionedProductPlanDetails"]["Status"],
            PLAN_DONE,
            label=f"plan for {name}",
            resume_hint="nothing was changed; run the update again",
        )
        plan = _plan(response, self._plan_changes(plan_id, response))
        if plan.status == "CREATE_FAILED" and not plan.unchanged:
            raise ProvisioningFailed(f"the update plan for {name} failed",
                                     reasons=[plan.status_message or "no reason given"])
        return plan

    def _plan_changes(self, plan_id: str, first: Mapping[str, Any]) -> list[ResourceChange]:
        changes = [_change(c) for c in first.get("ResourceChanges", [])]
        token = first.get("NextPageToken")
        while token:
            page = self._sc.describe_provisioned_product_plan(PlanId=plan_id, PageToken=token)
            changes += [_change(c) for c in page.get("ResourceChanges", [])]
            token = page.get("NextPageToken")
        return changes

    def execute_plan(self, plan: Plan, name: str) -> Record:
        # Marked before the call: once the request may have reached AWS (Ctrl-C during
        # it), the update may be running and its plan must stay.
        self._executed.add(plan.id)
        try:
            response = self._sc.execute_provisioned_product_plan(
                PlanId=plan.id, IdempotencyToken=new_token())
        except ClientError as err:
            self._executed.discard(plan.id)  # rejected: nothing runs, delete the plan
            raise self._state_error(err, name) from None
        return _record(response["RecordDetail"])

    def delete_plan(self, plan_id: str) -> None:
        """Delete a plan not executed. Called while another error may be on its way to
        the user: a failure here is reported, never raised in its place."""
        try:
            self._sc.delete_provisioned_product_plan(PlanId=plan_id, IgnoreErrors=True)
        except (ClientError, BotoCoreError) as err:
            self._progress(f"warning: could not delete the update plan {plan_id} ({err}); "
                           "delete it in the Service Catalog console")


def change_in_progress(name: str, record_id: str) -> ChangeInProgress:
    record = f"record {record_id}" if record_id else "record unknown"
    return ChangeInProgress(f"{name} is being changed ({record}); wait for it or run status",
                            hint=f"follow it with: mlflow-platform status {name}")


def new_token() -> str:
    """A fresh idempotency token: a retried call with it cannot provision twice."""
    return str(uuid.uuid4())


def _launch_error(err: ClientError, name: str) -> Exception:
    code = error_code(err)
    if code == "DuplicateResourceException":
        return ValidationError(f"a provisioned product named {name!r} already exists",
                               hint="pick another name, or update it: mlflow-platform update")
    if code == "InvalidParametersException":
        return ValidationError(f"Service Catalog rejected the launch: {error_message(err)}")
    return err


# --- response shapes to domain objects -----------------------------------------------
def _product(s: Mapping[str, Any]) -> Product:
    return Product(s["ProductId"], s.get("Name", ""), s.get("Owner", ""),
                   s.get("ShortDescription", ""))


def _version(a: Mapping[str, Any]) -> Version:
    return Version(a["Id"], a.get("Name", a["Id"]), a.get("Description", ""),
                   a.get("Guidance", "DEFAULT"), str(a.get("CreatedTime", "")))


def _path(s: Mapping[str, Any]) -> LaunchPath:
    return LaunchPath(s["Id"], s.get("Name", ""),
                      tuple(_constraint(c) for c in s.get("ConstraintSummaries", [])))


def _constraint(c: Mapping[str, Any]) -> str:
    return f"{c.get('Type', '')}: {c.get('Description', '')}".strip(": ")


def _output(o: Mapping[str, Any]) -> Output:
    return Output(o.get("OutputKey", ""), o.get("OutputValue", ""), o.get("Description", ""))


def _record(d: Mapping[str, Any], outputs: Sequence[Output] = ()) -> Record:
    return Record(
        id=d["RecordId"],
        status=d.get("Status", ""),
        name=d.get("ProvisionedProductName", ""),
        type=d.get("RecordType", ""),
        errors=tuple(f"{e.get('Code', '')}: {e.get('Description', '')}".strip(": ")
                     for e in d.get("RecordErrors", [])),
        outputs=tuple(outputs),
    )


def _provisioned(d: Mapping[str, Any]) -> Provisioned:
    return Provisioned(
        name=d.get("Name", ""),
        id=d.get("Id", ""),
        status=d.get("Status", ""),
        product_id=d.get("ProductId", ""),
        version_id=d.get("ProvisioningArtifactId", ""),
        status_message=d.get("StatusMessage", ""),
        last_record_id=d.get("LastRecordId", ""),
        product_name=d.get("ProductName", ""),
        version_name=d.get("ProvisioningArtifactName", ""),
        created=str(d.get("CreatedTime", "")),
    )


def _change(c: Mapping[str, Any]) -> ResourceChange:
    return ResourceChange(c.get("Action", ""), c.get("LogicalResourceId", ""),
                          c.get("ResourceType", ""), c.get("Replacement", ""),
                          c.get("PhysicalResourceId", ""))


def _plan(r: Mapping[str, Any], changes: Sequence[ResourceChange]) -> Plan:
    d = r["ProvisionedProductPlanDetails"]
    return Plan(d["PlanId"], d.get("PlanName", ""), d["Status"], tuple(changes),
                d.get("StatusMessage", ""))
