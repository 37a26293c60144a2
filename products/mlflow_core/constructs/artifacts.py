"""Artifact store: the S3 bucket behind MLflow's proxied artifact access."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from products.common.nag import acknowledge

# The server stores artifacts under this prefix (MLFLOW_ARTIFACTS_DESTINATION).
ARTIFACT_PREFIX = "artifacts"
NONCURRENT_VERSION_DAYS = 30
INCOMPLETE_UPLOAD_DAYS = 7


class ArtifactStore(Construct):
    """Exposes `bucket` and `destination` (s3://<bucket>/artifacts)."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            # No bucket_name: two launches in one account must not collide.
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Experiment data outlives the product.
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                ),
                s3.LifecycleRule(
                    id="AbortIncompleteMultipartUploads",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(
                        INCOMPLETE_UPLOAD_DAYS),
                ),
            ],
        )
        self.destination = f"s3://{self.bucket.bucket_name}/{ARTIFACT_PREFIX}"
        acknowledge(
            self.bucket, "AwsSolutions-S1",
            "Clients never reach the bucket directly: every artifact call goes through the "
            "auth proxy, whose JSON access log records user, path and status per request.",
        )

    def grant_server(self, role: iam.IGrantable) -> None:
        """Read, write and delete artifacts under the prefix; nothing else, nowhere else."""
        prefix_objects = self.bucket.arn_for_objects(f"{ARTIFACT_PREFIX}/*")
        role.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            sid="ArtifactObjects",
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                     "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            resources=[prefix_objects],
        ))
        # IfExists: S3 answers 404 for a missing key only to a caller allowed to list, and it
        # evaluates that on the HEAD/GET itself, which carries no s3:prefix. With plain
        # StringLike every missing artifact became a 403 (MLflow reports it as a permission
        # error). A listing that names a prefix must stay under artifacts/; one without a
        # prefix sees this deployment's own bucket, which holds nothing but artifacts.
        role.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            sid="ArtifactListing",
            actions=["s3:ListBucket"],
            resources=[self.bucket.bucket_arn],
            conditions={"StringLikeIfExists": {"s3:prefix": [f"{ARTIFACT_PREFIX}/*",
                                                             ARTIFACT_PREFIX]}},
        ))
