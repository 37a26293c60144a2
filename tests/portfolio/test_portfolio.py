"""The portfolio stack: products, versions, access, shares, governance and images."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from mlflow_platform.catalog import (
    PRODUCTS,
    PROXY_IMAGE_REPOSITORY,
    SERVER_IMAGE_REPOSITORY,
)
from portfolio.launch_role import IAM_TYPES, SERVICE_ACTIONS, TYPE_ACTIONS, service_of
from tests.conftest import TEST_SETTINGS, Synth

SC = "AWS::ServiceCatalog::"


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def _product_ids(synth: Synth) -> dict[str, str]:
    """Product name -> logical ID in the portfolio template."""
    products = _resources(synth.portfolio_json(), SC + "CloudFormationProduct")
    return {r["Properties"]["Name"]: k for k, r in products.items()}


def test_portfolio_holds_the_three_catalog_products(synth: Synth) -> None:
    template = synth.portfolio()
    template.has_resource_properties(SC + "Portfolio", {
        "DisplayName": "MLflow Platform", "ProviderName": "ML platform team",
    })
    assert sorted(_product_ids(synth)) == sorted(p.name for p in PRODUCTS)
    template.resource_count_is(SC + "PortfolioProductAssociation", len(PRODUCTS))


@pytest.mark.parametrize("spec", PRODUCTS, ids=lambda p: p.slug)
def test_each_product_reads_well_in_the_console(synth: Synth, spec) -> None:
    synth.portfolio().has_resource_properties(SC + "CloudFormationProduct", {
        "Name": spec.name,
        "Owner": spec.owner,
        "Distributor": Match.any_value(),
        "Description": spec.description,
        "SupportDescription": spec.support_description,
        "SupportEmail": TEST_SETTINGS["supportEmail"],
        "SupportUrl": Match.string_like_regexp("^https://"),
        "ProvisioningArtifactParameters": [
            {"Name": v.name, "Description": v.description,
             "DisableTemplateValidation": False, "Info": Match.any_value()}
            for v in spec.versions
        ],
    })


@pytest.mark.parametrize("spec", PRODUCTS, ids=lambda p: p.slug)
def test_current_version_serves_the_synthesized_product_template(synth: Synth, spec) -> None:
    portfolio = synth.portfolio_json()
    product = portfolio["Resources"][_product_ids(synth)[spec.name]]["Properties"]
    current = product["ProvisioningArtifactParameters"][-1]
    url = current["Info"]["LoadTemplateFromURL"]["Fn::Sub"]
    digest = re.search(r"/([0-9a-f]{64})\.json$", url).group(1)
    assets = json.loads((synth.outdir / "MlflowPlatformPortfolio.assets.json").read_text())
    published = synth.outdir / assets["files"][digest]["source"]["path"]
    assert published == synth.product_path(spec.slug)
    assert published.read_bytes() == synth.product_path(spec.slug).read_bytes()


VARIANTS = ("synth", "synth_unshared")  # shared with the local role; one role per product


def test_every_product_has_a_launch_role_constraint_on_its_own_role(
        synth_unshared: Synth) -> None:
    template = synth_unshared.portfolio_json()
    constraints = _resources(template, SC + "LaunchRoleConstraint")
    constrained = {c["Properties"]["ProductId"]["Ref"] for c in constraints.values()}
    assert constrained == set(_product_ids(synth_unshared).values())
    roles = {c["Properties"]["RoleArn"]["Fn::GetAtt"][0] for c in constraints.values()}
    assert len(roles) == len(PRODUCTS)
    assert all(template["Resources"][r]["Type"] == "AWS::IAM::Role" for r in roles)
    assert all("LocalRoleName" not in c["Properties"] for c in constraints.values())


def _constraint_role(constraint: dict[str, Any]) -> str:
    props = constraint["Properties"]
    return props["RoleArn"]["Fn::GetAtt"][0] if "RoleArn" in props else (
        props["LocalRoleName"]["Ref"])


def _launch_statements(synth: Synth, product: str | None = None) -> list[dict[str, Any]]:
    """Statements of the launch roles (of one product's constraint, given its name)."""
    template = synth.portfolio_json()
    product_id = _product_ids(synth)[product] if product else None
    roles = {_constraint_role(c)
             for c in _resources(template, SC + "LaunchRoleConstraint").values()
             if product_id in (None, c["Properties"]["ProductId"]["Ref"])}
    statements = []
    for policy in _resources(template, "AWS::IAM::Policy").values():
        if {r["Ref"] for r in policy["Properties"]["Roles"]} & roles:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements, "launch roles have no policy"
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [
        statement["Action"]]


@pytest.mark.parametrize("variant", VARIANTS)
def test_launch_roles_are_not_admin(variant: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    template = synth.portfolio_json()
    for role in _resources(template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"] or not any(
            "AdministratorAccess" in json.dumps(a) or "PowerUserAccess" in json.dumps(a)
            for a in role["Properties"]["ManagedPolicyArns"]
        )
    for statement in _launch_statements(synth):
        actions = _actions(statement)
        assert "*" not in actions
        assert not [a for a in actions if a.endswith(":*") and a.startswith(("iam:", "s3:"))]


@pytest.mark.parametrize("variant", VARIANTS)
def test_launch_roles_manage_iam_only_under_the_platform_path(
        variant: str, request: pytest.FixtureRequest) -> None:
    for statement in _launch_statements(request.getfixturevalue(variant)):
        if statement.get("Sid") == "DetachPlatformPolicies":
            # Detaching from users' own roles (any path) on termination: only platform
            # policies, by condition.
            assert statement["Resource"] == "*"
            assert set(_actions(statement)) == {
                "iam:DetachRolePolicy", "iam:DetachUserPolicy", "iam:DetachGroupPolicy"}
            assert "/mlflow-platform/" in json.dumps(
                statement["Condition"]["ArnLike"]["iam:PolicyARN"])
            continue
        if any(a.startswith("iam:") for a in _actions(statement)):
            assert "Resource::*" not in json.dumps(statement)
            assert statement["Resource"] != "*"
            assert "/mlflow-platform/" in json.dumps(statement) or "aws-service-role" in (
                json.dumps(statement))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("spec", PRODUCTS, ids=lambda p: p.slug)
def test_launch_roles_cover_every_resource_type_of_their_product(
        variant: str, spec, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    granted = {a for s in _launch_statements(synth, spec.name) for a in _actions(s)}
    types = {r["Type"] for r in synth.product_json(spec.slug).get("Resources", {}).values()}
    for type_ in types:
        service = service_of(type_)  # KeyError names a type the launch role misses
        if service not in IAM_TYPES:
            assert set(SERVICE_ACTIONS[service]) <= granted, type_


def test_a_per_product_launch_role_grants_only_its_products_services(
        synth_unshared: Synth) -> None:
    """The notebook's role cannot touch VPCs, databases or ECS: only what its own templates
    (current and released versions) create."""
    notebook = {a.split(":")[0] for s in _launch_statements(synth_unshared, "MLflow notebook")
                for a in _actions(s)}
    core = {a.split(":")[0] for s in _launch_statements(synth_unshared, "MLflow core")
            for a in _actions(s)}
    assert "sagemaker" in notebook
    # (s3 only as s3:GetObject on the product templates, which every role reads.)
    assert not notebook & {"rds", "ecs", "elasticloadbalancing", "servicediscovery",
                           "lambda", "secretsmanager"}, notebook
    # EC2 only for the notebook instance's own network interface.
    notebook_ec2 = {a for s in _launch_statements(synth_unshared, "MLflow notebook")
                    for a in _actions(s) if a.startswith("ec2:")}
    assert notebook_ec2 == set(TYPE_ACTIONS["AWS::SageMaker::NotebookInstance"])
    assert not any(a.startswith(("ec2:CreateVpc", "ec2:Authorize", "ec2:CreateSecurityGroup"))
                   for a in notebook_ec2)
    assert {"ec2", "rds", "ecs"} <= core and "sagemaker" not in core


def test_principals_get_access(synth: Synth) -> None:
    template = synth.portfolio()
    for arn in TEST_SETTINGS["principals"]:
        template.has_resource_properties(SC + "PortfolioPrincipalAssociation", {
            "PrincipalARN": arn, "PrincipalType": "IAM",
        })


def test_portfolio_is_shared_with_accounts_and_the_ou(synth: Synth) -> None:
    template = synth.portfolio()
    for account in TEST_SETTINGS["shareAccounts"]:
        template.has_resource_properties(SC + "PortfolioShare", {
            "AccountId": account, "ShareTagOptions": True,
        })
    create = json.dumps(
        [r for r in synth.portfolio_json()["Resources"].values()
         if r["Type"] == "Custom::AWS"]
    )
    assert "createPortfolioShare" in create
    assert "ORGANIZATIONAL_UNIT" in create and "ou-ab12-cdefghij" in create
    assert "deletePortfolioShare" in create


def test_share_operations_run_one_at_a_time_and_the_org_share_can_be_followed(
        synth: Synth) -> None:
    resources = synth.portfolio_json()["Resources"]
    (org_share,) = [k for k, r in resources.items() if r["Type"] == "Custom::AWS"
                    and "createPortfolioShare" in json.dumps(r)]
    account_shares = [r for r in resources.values() if r["Type"] == SC + "PortfolioShare"]
    assert account_shares and all(org_share in r["DependsOn"] for r in account_shares)
    # A share that never came about does not fail a rollback or a delete.
    assert "ResourceNotFoundException" in json.dumps(resources[org_share]["Properties"]["Delete"])
    output = synth.portfolio_json()["Outputs"]["OrganizationShareStatusId"]
    assert output["Value"]["Fn::GetAtt"] == [org_share, "PortfolioShareToken"]


def test_version_lookups_run_again_when_the_products_artifact_ids_change(
        synth: Synth) -> None:
    lookups = [r for r in synth.portfolio_json()["Resources"].values()
               if r["Type"] == "Custom::AWS" and "describeProvisioningArtifact" in json.dumps(r)]
    assert lookups
    for lookup in lookups:
        assert "ProvisioningArtifactIds" in json.dumps(lookup["Properties"]["Update"])


def test_the_notification_topic_must_be_in_the_portfolios_region(synth: Synth) -> None:
    rule = synth.portfolio_json()["Rules"]["NotificationTopicInThisRegion"]
    (assertion,) = rule["Assertions"]
    region = TEST_SETTINGS["notificationTopicArn"].split(":")[3]
    assert assertion["Assert"] == {"Fn::Equals": [region, {"Ref": "AWS::Region"}]}
    assert region in assertion["AssertDescription"]


def test_tag_options_from_config_are_associated(synth: Synth) -> None:
    from portfolio.app import cdk_json_context

    options = cdk_json_context()["mlflow-platform"]["tagOptions"]
    template = synth.portfolio()
    count = sum(len(v) for v in options.values())
    template.resource_count_is(SC + "TagOption", count)
    for key, values in options.items():
        for value in values:
            template.has_resource_properties(SC + "TagOption", {"Key": key, "Value": value})
    template.resource_count_is(SC + "TagOptionAssociation", count)


def test_tag_updates_allowed_and_stack_events_notified(synth: Synth) -> None:
    template = synth.portfolio()
    template.resource_count_is(SC + "ResourceUpdateConstraint", len(PRODUCTS))
    template.has_resource_properties(SC + "ResourceUpdateConstraint", {
        "TagUpdateOnProvisionedProduct": "ALLOWED",
    })
    template.resource_count_is(SC + "LaunchNotificationConstraint", len(PRODUCTS))
    template.has_resource_properties(SC + "LaunchNotificationConstraint", {
        "NotificationArns": [TEST_SETTINGS["notificationTopicArn"]],
    })


@pytest.mark.parametrize("name", [SERVER_IMAGE_REPOSITORY, PROXY_IMAGE_REPOSITORY])
def test_image_repositories_are_immutable_scanned_and_shared(synth: Synth, name) -> None:
    synth.portfolio().has_resource(
        "AWS::ECR::Repository",
        {
            "Properties": {
                "RepositoryName": name,
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": {"ScanOnPush": True},
                "RepositoryPolicyText": {"Statement": Match.array_with([
                    Match.object_like({
                        "Action": Match.array_with(["ecr:BatchGetImage"]),
                        "Principal": {"AWS": Match.array_with([
                            {"Fn::Join": ["", Match.array_with([
                                Match.string_like_regexp("222222222222")])]}
                        ])},
                    }),
                    Match.object_like({
                        "Condition": {"ForAnyValue:StringLike": {
                            "aws:PrincipalOrgPaths": "*/ou-ab12-cdefghij/*"}},
                    }),
                ])},
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_a_shared_portfolio_uses_one_named_local_launch_role(synth: Synth) -> None:
    # For shared accounts: the constraint names a role that must exist in each of them.
    local = synth.portfolio_json()
    name = TEST_SETTINGS["localLaunchRoleName"]
    named = {k: r for k, r in _resources(local, "AWS::IAM::Role").items()
             if r["Properties"].get("RoleName") == name}
    assert len(named) == 1
    (role_id, role), = named.items()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "servicecatalog.amazonaws.com"}
    constraints = _resources(local, SC + "LaunchRoleConstraint").values()
    assert len(constraints) == len(PRODUCTS)
    # Ref of a role is its name: the constraint names the role, it does not pin an ARN.
    assert all(c["Properties"]["LocalRoleName"] == {"Ref": role_id} for c in constraints)
    assert all("RoleArn" not in c["Properties"] for c in constraints)


def _role_and_policy(template: dict[str, Any], name: str) -> tuple[dict, dict]:
    (role_id, role), = [(k, r) for k, r in _resources(template, "AWS::IAM::Role").items()
                        if r["Properties"].get("RoleName") == name]
    (policy,) = [p for p in _resources(template, "AWS::IAM::Policy").values()
                 if p["Properties"]["Roles"] == [{"Ref": role_id}]]
    return role["Properties"], policy["Properties"]["PolicyDocument"]


def test_recipient_accounts_get_the_same_launch_role_as_a_stackset_template(
        synth: Synth) -> None:
    path = synth.recipient_role_path()
    assert path is not None, "no launch-role template for the recipient accounts"
    recipient = json.loads(path.read_text())
    name = TEST_SETTINGS["localLaunchRoleName"]
    home_role, home_policy = _role_and_policy(synth.portfolio_json(), name)
    role, policy = _role_and_policy(recipient, name)
    assert policy == home_policy
    assert role == home_role
    # Deployable as a StackSet into accounts without CDK bootstrap: nothing but the role.
    assert "Parameters" not in recipient and "Rules" not in recipient
    assert {r["Type"] for r in recipient["Resources"].values()} == {
        "AWS::IAM::Role", "AWS::IAM::Policy"}


def test_an_unshared_portfolio_has_no_recipient_template(synth_unshared: Synth) -> None:
    assert synth_unshared.recipient_role_path() is None
    roles = _resources(synth_unshared.portfolio_json(), "AWS::IAM::Role").values()
    assert not any("RoleName" in r["Properties"] for r in roles)
