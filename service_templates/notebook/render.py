"""Renders the notebook product's lifecycle scripts (and the samples they carry).

Called at synth time by products/notebook (values may be CloudFormation tokens, which end up
inside Fn::Base64/Fn::Join) and by the tests with real values (bash -n, shellcheck, size,
running the sample notebook). Launch-time choices stay runtime branches in bash, since a token
cannot select a Jinja branch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from mlflow_platform.catalog import MLFLOW_VERSION

TEMPLATES = Path(__file__).resolve().parent
NOTEBOOK_USER = "ec2-user"
SAMPLES_DIR = f"/home/{NOTEBOOK_USER}/SageMaker/mlflow-quickstart"
CLIENT_ENV = "/etc/mlflow-platform/client.env"
NOTEBOOK_NAME = "quickstart.ipynb"
SCRIPT_NAME = "train.py"
# SigV4 signing for MLflow clients of a private API with IAM auth (FACTS).
SIGV4_PACKAGE = "requests-auth-aws-sigv4==0.7"
# SageMaker: each lifecycle script at most 16,384 characters of base64 content.
MAX_SCRIPT_CHARS = 16_384

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701 (shell and JSON, not HTML)
)
# Values that are rendered into shell single quotes and JSON strings.
_SAFE = re.compile(r"^[A-Za-z0-9._:/${}\[\]-]+$")


@dataclass(frozen=True)
class LifecycleScripts:
    on_create: str
    on_start: str


def _safe(name: str, value: str) -> str:
    if not _SAFE.fullmatch(value):
        raise ValueError(f"{name} {value!r}: only letters, digits and ._:/- are allowed")
    return value


def sample_names(deployment: str) -> dict[str, str]:
    """Experiment and registered model of the sample (per deployment)."""
    return {"experiment": f"quickstart-{deployment}", "model_name": f"quickstart-{deployment}-iris"}


def render_samples(deployment: str) -> dict[str, str]:
    """The sample notebook (compact JSON) and its training script, by file name."""
    values = {
        "deployment": _safe("deployment", deployment),
        "mlflow_version": MLFLOW_VERSION,
        "script_name": SCRIPT_NAME,
        **sample_names(deployment),
    }
    notebook = json.loads(_ENV.get_template(f"{NOTEBOOK_NAME}.j2").render(values))
    return {
        # Compact: the notebook travels inside the 16 KB OnCreate script.
        NOTEBOOK_NAME: json.dumps(notebook, separators=(",", ":")),
        SCRIPT_NAME: _ENV.get_template(f"{SCRIPT_NAME}.j2").render(values).rstrip("\n"),
    }


def render_kernel_startup() -> str:
    return _ENV.get_template("kernel_startup.py.j2").render(client_env=CLIENT_ENV).rstrip("\n")


def render_lifecycle(*, deployment: str, connection: str, region: str) -> LifecycleScripts:
    """OnCreate and OnStart scripts for one notebook (values may be tokens)."""
    samples = render_samples(deployment)
    on_create = _ENV.get_template("on_create.sh.j2").render(
        samples_dir=SAMPLES_DIR,
        notebook_user=NOTEBOOK_USER,
        notebook_name=NOTEBOOK_NAME,
        notebook=samples[NOTEBOOK_NAME],
        script_name=SCRIPT_NAME,
        script=samples[SCRIPT_NAME],
    )
    on_start = _ENV.get_template("on_start.sh.j2").render(
        deployment=_safe("deployment", deployment),
        connection=_safe("connection", connection),
        region=_safe("region", region),
        mlflow_version=MLFLOW_VERSION,
        sigv4_package=SIGV4_PACKAGE,
        notebook_user=NOTEBOOK_USER,
        client_env=CLIENT_ENV,
        kernel_startup=render_kernel_startup(),
    )
    for name, text in (("OnCreate", on_create), ("OnStart", on_start)):
        for marker in (
            "MLFLOW_PLATFORM_NOTEBOOK",
            "MLFLOW_PLATFORM_SCRIPT",
            "MLFLOW_PLATFORM_STARTUP",
        ):
            # A heredoc body containing its own end marker would end early.
            if text.count(f"\n{marker}\n") > 1:
                raise ValueError(f"{name}: heredoc marker {marker} inside its body")
    return LifecycleScripts(on_create=on_create, on_start=on_start)
