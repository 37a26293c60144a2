"""The CLI through its entry point: exit codes and both output formats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlflow_platform.cli.aws import Clients
from mlflow_platform.cli.main import main

from .conftest import PRODUCT_IDS, CatalogStub, add_secret, publish

ROOT = Path(__file__).resolve().parents[2]


def _products(sc: CatalogStub) -> None:
    sc.search_products()
    for slug, versions in (("mlflow-core", [("v1", "DEPRECATED"), ("v2", "DEFAULT")]),
                           ("private-api", [("v1", "DEFAULT")]), ("notebook", [("v1", "DEFAULT")])):
        sc.describe_product(slug, versions)
        sc.launch_paths(slug)


def test_products_json_marks_deprecated_versions(run_cli: Any, sc: CatalogStub) -> None:
    _products(sc)
    run = run_cli("products", "--output", "json")
    assert run.code == 0
    core = run.json()[0]
    assert core["product"] == "mlflow-core"
    assert [(v["name"], v["deprecated"], v["default"]) for v in core["versions"]] == [
        ("v1", True, False), ("v2", False, True)]
    assert core["launch_paths"][0]["portfolio"] == "MLflow Platform"


def test_products_table(run_cli: Any, sc: CatalogStub) -> None:
    _products(sc)
    run = run_cli("-o", "table", "products")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split()[:3] == ["PRODUCT", "VERSION", "STATUS"]
    assert lines[1].split()[:3] == ["mlflow-core", "v1", "deprecated"]
    assert lines[2].split()[:3] == ["mlflow-core", "v2", "default"]


def test_no_visible_products_exits_3(run_cli: Any, sc: CatalogStub) -> None:
    sc.search_products([])
    run = run_cli("products", "-o", "json")
    assert run.code == 3
    assert run.json()["error"]["type"] == "not_found"


def test_describe_shows_parameters_and_outputs(run_cli: Any, sc: CatalogStub) -> None:
    sc.search_products()
    sc.target("notebook")
    run = run_cli("describe", "notebook", "-o", "json")
    assert run.code == 0
    doc = run.json()
    params = {p["key"]: p for p in doc["parameters"]}
    assert params["DeploymentName"]["required"] is True
    assert params["InstanceType"]["default"] == "ml.t3.medium"
    assert doc["outputs"] == [{"key": "TrackingUrl", "description": "tracking URL"}]
    sc.search_products()
    sc.target("notebook")
    table = run_cli("describe", "notebook")
    assert table.code == 0 and "(required)" in table.out and "ml.t3.medium" in table.out


def test_launch_json_prints_outputs(run_cli: Any, sc: CatalogStub, tmp_path: Path) -> None:
    params_file = tmp_path / "p.json"
    params_file.write_text('{"DeploymentName": "demo", "Profile": "dev"}')
    sc.search_products()
    sc.target("mlflow-core")
    sc.provision("mlflow-core", "demo-core", {"DeploymentName": "demo", "Profile": "prod"},
                 "rec-1", tags={"team": "ml"})
    sc.record("rec-1", "demo-core", "IN_PROGRESS")
    sc.record("rec-1", "demo-core", "SUCCEEDED", outputs={"TrackingUrl": "http://alb"})
    run = run_cli("launch", "mlflow-core", "demo-core", "--params-file", str(params_file),
                  "--param", "Profile=prod", "--tag", "team=ml", "-o", "json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["outputs"] == {"TrackingUrl": "http://alb"}
    assert doc["status"] == "SUCCEEDED" and doc["record_id"] == "rec-1"
    assert "demo-core: IN_PROGRESS" in run.err


def test_launch_failure_exits_4_with_the_reason(run_cli: Any, sc: CatalogStub) -> None:
    sc.search_products()
    sc.target("notebook")
    sc.provision("notebook", "nb", {"DeploymentName": "demo"}, "rec-1")
    sc.record("rec-1", "nb", "FAILED", errors=[("ProvisioningFailed", "Resource Notebook: "
                                                "ResourceLimitExceeded")])
    run = run_cli("launch", "notebook", "nb", "--param", "DeploymentName=demo")
    assert run.code == 4
    assert "ResourceLimitExceeded" in run.err and run.out == ""


def test_launch_rejected_parameter_exits_2_without_provisioning(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.search_products()
    sc.target("mlflow-core")
    run = run_cli("launch", "mlflow-core", "demo-core", "--param", "DeploymentName=demo",
                  "--param", "AuthMode=ldap", "-o", "json")
    assert run.code == 2
    assert "parameter AuthMode: 'ldap' is not allowed" in run.json()["error"]["message"]
    assert "ProvisionProduct" not in sc.calls


def test_launch_of_a_deprecated_version_exits_2(run_cli: Any, sc: CatalogStub) -> None:
    sc.search_products()
    sc.describe_product("mlflow-core", [("v1", "DEPRECATED"), ("v2", "DEFAULT")])
    run = run_cli("launch", "mlflow-core", "x", "--version", "v1")
    assert run.code == 2 and "deprecated" in run.err


def test_interrupt_while_waiting_exits_130_and_says_how_to_resume(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.search_products()
    sc.target("notebook")
    sc.provision("notebook", "nb", {"DeploymentName": "demo"}, "rec-1")
    sc.record("rec-1", "nb", "IN_PROGRESS")

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    run = run_cli("launch", "notebook", "nb", "--param", "DeploymentName=demo", sleep=interrupt)
    assert run.code == 130
    assert "continues in AWS" in run.err and "mlflow-platform status nb" in run.err


def test_status_and_outputs_of_a_deployment(run_cli: Any, sc: CatalogStub) -> None:
    sc.stub.add_response("search_provisioned_products", {"ProvisionedProducts": [
        {"Name": "demo-core", "Status": "AVAILABLE", "ProductName": "MLflow core",
         "ProvisioningArtifactName": "v1", "ProductId": PRODUCT_IDS["mlflow-core"]},
        {"Name": "else-core", "Status": "AVAILABLE", "ProductName": "MLflow core"}]})
    run = run_cli("status", "demo", "-o", "json")
    assert run.code == 0 and [p["name"] for p in run.json()] == ["demo-core"]
    sc.provisioned("demo", None)
    sc.provisioned("demo-core", "AVAILABLE")
    sc.provisioned("demo-api", None)
    sc.provisioned("demo-notebook", None)
    sc.outputs("demo-core", {"TrackingUrl": "http://alb"})
    run = run_cli("outputs", "demo", "-o", "json")
    assert run.json() == {"demo-core": {"TrackingUrl": "http://alb"}}


def test_status_asks_for_the_callers_own_products_unless_told(
        run_cli: Any, sc: CatalogStub) -> None:
    for key in ("User", "Role"):
        sc.stub.add_response("search_provisioned_products", {"ProvisionedProducts": []}, {
            "AccessLevelFilter": {"Key": key, "Value": "self"}, "SortBy": "name",
            "SortOrder": "ASCENDING"})
    assert run_cli("status").code == 0
    assert run_cli("status", "--access-level", "role").code == 0
    assert run_cli("status", "--access-level", "everyone").code == 2


def test_outputs_table_shows_long_values_whole(run_cli: Any, sc: CatalogStub) -> None:
    arn = ("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/"
           "mlflow-demo-internal/0123456789abcdef/fedcba9876543210")
    subnets = ",".join(f"subnet-0{i}23456789abcdef0" for i in range(4))
    sc.provisioned("demo-core", "AVAILABLE")
    sc.stub.add_response("get_provisioned_product_outputs", {"Outputs": [
        {"OutputKey": "ListenerArn", "OutputValue": arn, "Description": "x" * 100},
        {"OutputKey": "Subnets", "OutputValue": subnets}]},
        {"ProvisionedProductName": "demo-core"})
    run = run_cli("outputs", "demo-core")
    assert run.code == 0, run.err
    assert len(arn) > 72 and arn in run.out and subnets in run.out
    assert "x" * 71 + "…" in run.out and "x" * 72 not in run.out  # prose may be cut


def test_portfolio_option_picks_the_launch_path(run_cli: Any, sc: CatalogStub) -> None:
    paths = [("lpv3-team0000001", "Team portfolio"), ("lpv3-platform0001", "MLflow Platform")]
    for argv, path_id in ((("describe", "notebook"), "lpv3-platform0001"),
                          (("describe", "notebook", "--portfolio", "Team portfolio"),
                           "lpv3-team0000001"),
                          (("--portfolio", "lpv3-team0000001", "describe", "notebook"),
                           "lpv3-team0000001")):
        sc.search_products()
        sc.describe_product("notebook")
        sc.launch_paths("notebook", paths)
        sc.parameters("notebook", path_id=path_id)
        run = run_cli(*argv, "-o", "json")
        assert run.code == 0, run.err
        assert run.json()["launch_path"]["id"] == path_id
    sc.search_products()
    sc.describe_product("notebook")
    sc.launch_paths("notebook", paths)
    run = run_cli("describe", "notebook", "--portfolio", "Nope")
    assert run.code == 2
    assert "Team portfolio (lpv3-team0000001), MLflow Platform (lpv3-platform0001)" in run.err
    assert "--portfolio" in run.err


def test_outputs_of_something_unknown_exits_3(run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("No_Such", None)
    assert run_cli("outputs", "No_Such").code == 3


def test_env_prints_exports_for_eval_and_json(run_cli: Any, aws: Clients) -> None:
    arn = add_secret(aws, "login", "mlflow", "s3cret it's")
    publish(aws, "demo", {"tracking-url": "http://alb", "auth-mode": "basic",
                          "credentials-secret-arn": arn})
    run = run_cli("env", "demo")
    assert run.code == 0
    assert "export MLFLOW_TRACKING_PASSWORD='s3cret it'\"'\"'s'" in run.out.splitlines()
    assert "s3cret" not in run.err
    doc = run_cli("env", "demo", "--output", "json").json()
    assert doc["set"]["MLFLOW_TRACKING_USERNAME"] == "mlflow"


def test_env_of_an_unknown_deployment_exits_3(run_cli: Any) -> None:
    assert run_cli("env", "ghost").code == 3
    assert run_cli("env", "Bad Name").code == 2


def test_down_needs_confirmation(run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.provisioned("demo-api", None)
    sc.provisioned("demo-notebook", None)
    run = run_cli("down", "demo")
    assert run.code == 5 and "--yes" in run.err
    assert "TerminateProvisionedProduct" not in sc.calls


def test_down_with_yes_says_what_is_retained(run_cli: Any, sc: CatalogStub) -> None:
    for name, status in (("demo-core", "AVAILABLE"), ("demo-api", None),
                         ("demo-notebook", None), ("demo-notebook", None), ("demo-api", None),
                         ("demo-core", "AVAILABLE")):
        sc.provisioned(name, status)
    sc.terminate("demo-core", "rec-t")
    sc.record("rec-t", "demo-core", "SUCCEEDED")
    run = run_cli("down", "demo", "--yes")
    assert run.code == 0, run.err
    assert "artifact bucket" in run.out and "final snapshot" in run.out


def test_usage_errors_exit_2(run_cli: Any) -> None:
    assert run_cli().code == 2
    assert run_cli("launch", "mlflow-core").code == 2
    assert run_cli("up", "demo", "--skip", "core").code == 2
    assert run_cli("launch", "notebook", "bad name!").code == 2


def test_access_denied_is_exit_1_with_a_hint(run_cli: Any, sc: CatalogStub) -> None:
    sc.stub.add_client_error("search_products", "AccessDeniedException", "not authorized")
    run = run_cli("products")
    assert run.code == 1 and "access denied" in run.err and "hint:" in run.err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "exit codes" in capsys.readouterr().out


def _subprocess(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update({"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                 "AWS_EC2_METADATA_DISABLED": "true", **(env or {})})
    return subprocess.run([sys.executable, "-m", "mlflow_platform.cli", *argv], cwd=ROOT,
                          env=base, capture_output=True, text=True, timeout=60, check=False)


def test_module_entry_point_exit_codes() -> None:
    assert _subprocess("--help").returncode == 0
    assert _subprocess("frobnicate").returncode == 2
    bad = _subprocess("env", "Bad_Name", "--output", "json", "--region", "us-east-1")
    assert bad.returncode == 2
    assert bad.stdout and '"type": "validation"' in bad.stdout
    no_creds = _subprocess("products", "--region", "eu-west-1", "-o", "json")
    assert no_creds.returncode == 2 and "credentials" in no_creds.stderr


def test_console_script_is_declared_for_main() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'mlflow-platform = "mlflow_platform.cli.main:main"' in text


def test_installed_console_script_runs() -> None:
    # `make setup` installs the project (pip install -e), which creates the script.
    script = Path(sys.executable).with_name("mlflow-platform")
    if not script.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the mlflow-platform console script is not installed: run `make setup`")
        pytest.skip("project not installed into this venv (make setup does it)")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0 and "exit codes" in proc.stdout
    bad = subprocess.run([str(script), "launch"], capture_output=True, text=True, timeout=60,
                         check=False)
    assert bad.returncode == 2
