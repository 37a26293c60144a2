"""The one home of product names, owners and versions.

The portfolio stack, the product stacks, the CLI and the docs all read these
definitions; nothing else spells a product's name or current version.
"""

from __future__ import annotations

from dataclasses import dataclass

MLFLOW_VERSION = "3.17.2"
# Image tag that the current product versions pin: "<mlflow version>-<build>".
# scripts/publish_images.sh pushes exactly this tag; bump the build on any image change.
IMAGE_TAG = f"{MLFLOW_VERSION}-3"

# ECR repositories the portfolio stack owns. Product templates default to these names,
# so they are fixed (not admin configuration): a released template must not change.
SERVER_IMAGE_REPOSITORY = "mlflow-platform/server"
PROXY_IMAGE_REPOSITORY = "mlflow-platform/proxy"

SUPPORT_EMAIL = "mlflow-platform@example.com"
SUPPORT_URL = "https://github.com/example/mlflow-platform#readme"
DISTRIBUTOR = "MLflow Platform (open source)"
# Default portfolio name (admin setting portfolioName); the CLI picks its launch path by it
# when a product is in several portfolios.
PORTFOLIO_NAME = "MLflow Platform"


@dataclass(frozen=True)
class Version:
    """One product version. Released versions are locked: their template may never change."""

    name: str
    description: str
    locked: bool = True


@dataclass(frozen=True)
class ProductSpec:
    """What a console user reads about a product, and its version history (oldest first)."""

    key: str  # folder name under products/, docker/, service_templates/, tests/
    slug: str  # used in construct IDs, SSM names and the CLI
    name: str  # product name as the console shows it
    owner: str
    description: str
    support_description: str
    versions: tuple[Version, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError(f"product {self.slug}: at least one version is required")
        names = [v.name for v in self.versions]
        if len(set(names)) != len(names):
            raise ValueError(f"product {self.slug}: duplicate version names {names}")
        if any(not v.locked for v in self.versions[:-1]):
            raise ValueError(
                f"product {self.slug}: only the current (last) version may be unlocked"
            )

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def released(self) -> tuple[Version, ...]:
        """Versions older than the current one: served from their committed snapshots."""
        return self.versions[:-1]


_SUPPORT = (
    "Owned by the ML platform team. Open an issue or e-mail the address below; "
    "include the provisioned product name and the Service Catalog record ID."
)

MLFLOW_CORE = ProductSpec(
    key="mlflow_core",
    slug="mlflow-core",
    name="MLflow core",
    owner="ML platform team",
    description=(
        "A private MLflow tracking server with authentication: Aurora MySQL Serverless v2 "
        "(pauses when idle), an S3 artifact store, ECS Fargate behind an internal load "
        "balancer, alarms and a dashboard. Experiment data is retained when terminated."
    ),
    support_description=_SUPPORT,
    versions=(
        Version(
            "v1",
            f"First release: MLflow {MLFLOW_VERSION}, Aurora MySQL 3 Serverless v2, "
            "ARM64 Fargate, basic, per-user or IAM auth.",
        ),
        Version(
            "v2",
            "Cheaper dev profile: no NAT gateway (tasks in the public subnets with a public "
            "IP, admitted only from the load balancer), 0.25 vCPU, Container Insights in prod "
            "only. The private API keeps plain HTTP to the load balancer when a certificate is "
            "set; new TlsHostName and ImageRegistryAccountId parameters; images "
            f"{IMAGE_TAG} (the server execs uvicorn: about 190 MB less memory; host names "
            "match in any letter case, as DNS names do, which v1 got wrong); publishes a "
            "notebook subnet and security group; 1-hour load balancer idle timeout.",
        ),
    ),
)

PRIVATE_API = ProductSpec(
    key="private_api",
    slug="private-api",
    name="MLflow private API",
    owner="ML platform team",
    description=(
        "An HTTPS tracking URI for an MLflow core deployment, for clients outside its VPC "
        "(laptops, notebooks, training jobs): an API Gateway HTTP API over the core's VPC link, "
        "with IAM, JWT or the core's own authentication."
    ),
    support_description=_SUPPORT,
    versions=(
        Version("v1", "First release: HTTP API over the VPC link; NONE, AWS_IAM or JWT auth."),
        Version(
            "v2",
            "Refuses an authorization that does not match the core's auth mode (NONE in "
            "front of an iam-mode core would be an open MLflow); keep-alive without reserved "
            "concurrency (new accounts have too little to reserve); the pairing check gives "
            "up after 5 minutes instead of an hour.",
        ),
    ),
)

NOTEBOOK = ProductSpec(
    key="notebook",
    slug="notebook",
    name="MLflow notebook",
    owner="ML platform team",
    description=(
        "A SageMaker notebook instance whose kernels already point at an MLflow core "
        "deployment, with a sample notebook that trains, logs and registers a model."
    ),
    support_description=_SUPPORT,
    versions=(
        Version(
            "v1",
            "First release: notebook-al2023-v1, kernels wired to MLflow, sample notebook.",
        ),
        Version(
            "v2",
            "DirectInternetAccess auto (follows the deployment's network: Enabled only where "
            "its private subnets have no NAT); in per-user mode the notebook no longer gets "
            "the admin login; one bounded SSM call at start; in the VPC it uses the core's "
            "notebook subnet and security group (v1 split a dynamic reference and had no "
            "outbound HTTPS, so its VPC launches failed); with an IAM private API, kernels "
            "sign artifact uploads too. Needs MLflow core v2, which "
            "publishes the values it reads: update the deployment's core first.",
        ),
    ),
)

PRODUCTS: tuple[ProductSpec, ...] = (MLFLOW_CORE, PRIVATE_API, NOTEBOOK)


def product_by_slug(slug: str) -> ProductSpec:
    for spec in PRODUCTS:
        if spec.slug == slug:
            return spec
    raise KeyError(f"unknown product {slug!r}; known: {[p.slug for p in PRODUCTS]}")
