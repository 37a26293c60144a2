"""Artifact store: a private, versioned, encrypted bucket the server alone may use."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match, Template


def _bucket_id(template_json: dict[str, Any]) -> str:
    (bucket,) = [k for k, v in template_json["Resources"].items()
                 if v["Type"] == "AWS::S3::Bucket"]
    return bucket


def test_bucket_is_encrypted_versioned_private_and_retained(template: Template) -> None:
    template.has_resource("AWS::S3::Bucket", {
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": Match.object_like({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "BlockPublicPolicy": True,
                "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        }),
    })


def test_bucket_has_no_fixed_name(template_json: dict[str, Any]) -> None:
    bucket = template_json["Resources"][_bucket_id(template_json)]
    assert "BucketName" not in bucket["Properties"]


def test_lifecycle_expires_old_versions_and_aborts_incomplete_uploads(
        template: Template) -> None:
    template.has_resource_properties("AWS::S3::Bucket", {"LifecycleConfiguration": {
        "Rules": Match.array_with([
            Match.object_like({"Status": "Enabled",
                               "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}),
            Match.object_like({"Status": "Enabled",
                               "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}),
        ])}})


def test_bucket_policy_denies_plain_http(template: Template) -> None:
    template.has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {
        "Statement": Match.array_with([Match.object_like({
            "Effect": "Deny", "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })])}})


def test_server_role_reaches_only_the_artifact_prefix_of_this_bucket(
        template_json: dict[str, Any]) -> None:
    bucket = _bucket_id(template_json)
    statements = [s for v in template_json["Resources"].values()
                  if v["Type"] == "AWS::IAM::Policy"
                  for s in v["Properties"]["PolicyDocument"]["Statement"]
                  if any(str(a).startswith("s3:") for a in _list(s["Action"]))]
    assert statements, "no S3 permissions at all"
    for statement in statements:
        actions = _list(statement["Action"])
        assert not any(a in ("s3:*", "*") or a.endswith("*") for a in actions), actions
        for resource in _list(statement["Resource"]):
            text = json.dumps(resource)
            assert bucket in text, text
            assert text.count("*") <= 1
    objects = [s for s in statements if "s3:PutObject" in _list(s["Action"])]
    assert json.dumps(objects[0]["Resource"]).endswith('"/artifacts/*"]]}')


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_listing_is_confined_to_the_prefix_yet_missing_keys_are_404_not_403(
        template_json: dict[str, Any]) -> None:
    """S3 decides 404 vs 403 for a missing key by the caller's ListBucket right, evaluated on
    the HEAD/GET itself, which has no s3:prefix: only an IfExists condition lets that pass."""
    (listing,) = [s for v in template_json["Resources"].values()
                  if v["Type"] == "AWS::IAM::Policy"
                  for s in v["Properties"]["PolicyDocument"]["Statement"]
                  if "s3:ListBucket" in _list(s["Action"])]
    assert listing["Condition"] == {
        "StringLikeIfExists": {"s3:prefix": ["artifacts/*", "artifacts"]}}
    assert json.dumps(listing["Resource"]).count("*") == 0  # the bucket, not its objects
