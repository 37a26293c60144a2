"""The rendered lifecycle scripts: syntax, shellcheck, size, and what they set up."""

from __future__ import annotations

import base64
import json
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from mlflow_platform import contract
from mlflow_platform.catalog import MLFLOW_VERSION
from service_templates.notebook.render import (
    MAX_SCRIPT_CHARS,
    NOTEBOOK_NAME,
    SCRIPT_NAME,
    LifecycleScripts,
    render_lifecycle,
)
from tests.helpers.lifecycle import run_lifecycle, run_script, ssm_values

# The longest deployment name the contract allows: the worst case for script size.
LONGEST = "d" + "x" * 30 + "1"
DEPLOYMENT = "team-a"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:mlflow/team-a-AbCdEf"
CORE = {"tracking_url": "http://internal-mlflow-123.us-east-1.elb.amazonaws.com",
        "auth_mode": "basic", "shared_login_secret_arn": SECRET, "mlflow_version": "3.17.2"}
# What core publishes as shared-login-secret-arn outside basic mode: an ARN naming no secret.
NO_SECRET = ("arn:aws:secretsmanager:us-east-1:111111111111:secret:"
             "mlflow-platform/team-a/no-shared-login")
API = {"api_url": "https://abc123.execute-api.us-east-1.amazonaws.com"}


def _scripts(connection: str, deployment: str = DEPLOYMENT) -> LifecycleScripts:
    return render_lifecycle(deployment=deployment, connection=connection, region="us-east-1")


