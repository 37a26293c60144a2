"""The catalog printout shows what a console user meets, read from the synthesized output."""

from __future__ import annotations

import json

from mlflow_platform.catalog import MLFLOW_CORE, PRODUCTS
from products.mlflow_core.parameters import PARAMETERS as CORE_PARAMETERS
from scripts import show_catalog
from tests.conftest import Synth


def test_catalog_lists_products_versions_parameters_and_rules(synth: Synth) -> None:
    catalog = show_catalog.load_catalog(synth.outdir)
    assert catalog["portfolio"] == "MLflow Platform"
    assert [p["name"] for p in catalog["products"]] == [p.name for p in PRODUCTS]
    core = catalog["products"][0]
    assert [v["name"] for v in core["versions"]] == [v.name for v in MLFLOW_CORE.versions]
    params = {p["name"]: p for p in core["versions"][-1]["parameters"]}
    assert set(params) == {s.name for s in CORE_PARAMETERS}
    profile = params["Profile"]
    assert profile["label"] == "Profile" and profile["allowed_values"] == ["dev", "prod"]
    assert profile["default"] == "dev" and profile["group"] == "Deployment"
    assert any("at most 4 tasks" in r for r in core["launch_rules"])


def test_text_and_json_output(synth: Synth, capsys) -> None:
    assert show_catalog.main(["--cdk-out", str(synth.outdir)]) == 0
    text = capsys.readouterr().out
    assert "== MLflow core ==" in text and "Deployment name (DeploymentName)" in text
    assert "required" in text  # DeploymentName has no default
    assert show_catalog.main(["--cdk-out", str(synth.outdir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["products"][2]["name"] == "MLflow notebook"


def test_deprecated_versions_are_marked(synth: Synth, capsys) -> None:
    # The shipped cdk.json deprecates every v1 (tests/portfolio/test_versions.py says why).
    catalog = show_catalog.load_catalog(synth.outdir)
    marks = {(p["name"], v["name"]): v["deprecated"]
             for p in catalog["products"] for v in p["versions"]}
    assert marks == {(p.name, v.name): v.name == "v1" for p in PRODUCTS for v in p.versions}
    assert show_catalog.main(["--cdk-out", str(synth.outdir)]) == 0
    text = capsys.readouterr().out
    assert text.count("[DEPRECATED: no new launches]") == len(PRODUCTS)
    assert "Version v2 [DEPRECATED" not in text


def test_missing_synth_output_is_a_clear_error(tmp_path, capsys) -> None:
    assert show_catalog.main(["--cdk-out", str(tmp_path)]) == 2
    assert "make synth" in capsys.readouterr().err
