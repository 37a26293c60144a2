"""Launch parameters of MLflow private API: the one declaration."""

from __future__ import annotations

from mlflow_platform import contract
from products.common.parameters import ParamSpec

CONNECTION = "MLflow deployment"
ACCESS = "Access control"
TRAFFIC = "Traffic and logs"
DOMAIN = "Custom domain (optional)"

# What the Authorization parameter accepts; also published as api-authorization.
AUTHORIZATIONS = ("NONE", "AWS_IAM", "JWT")
LOG_RETENTION_DAYS = ("7", "14", "30", "60", "90", "180", "365", "731", "1827", "3653")

_HOST = r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"

PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "DeploymentName", "MLflow deployment name",
        "Name of the MLflow core deployment to expose (as given when it was launched).",
        CONNECTION, allowed_pattern=contract.DEPLOYMENT_NAME_PATTERN,
        constraint_description=contract.DEPLOYMENT_NAME_DESCRIPTION, max_length=32,
    ),
    ParamSpec(
        "Authorization", "Authorization",
        "NONE: the core's own login (basic or per-user) checks every request. AWS_IAM: "
        "clients sign with SigV4 (MLFLOW_TRACKING_AWS_SIGV4=true) and need the invoke policy "
        "this product outputs; launch the core with AuthMode iam. JWT: clients send a bearer "
        "token from the issuer below (e.g. a Cognito user pool); core AuthMode iam.",
        ACCESS, default="NONE", allowed_values=AUTHORIZATIONS,
    ),
    ParamSpec(
        "JwtIssuer", "JWT issuer (JWT only)",
        "Issuer URL of the tokens, e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>. "
        "Required when Authorization is JWT.",
        ACCESS, default="", allowed_pattern=r"^(|https://[^\s,]+)$",
        constraint_description="empty, or an https:// URL",
    ),
    ParamSpec(
        "JwtAudience", "JWT audiences (JWT only)",
        "Comma-separated accepted audiences (for Cognito: app client IDs). Required when "
        "Authorization is JWT.",
        ACCESS, default="", allowed_pattern=r"^(|[^\s,]+(,[^\s,]+)*)$",
        constraint_description="empty, or values separated by commas without spaces",
    ),
    ParamSpec(
        "ThrottlingRateLimit", "Requests per second",
        "Steady-state request rate the API accepts (all clients together); above it clients "
        "get 429 and the MLflow client retries.",
        TRAFFIC, default=200, type="Number", min_value=1, max_value=10000,
    ),
    ParamSpec(
        "ThrottlingBurstLimit", "Burst",
        "Requests the API accepts at once above the steady rate.",
        TRAFFIC, default=400, type="Number", min_value=1, max_value=5000,
    ),
    ParamSpec(
        "AccessLogRetentionDays", "Access log retention (days)",
        "How long the API's JSON access logs are kept in CloudWatch Logs.",
        TRAFFIC, default="90", type="Number", allowed_values=LOG_RETENTION_DAYS,
    ),
    ParamSpec(
        "DomainName", "Custom domain name",
        "Optional host name for the tracking URI, e.g. mlflow.example.com. Give the "
        "certificate too, then point a DNS record at the RegionalDomainName output.",
        DOMAIN, default="", allowed_pattern=rf"^(|{_HOST})$", max_length=253,
        constraint_description="empty, or a lower-case DNS name",
    ),
    ParamSpec(
        "CertificateArn", "Certificate of the custom domain",
        "ARN of an ACM certificate in this region that covers the custom domain name.",
        DOMAIN, default="",
        allowed_pattern=r"^(|arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36})$",
        constraint_description="empty, or an ACM certificate ARN",
    ),
)
