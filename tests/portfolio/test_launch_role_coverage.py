"""Launch roles against what CloudFormation really calls.

Each resource type's handler lists the IAM actions CloudFormation may call to create, read,
update and delete it (the resource provider schemas, as cfn-lint ships them). A launch role
that lacks one fails the launch, an update or a termination on AWS, which no offline synth
shows. So every listed action of every resource type in a product's templates (current and
every served version) is either granted to the product's launch role or named below as a
feature the templates do not use, with the reason.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from mlflow_platform.catalog import PRODUCTS, ProductSpec
from portfolio import launch_role
from portfolio.app import SNAPSHOT_DIR
from tests.conftest import Synth
from tests.portfolio.test_portfolio import _actions, _launch_statements

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
HANDLERS = ("create", "read", "update", "delete")

# (resource type pattern, action pattern) -> why the templates never need it.
UNUSED: dict[tuple[str, str], str] = {
    ("AWS::ApiGatewayV2::VpcLink", "iam:*ServiceLinkedRole*"): "the VPC link's service-linked "
    "role serves every VPC link of the account: a product must never delete it",
    ("AWS::ApplicationAutoScaling::ScalableTarget", "lambda:*ProvisionedConcurrencyConfig"):
    "the scalable target is an ECS service, not a Lambda alias",
    ("AWS::EC2::EIP", "ec2:AcceptAddressTransfer"): "no Elastic IP transfers between accounts",
    ("AWS::EC2::FlowLog", "autoscaling:DescribeTags"): "flow logs on a VPC, never on an Auto "
    "Scaling group",
    ("AWS::EC2::NatGateway", "ec2:*NatGatewayAddress"): "one Elastic IP per NAT gateway, no "
    "secondary or private NAT addresses",
    ("AWS::EC2::Subnet", "ec2:*SubnetCidrBlock"): "IPv4 subnets with one CIDR block, no IPv6",
    ("AWS::EC2::VPC", "ec2:CreateVpcEncryptionControl"): "no VPC encryption controls",
    ("AWS::EC2::VPC", "ec2:ModifyVpcTenancy"): "default tenancy, never changed",
    ("AWS::EC2::VPCEndpoint", "vpc-lattice:*"): "gateway endpoints, no VPC Lattice service "
    "networks",
    ("AWS::EC2::VPCEndpoint", "vpce:AllowMultiRegion"): "endpoints in the product's region only",
    ("AWS::EC2::VPCGatewayAttachment", "ec2:*VpnGateway"): "internet gateways only, no VPN "
    "gateway",
    ("AWS::ECS::Cluster", "kms:*"): "no customer key for managed storage or ECS Exec",
    ("AWS::ECS::Cluster", "ecs:PutAccountSetting*"): "account-wide ECS settings are the "
    "account owner's, never a product's",
    ("AWS::ElasticLoadBalancingV2::Listener", "cognito-idp:*"): "no Cognito authentication "
    "action on the load balancer",
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "elasticloadbalancing:SetIpAddressType"):
    "IPv4 load balancer, never changed",
    ("AWS::IAM::Policy", "iam:*UserPolicy"): "inline policies go on the product's own roles "
    "only, never on users: that would be a privilege escalation path",
    ("AWS::IAM::Policy", "iam:*GroupPolicy"): "inline policies go on the product's own roles "
    "only, never on groups",
    ("AWS::IAM::ManagedPolicy", "iam:Attach*Policy"): "the template attaches the invoke policy "
    "to nobody (users attach it themselves); detaching is granted for termination",
    ("AWS::IAM::Role", "iam:*RolePermissionsBoundary"): "no permissions boundary",
    ("AWS::Lambda::Function", "kms:*"): "environment encrypted with the AWS managed key",
    ("AWS::Lambda::Function", "ec2:*"): "the functions run outside any VPC",
    ("AWS::Lambda::Function", "elasticfilesystem:*"): "no file system",
    ("AWS::Lambda::Function", "s3files:*"): "no file system",
    ("AWS::Lambda::Function", "s3:GetObjectVersion"): "inline code, no S3 code package",
    ("AWS::Lambda::Function", "lambda:*CodeSigningConfig"): "no code signing (the reads "
    "CloudFormation does are granted)",
    ("AWS::Lambda::Function", "lambda:GetLayerVersion"): "no layers",
    ("AWS::Lambda::Function", "lambda:PutRuntimeManagementConfig"): "default runtime updates",
    ("AWS::Lambda::Function", "lambda:PutFunctionRecursionConfig"): "default recursion "
    "detection",
    ("AWS::Lambda::Function", "lambda:PutFunctionScalingConfig"): "no capacity provider",
    ("AWS::Lambda::Function", "lambda:PassCapacityProvider"): "no capacity provider",
    ("AWS::Lambda::Function", "lambda:AssociateRuntimeAlias"): "no runtime alias",
    ("AWS::Lambda::Function", "lambda:PublishVersion"): "no published versions",
    ("AWS::Logs::LogGroup", "logs:*DataProtectionPolicy"): "no data protection policy (the "
    "read CloudFormation does is granted)",
    ("AWS::Logs::LogGroup", "logs:*IndexPolic*"): "no field index policy (the read is granted)",
    ("AWS::Logs::LogGroup", "logs:PutBearerTokenAuthentication"): "no bearer-token ingestion",
    ("AWS::Logs::LogGroup", "logs:*KmsKey"): "log groups use the service key",
    ("AWS::Logs::LogGroup", "logs:DeleteResourcePolicy"): "log groups carry no resource policy",
    ("AWS::Logs::LogGroup", "logs:PutLogGroupDeletionProtection"): "no deletion protection on "
    "log groups",
    ("AWS::Logs::LogGroup", "s3:REST.PUT.OBJECT"): "no export to S3",
    ("AWS::Logs::LogGroup", "firehose:*"): "no Firehose delivery",
    ("AWS::RDS::DBCluster", "rds:*Role*DBCluster"): "no IAM roles on the cluster",
    ("AWS::RDS::DBCluster", "rds:*HttpEndpoint"): "no Data API",
    ("AWS::RDS::DBCluster", "rds:Restore*"): "new clusters only; restoring a snapshot is a "
    "manual recovery outside the product",
    ("AWS::RDS::DBCluster", "rds:RemoveFromGlobalCluster"): "no global database",
    ("AWS::RDS::DBInstance", "iam:ListRoles"): "no Enhanced Monitoring role",
    ("AWS::RDS::DBInstance", "kms:*"): "storage encrypted with the AWS managed key, whose key "
    "policy admits the account's principals through RDS",
    ("AWS::RDS::DBInstance", "rds:*Role*DBInstance"): "no IAM roles on the instance",
    ("AWS::RDS::DBInstance", "rds:*ReadReplica*"): "Aurora readers, not read replicas",
    ("AWS::RDS::DBInstance", "rds:Restore*"): "new instances only",
    ("AWS::RDS::DBInstance", "rds:*AutomatedBackupsReplication"): "no cross-region backups",
    ("AWS::RDS::DBInstance", "rds:CreateDBSnapshot"): "Aurora instances have no snapshots of "
    "their own: the cluster's final snapshot (rds:CreateDBClusterSnapshot) is granted",
    ("AWS::S3::Bucket", "s3:DeleteBucket"): "every bucket is retained (DeletionPolicy Retain): "
    "CloudFormation never deletes one, and the launch role must not be able to",
    ("AWS::S3::Bucket", "s3:DeleteBucket?*"): "no bucket configuration is ever removed",
    ("AWS::S3::Bucket", "s3tables:*"): "no table buckets",
    ("AWS::S3::Bucket", "s3:*BucketMetadata*"): "no metadata tables",
    ("AWS::S3::Bucket", "s3:Put*Configuration"): "only encryption, lifecycle, versioning, "
    "ownership and public access block are set (granted as PutBucket*, PutEncryption..., "
    "PutLifecycle...)",
    ("AWS::S3::Bucket", "s3:PutObjectAcl"): "no object ACLs (bucket owner enforced)",
    ("AWS::S3::Bucket", "s3:DeleteObject"): "the launch role never deletes experiment data",
    ("AWS::SageMaker::NotebookInstance", "kms:*"): "the ML volume uses SageMaker's AWS managed "
    "key (no KmsKeyId)",
    ("AWS::SecretsManager::Secret", "secretsmanager:*Replicat*"): "secrets in one region",
    ("AWS::SecretsManager::SecretTargetAttachment", "redshift*"): "attached to an RDS cluster",
    ("AWS::SecretsManager::SecretTargetAttachment", "docdb-elastic:*"): "attached to an RDS "
    "cluster",
    ("AWS::ApiGatewayV2::*", "apigateway:*TagResource"): "named by the handlers, but IAM "
    "knows no such API Gateway actions (cfn-lint W3037): tagging is authorized as "
    "apigateway:PUT/DELETE on /tags/<arn>, which is granted",
    ("AWS::ApiGatewayV2::DomainName", "apigateway:*CertificateFromDomain"): "no mutual TLS "
    "truststore",
    ("AWS::ApiGatewayV2::DomainName", "apigateway:AddCertificateToDomain"): "no mutual TLS "
    "truststore",
    ("AWS::ApiGatewayV2::DomainName", "s3:GetObjectVersion"): "no mutual TLS truststore",
}


@cache
def _providers() -> dict[str, str]:
    return json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text())


def handler_actions(resource_type: str) -> set[str]:
    """Every action the resource type's handlers list; empty for custom resources."""
    name = _providers().get(resource_type)
    if name is None:
        assert resource_type.startswith("Custom::"), f"no schema for {resource_type}"
        return set()
    schema = json.loads((SCHEMAS / "resources" / f"{name}.json").read_text())
    handlers = schema.get("handlers", {})
    return {a for h in HANDLERS for a in handlers.get(h, {}).get("permissions", [])}


