"""Command handlers: parsed arguments in, a `View` out. The work is in the services."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mlflow_platform import contract
from mlflow_platform.catalog import MLFLOW_CORE, PORTFOLIO_NAME

from .aws import Clients
from .catalog_service import (
    CatalogService,
    Output,
    Plan,
    Provisioned,
    Record,
    Target,
    Version,
    change_in_progress,
)
from .connection import ConnectionService
from .deployment import COMPONENTS, RETAINED, DeploymentService, Step, component
from .deployment import split_component_params as split_params
from .errors import Aborted, Interrupted, NotFoundError, ValidationError
from .output import Renderer, Table, View, shell_exports
from .parameters import load_params_file, masked, parse_pairs
from .polling import Poller

# Service Catalog's rule for provisioned product names.
PROVISIONED_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}")
# Table columns that may be cut short: prose, never values people copy.
PROSE = frozenset({"description", "message"})


@dataclass
class Context:
    clients: Clients
    renderer: Renderer
    poller: Poller
    confirm: Callable[[str], bool]
    portfolio: str = PORTFOLIO_NAME

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.clients.servicecatalog, self.poller, self.renderer.progress,
                              portfolio=self.portfolio)

    @cached_property
    def connection(self) -> ConnectionService:
        return ConnectionService(self.clients.ssm, self.clients.secretsmanager,
                                 self.clients.region)

    @cached_property
    def deployments(self) -> DeploymentService:
        return DeploymentService(self.catalog, self.connection, self.renderer.progress)


Handler = Callable[[argparse.Namespace, Context], View]


# --- products and describe ---------------------------------------------------------------
def products(args: argparse.Namespace, ctx: Context) -> View:
    found = ctx.catalog.platform_products()
    if not found:
        raise NotFoundError("no MLflow Platform products are visible to you here",
                            hint="check --profile/--region, or ask for portfolio access")
    data, rows = [], []
    for product in found:
        versions = ctx.catalog.versions(product)
        paths = ctx.catalog.launch_paths(product)
        default = next((v.id for v in reversed(versions) if not v.deprecated), None)
        data.append({**_product_data(product), "versions": [
            {**_version_data(v), "default": v.id == default} for v in versions],
            "launch_paths": [{"id": p.id, "portfolio": p.name,
                              "constraints": list(p.constraints)} for p in paths]})
        rows += [[product.slug or product.name, v.name, _guidance(v, default), v.description,
                  ", ".join(p.name for p in paths)] for v in versions]
    table = Table(("product", "version", "status", "description", "launch paths"), rows,
                  shorten=PROSE)
    return View(data, [table])


def describe(args: argparse.Namespace, ctx: Context) -> View:
    target = ctx.catalog.target(args.product, args.version, launching=False)
    o = target.options
    params = [{"key": d.key, "type": d.type, "default": d.default, "required": d.required,
               "no_echo": d.no_echo, "accepted": d.constraint_text(),
               "allowed_values": list(d.allowed_values), "allowed_pattern": d.allowed_pattern,
               "description": d.description} for d in o.parameters]
    data = {**_product_data(target.product), "version": _version_data(target.version),
            "launch_path": {"id": target.path.id, "portfolio": target.path.name},
            "parameters": params, "constraints": list(o.constraints),
            "tag_options": {k: list(v) for k, v in o.tag_options.items()},
            "outputs": [{"key": x.key, "description": x.description} for x in o.output_keys],
            "usage": o.usage}
    tables = [
        Table(("parameter", "default", "accepted", "description"),
              [[d.key, "(required)" if d.required else d.default or '""', d.constraint_text(),
                d.description] for d in o.parameters],
              title=f"{target.product.name} {target.version.name} parameters", shorten=PROSE),
        Table(("output", "description"), [[x.key, x.description] for x in o.output_keys],
              title="outputs", shorten=PROSE),
    ]
    if o.constraints:
        tables.append(Table(("constraint",), [[c] for c in o.constraints], title="constraints"))
    if o.tag_options:
        tables.append(Table(("tag", "allowed values"),
                            [[k, ", ".join(v)] for k, v in o.tag_options.items()],
                            title="tag options"))
    notes = [f"version {target.version.name} is deprecated: it cannot be launched"
             ] if target.version.deprecated else []
    return View(data, tables, notes=notes)


# --- launch ------------------------------------------------------------------------------
def launch(args: argparse.Namespace, ctx: Context) -> View:
    _check_provisioned_name(args.name)
    params = {**(load_params_file(args.params_file) if args.params_file else {}),
              **parse_pairs(args.param, "parameter")}
    tags = parse_pairs(args.tag, "tag")
    target = ctx.catalog.target(args.product, args.version, launching=True)
    record = ctx.catalog.provision(target, args.name, params, tags)
    ctx.renderer.progress(f"{args.name}: launching {target.product.name} "
                          f"{target.version.name} (record {record.id})")
    record = ctx.catalog.wait(record.id, args.name, resume_hint=_follow(args.name))
    data = {"provisioned_product": args.name, **_target_data(target),
            "parameters": masked(target.options.parameters, params), **_record_data(record)}
    return View(data, [_outputs_table(record.outputs, args.name)])


# --- up and down -------------------------------------------------------------------------
def up(args: argparse.Namespace, ctx: Context) -> View:
    skip = [component(s).slug for s in args.skip]
    if MLFLOW_CORE.slug in skip:
        raise ValidationError("MLflow core cannot be skipped: the other products need it")
    steps = ctx.deployments.up(args.name, params=split_params(parse_pairs(args.param, "parameter")),
                               tags=parse_pairs(args.tag, "tag"), skip=skip)
    data = {"deployment": args.name, "components": [_step_data(s) for s in steps]}
    tables = [_steps_table(steps)] + [_outputs_table(s.outputs, s.name) for s in steps]
    return View(data, tables, notes=[f'connect with: eval "$(mlflow-platform env {args.name})"'])


def down(args: argparse.Namespace, ctx: Context) -> View:
    existing = ctx.deployments.existing(_deployment(args.name))
    if not existing:
        raise NotFoundError(f"deployment {args.name!r} has no provisioned products")
    names = ", ".join(p.name for p in reversed(existing))
    _confirm(ctx, args, f"Terminate {names}?")
    steps, retained = ctx.deployments.down(args.name)
    data = {"deployment": args.name, "components": [_step_data(s) for s in steps],
            "retained": retained}
    return View(data, [_steps_table(steps)],
                text=["Retained (delete them yourself when no longer needed):"]
                + [f"  - {r}" for r in retained])


# --- status, outputs, update, terminate --------------------------------------------------
def status(args: argparse.Namespace, ctx: Context) -> View:
    found = ctx.catalog.search_provisioned(args.access_level)
    if args.name:
        wanted = {args.name} | {c.provisioned_name(args.name) for c in COMPONENTS}
        found = [p for p in found if p.name in wanted]
        if not found:
            raise NotFoundError(f"nothing provisioned named {args.name!r} or {args.name}-*")
    rows = [[p.name, p.product_name, p.version_name, p.status, p.status_message, p.created]
            for p in found]
    table = Table(("name", "product", "version", "status", "message", "created"), rows,
                  shorten=PROSE)
    return View([_provisioned_data(p) for p in found], [table])


def outputs(args: argparse.Namespace, ctx: Context) -> View:
    names = [args.name] if ctx.catalog.provisioned(args.name) else _component_names(ctx,
                                                                                  args.name)
    result = {name: ctx.catalog.outputs(name) for name in names}
    data = {name: {o.key: o.value for o in outs} for name, outs in result.items()}
    return View(data, [_outputs_table(outs, name) for name, outs in result.items()])


def _component_names(ctx: Context, name: str) -> list[str]:
    try:
        contract.validate_deployment_name(name)
    except ValueError:
        raise NotFoundError(f"no provisioned product named {name!r}") from None
    names = [p.name for p in ctx.deployments.existing(name)]
    if not names:
        raise NotFoundError(f"no provisioned product or deployment named {name!r}",
                            hint="list them with: mlflow-platform status")
    return names


def update(args: argparse.Namespace, ctx: Context) -> View:
    current = ctx.catalog.require(args.name)
    _check_not_changing(current)
    target, previous = _update_target(ctx, current, args.version)
    params = {**(load_params_file(args.params_file) if args.params_file else {}),
              **parse_pairs(args.param, "parameter")}
    # The plan is deleted on every way out of this block unless it was executed.
    with ctx.catalog.update_plan(current, target, params, previous) as plan:
        if plan.unchanged:
            return _unchanged_view(args.name, target)
        _confirm_plan(ctx, args, plan)
        record = ctx.catalog.execute_plan(plan, args.name)
    ctx.renderer.progress(f"{args.name}: updating to {target.version.name} (record {record.id})")
    record = ctx.catalog.wait(record.id, args.name, resume_hint=_follow(args.name))
    data = {"provisioned_product": args.name, **_target_data(target),
            "changes": [_change_data(c) for c in plan.changes], **_record_data(record)}
    return View(data, [_outputs_table(record.outputs, args.name)])


def _confirm_plan(ctx: Context, args: argparse.Namespace, plan: Plan) -> None:
    ctx.renderer.preview(_changes_table(plan))
    try:
        _confirm(ctx, args, f"Apply {len(plan.changes)} change(s) to {args.name}?")
    except Aborted as err:
        raise err.with_hint("nothing was changed; the plan was deleted") from None
    except KeyboardInterrupt:
        raise Interrupted("interrupted before the update; nothing was changed",
                          hint="the plan is deleted") from None


def _unchanged_view(name: str, target: Target) -> View:
    data = {"provisioned_product": name, **_target_data(target), "changes": [],
            "status": "UNCHANGED", "record_id": None, "outputs": {}}
    return View(data, text=[f"{name}: nothing to change (the plan was deleted)"])


def _check_not_changing(current: Provisioned) -> None:
    """Service Catalog refuses a change of a product UNDER_CHANGE (InvalidStateException)."""
    if current.status == "UNDER_CHANGE":
        raise change_in_progress(current.name, current.last_record_id)


def _update_target(ctx: Context, current: Provisioned, version: str) -> tuple[Target, list[str]]:
    product = ctx.catalog.product_by_id(current.product_id)
    chosen = ctx.catalog.version(product, version, launching=False)
    if chosen.deprecated:
        ctx.renderer.progress(f"warning: version {chosen.name} is deprecated")
    path = ctx.catalog.launch_path(product)
    old = ctx.catalog.options(product, Version(current.version_id, current.version_id), path)
    target = Target(product, chosen, path, ctx.catalog.options(product, chosen, path))
    return target, [d.key for d in old.parameters]


def terminate(args: argparse.Namespace, ctx: Context) -> View:
    current = ctx.catalog.require(args.name)
    _check_not_changing(current)
    # Looked up before terminating: once it is gone, a failed lookup must not turn a
    # successful termination into an error.
    is_core, notes = _is_core(ctx, current)
    _confirm(ctx, args, f"Terminate {args.name}?")
    record = ctx.deployments.terminate(args.name, resume_hint=_follow(args.name))
    retained = [r.format(bucket="") for r in RETAINED] if is_core else []
    data = {"provisioned_product": args.name, **_record_data(record), "retained": retained}
    text = ["Retained (delete them yourself when no longer needed):"] + [
        f"  - {r}" for r in retained] if retained else [f"{args.name}: terminated"]
    return View(data, text=text, notes=notes)


def _is_core(ctx: Context, current: Provisioned) -> tuple[bool, list[str]]:
    """Whether it is an MLflow core (its data survives termination), with a note when its
    product cannot be read (e.g. no longer in your portfolios): that must not block it."""
    try:
        return ctx.catalog.product_by_id(current.product_id).slug == MLFLOW_CORE.slug, []
    except (ClientError, BotoCoreError):
        return False, [f"could not look up the product of {current.name}; if it is an "
                       "MLflow core, its S3 artifact bucket and a final database snapshot "
                       "are retained"]


# --- env ---------------------------------------------------------------------------------
def env(args: argparse.Namespace, ctx: Context) -> View:
    environment = ctx.connection.environment(_deployment(args.name))
    header = f"# MLflow Platform deployment {args.name} ({ctx.clients.region or 'default region'})"
    return View({"set": environment.set, "unset": environment.unset},
                text=[header, *shell_exports(environment.set, environment.unset)],
                notes=environment.notes)


# --- helpers -----------------------------------------------------------------------------
def _confirm(ctx: Context, args: argparse.Namespace, question: str) -> None:
    if getattr(args, "yes", False) or ctx.confirm(question):
        return
    raise Aborted("not confirmed", hint="answer y at the prompt, or pass --yes in scripts")


def _deployment(name: str) -> str:
    try:
        return contract.validate_deployment_name(name)
    except ValueError as err:
        raise ValidationError(str(err)) from None


def _check_provisioned_name(name: str) -> None:
    if not PROVISIONED_NAME.fullmatch(name):
        raise ValidationError(f"invalid provisioned product name {name!r}: 1-128 letters, "
                              "digits, '.', '_' or '-', starting with a letter or digit")


def _follow(name: str) -> str:
    return (f"follow it with: mlflow-platform status {name}; "
            f"then: mlflow-platform outputs {name}")


def _guidance(v: Version, default: str | None) -> str:
    if v.deprecated:
        return "deprecated"
    return "default" if v.id == default else "available"


def _outputs_table(outs: Sequence[Output], name: str) -> Table:
    return Table(("output", "value", "description"),
                 [[o.key, o.value, o.description] for o in outs], title=f"{name} outputs",
                 shorten=PROSE)


def _steps_table(steps: Sequence[Step]) -> Table:
    return Table(("product", "provisioned product", "action", "status", "record"),
                 [[s.slug, s.name, s.action, s.status, s.record_id] for s in steps])


def _changes_table(plan: Plan) -> Table:
    return Table(("action", "resource", "type", "replacement"),
                 [[c.action, c.logical_id, c.resource_type, c.replacement]
                  for c in plan.changes], title=f"planned changes ({plan.name})")


def _product_data(p: Any) -> dict[str, Any]:
    return {"product": p.slug, "name": p.name, "id": p.id, "owner": p.owner,
            "description": p.description}


def _version_data(v: Version) -> dict[str, Any]:
    return {"name": v.name, "id": v.id, "description": v.description,
            "deprecated": v.deprecated}


def _target_data(t: Target) -> dict[str, Any]:
    return {"product": t.product.slug or t.product.name, "product_id": t.product.id,
            "version": t.version.name}


def _record_data(r: Record) -> dict[str, Any]:
    return {"record_id": r.id, "status": r.status, "outputs": {o.key: o.value for o in r.outputs}}


def _step_data(s: Step) -> dict[str, Any]:
    return {"product": s.slug, "provisioned_product": s.name, "action": s.action,
            "status": s.status, "record_id": s.record_id,
            "outputs": {o.key: o.value for o in s.outputs}}


def _provisioned_data(p: Provisioned) -> dict[str, Any]:
    return {"name": p.name, "id": p.id, "product": p.product_name, "version": p.version_name,
            "status": p.status, "message": p.status_message, "created": p.created,
            "last_record_id": p.last_record_id}


def _change_data(c: Any) -> dict[str, Any]:
    return {"action": c.action, "resource": c.logical_id, "type": c.resource_type,
            "replacement": c.replacement}


COMMANDS: dict[str, Handler] = {
    "products": products, "describe": describe, "launch": launch, "up": up, "down": down,
    "status": status, "outputs": outputs, "update": update, "terminate": terminate, "env": env,
}
