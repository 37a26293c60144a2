"""Load the container entrypoints by path: docker/ is no package (and `docker` is a PyPI name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:  # the lead's pyproject adds pythonpath = ["."]; be safe
    sys.path.insert(0, str(REPO_ROOT))


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def server_ep() -> ModuleType:
    return _load(
        "mlflow_core_server_entrypoint", REPO_ROOT / "docker/mlflow_core/server/entrypoint.py"
    )


@pytest.fixture(scope="session")
def proxy_ep() -> ModuleType:
    return _load(
        "mlflow_core_proxy_entrypoint", REPO_ROOT / "docker/mlflow_core/proxy/entrypoint.py"
    )
