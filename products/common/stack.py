"""Base class of every product stack."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_servicecatalog as servicecatalog
from constructs import Construct, IConstruct

from mlflow_platform.catalog import ProductSpec

from .parameters import ParameterSet, ParamSpec

# Every role a product creates lives under this IAM path, so the launch role may
# create, change and pass roles there and nowhere else.
ROLE_PATH = "/mlflow-platform/"
# Tag on every resource of every product (IAM conditions select platform resources by it).
PRODUCT_TAG = "mlflow-platform:product"


@jsii.implements(cdk.IAspect)
class _RolePath:
    """Puts every IAM role of the stack under ROLE_PATH (including roles L2s create)."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, iam.CfnRole):
            node.path = ROLE_PATH


class PlatformProductStack(servicecatalog.ProductStack):
    """A ProductStack with declared parameters, standard tags and the role path aspect.

    Subclasses pass their `ParamSpec`s; `self.params` holds the CfnParameters.
    """

    def __init__(
        self, scope: Construct, id_: str, *, spec: ProductSpec, parameters: Sequence[ParamSpec]
    ) -> None:
        super().__init__(scope, id_, description=f"{spec.name} ({spec.current.name}): "
                         f"{spec.description}"[:1024])
        self.spec = spec
        self.params = ParameterSet(self, parameters)
        cdk.Aspects.of(self).add(_RolePath())
        cdk.Tags.of(self).add(PRODUCT_TAG, spec.slug)
        cdk.Tags.of(self).add("mlflow-platform:version", spec.current.name)
