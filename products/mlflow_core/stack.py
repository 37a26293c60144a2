"""The MLflow core product stack (composition and wiring only)."""

from __future__ import annotations

from constructs import Construct

from mlflow_platform.catalog import MLFLOW_CORE
from products.common.stack import PlatformProductStack

from .parameters import PARAMETERS


class MlflowCoreStack(PlatformProductStack):
    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, spec=MLFLOW_CORE, parameters=PARAMETERS)
