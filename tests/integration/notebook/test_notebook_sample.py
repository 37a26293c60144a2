"""The notebook product's sample, executed headless against the local MLflow stack.

Nothing is configured by hand: the rendered OnCreate/OnStart scripts run against a scratch
root (SSM answered by a stand-in `aws`), the kernel starts with the IPython startup hook they
wrote, and that hook fetches the login from Secrets Manager (moto) exactly as on the
instance. The kernel's environment carries no MLflow URI or credential of its own.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import boto3
import nbformat
import pytest
from mlflow.tracking import MlflowClient
from nbclient import NotebookClient

from mlflow_platform.catalog import MLFLOW_VERSION
from scripts.local_stack import FAKE_AWS, LocalStack, MotoS3
from service_templates.notebook.render import NOTEBOOK_NAME, render_lifecycle, sample_names
from tests.helpers.lifecycle import Run, run_lifecycle, ssm_values

pytestmark = pytest.mark.integration

DEPLOYMENT = "it-notebook"


def _secret(endpoint: str, stack: LocalStack) -> str:
    """The core's credentials secret (fields username, password), in moto."""
    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name=FAKE_AWS["AWS_DEFAULT_REGION"],
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )
    created = client.create_secret(
        Name=f"mlflow/{DEPLOYMENT}-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({"username": stack.username, "password": stack.password}),
    )
    return str(created["ARN"])


def _kernel_env(started: Run, endpoint: str) -> dict[str, str]:
    """What a kernel on the instance has: the hook and settings the scripts wrote, AWS access
    (here: fake keys and moto's endpoint) and nothing MLflow-specific of the test process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_TRACKING_", "MLFLOW_PLATFORM_", "AWS_"))
    }
    env.update(FAKE_AWS)
    env.update(
        {
            "IPYTHONDIR": str(started.ipython_dir),
            "MLFLOW_PLATFORM_CLIENT_ENV": str(started.client_env_path),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
        }
    )
    return env


def _outputs(notebook: Any, cell_id: str) -> str:
    (cell,) = [c for c in notebook.cells if c.get("id") == cell_id]
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_sample_notebook_trains_registers_and_loads_back(
    stack: LocalStack,
    infra: tuple[Any, MotoS3],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = infra[1].endpoint
    values = ssm_values(
        DEPLOYMENT,
        tracking_url=stack.tracking_uri,
        auth_mode="basic",
        shared_login_secret_arn=_secret(endpoint, stack),
        mlflow_version=MLFLOW_VERSION,
    )
    scripts = render_lifecycle(
        deployment=DEPLOYMENT, connection="vpc", region=FAKE_AWS["AWS_DEFAULT_REGION"]
    )
    created, started = run_lifecycle(scripts, tmp_path / "root", values)
    assert started.result.returncode == 0, started.result.stderr
    assert "MLFLOW_TRACKING_PASSWORD" not in started.client_env_path.read_text()

    notebook = nbformat.read(created.samples_dir / NOTEBOOK_NAME, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(created.samples_dir)}},
    )
    client.execute(env=_kernel_env(started, endpoint))

    assert stack.tracking_uri in _outputs(notebook, "connection")
    assert "accuracy of the registered model" in _outputs(notebook, "load")
    # Seen from outside the kernel: the alias points at a version whose run logged it all.
    names = sample_names(DEPLOYMENT)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", stack.username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", stack.password)
    mlflow_client = MlflowClient(tracking_uri=stack.tracking_uri)
    version = mlflow_client.get_model_version_by_alias(names["model_name"], "champion")
    run = mlflow_client.get_run(version.run_id)
    artifacts = [a.path for a in mlflow_client.list_artifacts(run.info.run_id, "evaluation")]
    assert run.data.params["C"] == "0.5"
    assert run.data.metrics["accuracy"] > 0.9
    assert artifacts == ["evaluation/confusion_matrix.json"]
    assert mlflow_client.get_experiment(run.info.experiment_id).name == names["experiment"]
