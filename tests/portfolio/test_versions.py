"""Version history: locked snapshots, released versions, deprecation."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

import portfolio.app
import portfolio.stack
from mlflow_platform import catalog
from mlflow_platform.catalog import MLFLOW_CORE, Version
from portfolio.app import SNAPSHOT_DIR, build_app
from tests.conftest import make_context


def _use_products(monkeypatch: pytest.MonkeyPatch, products: tuple) -> None:
    monkeypatch.setattr(portfolio.stack, "PRODUCTS", products)
    monkeypatch.setattr(portfolio.app, "PRODUCTS", products)


def _locked(spec: catalog.ProductSpec) -> catalog.ProductSpec:
    versions = (*spec.released, dataclasses.replace(spec.current, locked=True))
    return dataclasses.replace(spec, versions=versions)


def _synth(tmp: Path, snapshots: Path, **overrides) -> dict:
    if not snapshots.exists():
        # The released versions' committed snapshots; the current ones are written here.
        released = {f"*.{v.name}.product.template.json"
                    for p in catalog.PRODUCTS for v in p.released}
        snapshots.mkdir(parents=True)
        for pattern in released:
            for path in SNAPSHOT_DIR.glob(pattern):
                shutil.copy(path, snapshots / path.name)
    app, stack = build_app(make_context(**overrides), outdir=str(tmp / "out"),
                           snapshot_dir=snapshots)
    app.synth()
    return json.loads((tmp / "out" / stack.template_file).read_text())


def _core_snapshot(snapshots: Path, version: str) -> Path:
    (path,) = snapshots.glob(f"*MlflowCoreHistory*.{version}.product.template.json")
    return path


def test_changing_a_locked_versions_template_stops_synth(tmp_path, monkeypatch) -> None:
    snapshots = tmp_path / "snapshots"
    _synth(tmp_path, snapshots)  # writes fresh snapshots of the current versions
    _use_products(monkeypatch, tuple(_locked(p) for p in catalog.PRODUCTS))
    _synth(tmp_path, snapshots)  # unchanged: a locked version synthesizes fine
    snapshot = _core_snapshot(snapshots, MLFLOW_CORE.current.name)
    released = json.loads(snapshot.read_text())
    released["Description"] = "what was deployed before the code changed"
    snapshot.write_text(json.dumps(released))
    with pytest.raises(RuntimeError, match="TemplateChangedForLockedVersion"):
        _synth(tmp_path, snapshots)


def _with_released_v0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    snapshots = tmp_path / "snapshots"
    _synth(tmp_path, snapshots)
    current = _core_snapshot(snapshots, MLFLOW_CORE.current.name)
    shutil.copy(current, str(current).replace(f".{MLFLOW_CORE.current.name}.", ".v0."))
    core = dataclasses.replace(
        MLFLOW_CORE, versions=(Version("v0", "The release before v1."), *MLFLOW_CORE.versions))
    products = tuple(core if p.slug == core.slug else p for p in catalog.PRODUCTS)
    _use_products(monkeypatch, products)
    return snapshots


def test_released_versions_are_served_from_snapshots_with_their_own_description(
    tmp_path, monkeypatch
) -> None:
    snapshots = _with_released_v0(tmp_path, monkeypatch)
    template = _synth(tmp_path, snapshots, deprecatedVersions={})
    (core,) = [r["Properties"] for r in template["Resources"].values()
               if r["Type"] == "AWS::ServiceCatalog::CloudFormationProduct"
               and r["Properties"]["Name"] == MLFLOW_CORE.name]
    versions = [(v["Name"], v["Description"]) for v in core["ProvisioningArtifactParameters"]]
    assert versions == [("v0", "The release before v1."),
                        *((v.name, v.description) for v in MLFLOW_CORE.versions)]
    assert len({d for _, d in versions}) == len(versions)  # each its own description
    assert not any(r["Type"] == "Custom::AWS" and "updateProvisioningArtifact" in json.dumps(r)
                   for r in template["Resources"].values())


def test_a_deprecated_version_gets_guidance_deprecated(tmp_path, monkeypatch) -> None:
    snapshots = _with_released_v0(tmp_path, monkeypatch)
    template = _synth(tmp_path, snapshots, deprecatedVersions={"mlflow-core": ["v0"]})
    calls = [json.dumps(r["Properties"]) for r in template["Resources"].values()
             if r["Type"] == "Custom::AWS"]
    # v0's ID lookup, shared with the self-service action associations (v1 has its own).
    lookup = [c for c in calls if "describeProvisioningArtifact" in c
              and '\\"ProvisioningArtifactName\\":\\"v0\\"' in c]
    update = [c for c in calls if "updateProvisioningArtifact" in c]
    assert len(lookup) == 1 and '\\"ProvisioningArtifactName\\":\\"v0\\"' in lookup[0]
    assert len(update) == 1
    assert '\\"Guidance\\":\\"DEPRECATED\\"' in update[0]
    # Removing the deprecation later restores normal guidance.
    assert '\\"Guidance\\":\\"DEFAULT\\"' in update[0]


def test_only_the_current_version_may_be_unlocked() -> None:
    with pytest.raises(ValueError, match="only the current"):
        dataclasses.replace(MLFLOW_CORE, versions=(Version("v0", "x", locked=False),
                                                   Version("v1", "y")))


def test_the_shipped_configuration_deprecates_every_v1(synth) -> None:
    """v1 of each product fails on AWS (core: host names matched case-sensitively; notebook:
    a split dynamic reference and no outbound HTTPS; private API: reserved concurrency that
    new accounts cannot give): cdk.json deprecates them, so nobody launches one."""
    calls = [json.dumps(r["Properties"]) for r in synth.portfolio_json()["Resources"].values()
             if r["Type"] == "Custom::AWS" and "updateProvisioningArtifact" in json.dumps(r)]
    assert len(calls) == len(catalog.PRODUCTS)
    assert all('\\"Guidance\\":\\"DEPRECATED\\"' in c for c in calls)
    from portfolio.app import cdk_json_context

    shipped = cdk_json_context()["mlflow-platform"]["deprecatedVersions"]
    assert shipped == {p.slug: ["v1"] for p in catalog.PRODUCTS}
