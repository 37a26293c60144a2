"""The MLflow notebook product stack (composition and wiring only)."""

from __future__ import annotations

from constructs import Construct

from mlflow_platform.catalog import NOTEBOOK
from products.common.stack import PlatformProductStack

from .parameters import PARAMETERS


class NotebookStack(PlatformProductStack):
    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, spec=NOTEBOOK, parameters=PARAMETERS)