@pytest.mark.parametrize("connection", ["vpc", "private-api"])
@pytest.mark.parametrize("hook", ["on_create", "on_start"])
def test_scripts_pass_bash_n_and_shellcheck(tmp_path: Path, connection: str, hook: str) -> None:
    path = tmp_path / f"{hook}.sh"
    path.write_text(getattr(_scripts(connection, LONGEST), hook))
    subprocess.run(["bash", "-n", str(path)], check=True)
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run(["shellcheck", "--severity=style", str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("hook", ["on_create", "on_start"])
def test_scripts_fit_sagemakers_limit_even_base64_encoded(hook: str) -> None:
    text = getattr(_scripts("private-api", LONGEST), hook)
    assert len(text) < MAX_SCRIPT_CHARS
    # The API limit applies to the base64 content: the stricter reading holds too.
    assert len(base64.b64encode(text.encode())) <= MAX_SCRIPT_CHARS


def test_on_start_reads_only_published_contract_keys_in_one_call() -> None:
    script = _scripts("vpc").on_start
    used = set(re.findall(r"\$\(published ([a-z-]+)\)", script))
    fetched = set(re.findall(r'"/mlflow-platform/\$DEPLOYMENT/([a-z-]+)"', script))
    assert used == fetched == {"auth-mode", "shared-login-secret-arn", "api-url",
                               "api-authorization", "tracking-url", "mlflow-version"}
    assert used <= {k.name for k in contract.CORE_KEYS + contract.API_KEYS}
    # The admin login of per-user mode is never what a notebook reads.
    assert "credentials-secret-arn" not in script
    assert script.count("aws ssm") == 1


def test_no_script_fetches_or_holds_the_login() -> None:
    for text in (_scripts("vpc").on_create, _scripts("vpc").on_start):
        assert "get-secret-value" not in text
        assert "MLFLOW_TRACKING_PASSWORD=" not in text


def test_in_vpc_with_basic_auth_kernels_get_uri_and_secret_arn(tmp_path: Path) -> None:
    _, started = run_lifecycle(_scripts("vpc"), tmp_path / "root",
                               ssm_values(DEPLOYMENT, **CORE))
    assert started.result.returncode == 0, started.result.stderr
    assert started.client_env() == {
        "MLFLOW_TRACKING_URI": CORE["tracking_url"], "MLFLOW_PLATFORM_DEPLOYMENT": DEPLOYMENT,
        "MLFLOW_PLATFORM_AUTH": "basic", "AWS_DEFAULT_REGION": "us-east-1",
        "MLFLOW_PLATFORM_SECRET_ARN": SECRET,
    }
    # Readable by everyone on purpose: it holds no secret.
    assert stat.S_IMODE(started.client_env_path.stat().st_mode) == 0o644
    hook = started.ipython_dir / "profile_default" / "startup" / "00-mlflow-platform.py"
    compile(hook.read_text(), str(hook), "exec")
    assert "restart jupyter-server" in " ".join(started.calls())
    assert started.seconds < 30  # SageMaker stops the instance after 5 minutes


def test_private_api_with_iam_signs_requests_and_avoids_the_10_mb_limit(tmp_path: Path) -> None:
    values = ssm_values(DEPLOYMENT, **{**CORE, "auth_mode": "iam"}, **API,
                        api_authorization="AWS_IAM")
    _, started = run_lifecycle(_scripts("private-api"), tmp_path / "root", values)
    assert started.result.returncode == 0, started.result.stderr
    env = started.client_env()
    assert env["MLFLOW_TRACKING_URI"] == API["api_url"]
    assert env["MLFLOW_PLATFORM_AUTH"] == "sigv4"
    assert env["MLFLOW_TRACKING_AWS_SIGV4"] == "true"
    assert "MLFLOW_PLATFORM_SECRET_ARN" not in env
    assert env["MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD"] == "true"
    assert int(env["MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"]) < 10 * 1024 * 1024


def test_private_api_without_authorization_uses_the_core_login(tmp_path: Path) -> None:
    values = ssm_values(DEPLOYMENT, **CORE, **API, api_authorization="NONE")
    _, started = run_lifecycle(_scripts("private-api"), tmp_path / "root", values)
    env = started.client_env()
    assert (env["MLFLOW_PLATFORM_AUTH"], env["MLFLOW_PLATFORM_SECRET_ARN"]) == ("basic", SECRET)


def test_missing_deployment_fails_the_start_with_a_clear_message(tmp_path: Path) -> None:
    run = run_script(_scripts("vpc").on_start, tmp_path / "root", {})
    assert run.result.returncode != 0
    assert f"is deployment '{DEPLOYMENT}' launched?" in run.result.stderr


def test_unreachable_ssm_fails_fast_and_names_the_network_fix(tmp_path: Path) -> None:
    run = run_script(_scripts("vpc").on_start, tmp_path / "root", {"__unreachable__": "1"})
    assert run.result.returncode != 0
    assert "cannot read the deployment's settings from SSM" in run.result.stderr
    assert "DirectInternetAccess" in run.result.stderr
    assert not (tmp_path / "root" / "etc").exists()  # nothing half-written


@pytest.mark.parametrize("connection", ["vpc", "private-api"])
def test_per_user_mode_gives_kernels_no_secret_and_asks_for_the_users_own_login(
        tmp_path: Path, connection: str) -> None:
    values = ssm_values(DEPLOYMENT, **{**CORE, "auth_mode": "per-user",
                                       "shared_login_secret_arn": NO_SECRET},
                        **API, api_authorization="NONE")
    _, started = run_lifecycle(_scripts(connection), tmp_path / "root", values)
    assert started.result.returncode == 0, started.result.stderr
    env = started.client_env()
    assert env["MLFLOW_PLATFORM_AUTH"] == "per-user"
    assert "MLFLOW_PLATFORM_SECRET_ARN" not in env
    assert "~/.mlflow/credentials" in started.result.stderr


def test_mlflow_client_matches_the_server_version(tmp_path: Path) -> None:
    values = ssm_values(DEPLOYMENT, **{**CORE, "mlflow_version": "3.9.1"})
    root = tmp_path / "root"
    env_dir = root / "home" / "ec2-user" / "anaconda3" / "envs" / "python3" / "bin"
    env_dir.mkdir(parents=True)
    # A conda env stand-in whose python records the pip command line.
    (env_dir / "python").write_text(
        f"#!/bin/bash\n[ \"$1\" = -c ] && exit 0\necho \"$*\" >> {tmp_path}/pip.log\n")
    (env_dir / "python").chmod(0o755)
    _, started = run_lifecycle(_scripts("vpc"), root, values)
    assert started.result.returncode == 0, started.result.stderr
    log = tmp_path / "pip.log"
    for _ in range(50):  # the install runs in the background
        if log.exists():
            break
        time.sleep(0.1)
    assert "-m pip install --quiet --timeout 30 --retries 3 mlflow-skinny==3.9.1" in (
        log.read_text())


def _fake_conda_env(root: Path, name: str, pip_log: Path) -> None:
    """A conda env with ipykernel whose python records `<env> <pip command line>`."""
    bin_dir = root / "home" / "ec2-user" / "anaconda3" / "envs" / name / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(
        f"#!/bin/bash\n[ \"$1\" = -c ] && exit 0\necho \"{name} $*\" >> {pip_log}\n")
    (bin_dir / "python").chmod(0o755)


def _wait_for_background_install(root: Path) -> str:
    log = root / "var" / "log" / "mlflow-platform-install.log"
    for _ in range(100):
        if log.exists() and "done" in log.read_text().splitlines():
            return log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"the background install never finished: {log}")


def test_the_jupyter_servers_own_env_is_left_alone(tmp_path: Path) -> None:
    root, pip_log = tmp_path / "root", tmp_path / "pip.log"
    for name in ("JupyterSystemEnv", "python3"):
        _fake_conda_env(root, name, pip_log)
    _, started = run_lifecycle(_scripts("vpc"), root, ssm_values(DEPLOYMENT, **CORE))
    assert started.result.returncode == 0, started.result.stderr
    install_log = _wait_for_background_install(root)
    installs = pip_log.read_text().splitlines()
    assert [line.split()[0] for line in installs] == ["python3"], installs
    assert "-m pip install" in installs[0]
    assert "JupyterSystemEnv" not in install_log


def test_unparseable_server_version_falls_back_to_the_catalog(tmp_path: Path) -> None:
    values = ssm_values(DEPLOYMENT, **{**CORE, "mlflow_version": "latest; rm -rf /"})
    _, started = run_lifecycle(_scripts("vpc"), tmp_path / "root", values)
    assert f"MLflow client {MLFLOW_VERSION}" in started.result.stdout


def test_on_create_copies_a_valid_notebook_and_training_script(tmp_path: Path) -> None:
    created, _ = run_lifecycle(_scripts("vpc"), tmp_path / "root",
                               ssm_values(DEPLOYMENT, **CORE))
    assert created.result.returncode == 0, created.result.stderr
    notebook = nbformat.read(created.samples_dir / NOTEBOOK_NAME, as_version=4)
    nbformat.validate(notebook)
    assert f"quickstart-{DEPLOYMENT}-iris" in json.dumps(notebook)
    script = (created.samples_dir / SCRIPT_NAME).read_text()
    compile(script, SCRIPT_NAME, "exec")
    assert f'EXPERIMENT = "quickstart-{DEPLOYMENT}"' in script


def test_on_create_keeps_a_users_edited_notebook(tmp_path: Path) -> None:
    root = tmp_path / "root"
    created, _ = run_lifecycle(_scripts("vpc"), root, ssm_values(DEPLOYMENT, **CORE))
    (created.samples_dir / NOTEBOOK_NAME).write_text("edited")
    run_script(_scripts("vpc").on_create, root, {})
    assert (created.samples_dir / NOTEBOOK_NAME).read_text() == "edited"
