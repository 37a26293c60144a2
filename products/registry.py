"""Which stack class builds which product (by catalog slug)."""

from __future__ import annotations

from mlflow_platform.catalog import MLFLOW_CORE, NOTEBOOK, PRIVATE_API

from .common.stack import PlatformProductStack
from .mlflow_core.stack import MlflowCoreStack
from .notebook.stack import NotebookStack
from .private_api.stack import PrivateApiStack

PRODUCT_STACKS: dict[str, type[PlatformProductStack]] = {
    MLFLOW_CORE.slug: MlflowCoreStack,
    PRIVATE_API.slug: PrivateApiStack,
    NOTEBOOK.slug: NotebookStack,
}
