"""The MLflow private API product stack (composition and wiring only)."""

from __future__ import annotations

from constructs import Construct

from mlflow_platform.catalog import PRIVATE_API
from products.common.stack import PlatformProductStack

from .parameters import PARAMETERS


class PrivateApiStack(PlatformProductStack):
    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_, spec=PRIVATE_API, parameters=PARAMETERS)
