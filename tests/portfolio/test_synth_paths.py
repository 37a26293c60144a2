"""`python app.py`, `cdk synth` and the test fixture publish identical product templates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_platform.catalog import PRODUCTS
from portfolio.app import ROOT
from tests.conftest import Synth

CDK = ROOT / "node_modules" / ".bin" / "cdk"


def _env(outdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDK_")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDK_OUTDIR"] = str(outdir)
    return env


def _product_files(outdir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(outdir.glob("*.product.template.json"))}


def _assert_same_products(synth: Synth, outdir: Path) -> None:
    produced = _product_files(outdir)
    assert len(produced) == len(PRODUCTS)
    for spec in PRODUCTS:
        path = synth.product_path(spec.slug)
        assert produced[path.name] == path.read_bytes(), spec.slug


@pytest.mark.slow
def test_python_app_py_matches_the_fixture(synth: Synth, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=_env(tmp_path), check=True,
                   capture_output=True)
    _assert_same_products(synth, tmp_path)


@pytest.mark.slow
def test_cdk_synth_matches_the_fixture(synth: Synth, tmp_path: Path) -> None:
    if not CDK.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the CDK CLI is missing: run `make setup`")
        pytest.skip("the CDK CLI is not installed (make setup installs it)")
    env = _env(tmp_path)
    env.pop("CDK_OUTDIR")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    subprocess.run([str(CDK), "synth", "--quiet", "--output", str(tmp_path)], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    _assert_same_products(synth, tmp_path)
    assert shutil.which("node")