def _matches(action: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def _unused_key(resource_type: str, action: str) -> tuple[str, str] | None:
    """The UNUSED entry that names this action of this type, if any."""
    return next((key for key in UNUSED if fnmatch.fnmatchcase(resource_type, key[0])
                 and fnmatch.fnmatchcase(action.lower(), key[1].lower())), None)


def _types(synth: Synth, spec: ProductSpec) -> set[str]:
    """Resource types of the product's current template and every committed snapshot."""
    templates: list[dict[str, Any]] = [synth.product_json(spec.slug)]
    stack_id = synth.product_path(spec.slug).name.split(".")[0]
    templates += [json.loads(p.read_text())
                  for p in SNAPSHOT_DIR.glob(f"*.{stack_id}.*.product.template.json")]
    return {r["Type"] for t in templates for r in t.get("Resources", {}).values()}


def _granted(synth: Synth, spec: ProductSpec) -> set[str]:
    return {a for s in _launch_statements(synth, spec.name) for a in _actions(s)}


def _ungranted(types: set[str], granted: set[str]) -> Iterator[tuple[str, str]]:
    """(type, action) of every handler action of these types the role does not grant."""
    for resource_type in sorted(types):
        for action in sorted(handler_actions(resource_type)):
            if not _matches(action, granted):
                yield resource_type, action


def missing_actions(types: set[str], granted: set[str]) -> dict[str, set[str]]:
    """Handler actions of these types that are neither granted nor named as unused."""
    missing: dict[str, set[str]] = {}
    for resource_type, action in _ungranted(types, granted):
        if _unused_key(resource_type, action) is None:
            missing.setdefault(resource_type, set()).add(action)
    return missing


@pytest.mark.parametrize("variant", ["synth", "synth_unshared"])
@pytest.mark.parametrize("spec", PRODUCTS, ids=lambda p: p.slug)
def test_launch_role_grants_every_action_cloudformation_calls_for_its_product(
        variant: str, spec: ProductSpec, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    assert _types(synth, spec)
    missing = missing_actions(_types(synth, spec), _granted(synth, spec))
    assert not missing, (
        "the launch role lacks actions CloudFormation calls (grant them in "
        f"portfolio/launch_role.py, or name the unused feature in UNUSED): {missing}")


def test_every_unused_entry_is_needed(synth_unshared: Synth) -> None:
    """An UNUSED entry that matches nothing ungranted is stale: the list only shrinks."""
    seen = {_unused_key(resource_type, action)
            for spec in PRODUCTS
            for resource_type, action in _ungranted(_types(synth_unshared, spec),
                                                    _granted(synth_unshared, spec))}
    assert set(UNUSED) - seen == set()


def test_a_role_from_the_service_lists_alone_fails_a_notebook_in_a_vpc(
        synth_unshared: Synth, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the check catches: SageMaker creates the notebook's network interface in the
    user's subnet with the launch role's credentials, and the notebook template has no EC2
    resource, so a role built from its service lists alone fails every launch in a VPC."""
    notebook = next(p for p in PRODUCTS if p.slug == "notebook")
    types = _types(synth_unshared, notebook)

    def granted() -> set[str]:
        return {a for s in launch_role.launch_policy_statements(types) for a in s.actions}

    assert missing_actions(types, granted()) == {}
    monkeypatch.setattr(launch_role, "TYPE_ACTIONS", {})
    missing = missing_actions(types, granted())
    assert {"ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface"} <= missing["AWS::SageMaker::NotebookInstance"]
