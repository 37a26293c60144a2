"""Run the notebook's rendered lifecycle scripts on this machine, as SageMaker would.

The scripts honour MLFLOW_PLATFORM_TEST_ROOT (every absolute path they write goes below it);
stand-ins for `aws`, `systemctl` and `sudo` on PATH answer SSM from a dict and record calls.
What the scripts leave under the root (client.env, the profile script, the kernel startup
hook, the samples) is exactly what kernels on the instance would get.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from service_templates.notebook.render import (
    CLIENT_ENV,
    NOTEBOOK_USER,
    SAMPLES_DIR,
    LifecycleScripts,
)

_FAKE_AWS = """#!{python}
import json, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
values = json.load(open({values!r}))
if args[:2] == ["ssm", "get-parameters"]:
    if values.get("__unreachable__"):
        print("Connect timeout on endpoint URL: https://ssm.example", file=sys.stderr)
        sys.exit(255)
    start = args.index("--names") + 1
    end = next((i for i in range(start, len(args)) if args[i].startswith("--")), len(args))
    # What --query 'Parameters[].[Name,Value]' --output text prints: the found ones only.
    assert args[args.index("--query") + 1] == "Parameters[].[Name,Value]", args
    assert args[args.index("--output") + 1] == "text", args
    assert len(args[start:end]) <= 10, "get-parameters takes at most 10 names"
    for name in args[start:end]:
        if name in values:
            print(name + "\t" + values[name])
    sys.exit(0)
print("unexpected aws call", args, file=sys.stderr)
sys.exit(2)
"""
# sudo -u USER -H CMD...: run CMD as ourselves (the test user).
_FAKE_SUDO = """#!/bin/bash
while [ "${1:-}" != "" ] && [ "${1#-}" != "$1" ]; do
    case "$1" in -u) shift 2 ;; *) shift ;; esac
done
exec "$@"
"""
_FAKE_SYSTEMCTL = """#!/bin/bash
echo "$*" >> {log}
"""


@dataclass
class Run:
    root: Path
    result: subprocess.CompletedProcess[str]
    seconds: float
    calls_log: Path

    @property
    def client_env_path(self) -> Path:
        return self.root / CLIENT_ENV.lstrip("/")

    def client_env(self) -> dict[str, str]:
        lines = self.client_env_path.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    @property
    def ipython_dir(self) -> Path:
        return self.root / "home" / NOTEBOOK_USER / ".ipython"

    @property
    def samples_dir(self) -> Path:
        return self.root / SAMPLES_DIR.lstrip("/")

    def calls(self) -> list[str]:
        return self.calls_log.read_text().splitlines() if self.calls_log.exists() else []


def _write_exec(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def fake_bin(directory: Path, ssm_values: Mapping[str, str]) -> tuple[Path, Path]:
    """A directory of stand-in commands and the log they append their calls to."""
    directory.mkdir(parents=True, exist_ok=True)
    calls = directory / "calls.log"
    values = directory / "ssm.json"
    values.write_text(json.dumps(dict(ssm_values)))
    _write_exec(directory / "aws", _FAKE_AWS.format(python=sys.executable, log=str(calls),
                                                     values=str(values)))
    _write_exec(directory / "sudo", _FAKE_SUDO)
    _write_exec(directory / "systemctl", _FAKE_SYSTEMCTL.format(log=str(calls)))
    return directory, calls


def run_script(script: str, root: Path, ssm_values: Mapping[str, str], *,
               timeout: float = 60) -> Run:
    bin_dir, calls = fake_bin(root.parent / f"{root.name}-bin", ssm_values)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(root),
           "MLFLOW_PLATFORM_TEST_ROOT": str(root)}
    started = time.monotonic()
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    return Run(root, result, time.monotonic() - started, calls)


def run_lifecycle(scripts: LifecycleScripts, root: Path, ssm_values: Mapping[str, str]
                  ) -> tuple[Run, Run]:
    """OnCreate then OnStart, as on a new instance's first start."""
    root.mkdir(parents=True, exist_ok=True)
    created = run_script(scripts.on_create, root, ssm_values)
    started = run_script(scripts.on_start, root, ssm_values)
    return created, started


def ssm_values(deployment: str, **values: str) -> dict[str, str]:
    """SSM answers keyed by full parameter name, from contract key -> value."""
    from mlflow_platform.contract import ssm_name

    return {ssm_name(deployment, key.replace("_", "-")): v for key, v in values.items()}
