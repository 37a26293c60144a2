"""The cost model: counts from (synthetic and real) templates, arithmetic, profiles, prices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlflow_platform.catalog import PRODUCTS
from scripts import cost
from tests.conftest import Synth

ROOT = Path(__file__).resolve().parents[2]

HOURS = 730


def _core_like() -> dict[str, Any]:
    """A template shaped like MLflow core with known counts per profile.

    dev: 1 NAT + 1 EIP, 1 task of 0.5 vCPU / 1 GB ARM64, DB floor 0 (one writer).
    prod: 2 NAT + 2 EIP, 2 tasks, DB floor 0.5 on a writer and a reader.
    Both: 1 ALB, 2 secrets, 3 alarms, 1 dashboard, 2 log groups, 1 bucket,
    1 interface endpoint in 2 subnets, 1 HTTP API.
    """
    prod = {"Condition": "IsProd"}
    res: dict[str, Any] = {
        "Nat1": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
        "Nat2": {"Type": "AWS::EC2::NatGateway", "Properties": {}, **prod},
        "Eip1": {"Type": "AWS::EC2::EIP", "Properties": {}},
        "Eip2": {"Type": "AWS::EC2::EIP", "Properties": {}, **prod},
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Scheme": "internal", "Type": "application"}},
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Cpu": "512", "Memory": "1024",
            "RuntimePlatform": {"CpuArchitecture": {"Ref": "CpuArchitecture"}}}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": {"Ref": "Task"},
            "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}}}},
        "Scaling": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ResourceId": {"Fn::Join": ["", ["service/", {"Ref": "Cluster"}, "/",
                                             {"Fn::GetAtt": ["Service", "Name"]}]]},
            "MinCapacity": {"Fn::If": ["MinTasksAuto", {"Fn::If": ["IsProd", 2, 1]},
                                       {"Ref": "MinTasks"}]},
            "MaxCapacity": 4}},
        "Db": {"Type": "AWS::RDS::DBCluster", "Properties": {
            "ServerlessV2ScalingConfiguration": {
                "MinCapacity": {"Fn::If": ["IsProd", 0.5, {"Ref": "DatabaseMinCapacity"}]},
                "MaxCapacity": 2}}},
        "Writer": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBClusterIdentifier": {"Ref": "Db"}, "DBInstanceClass": "db.serverless"}},
        "Reader": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBClusterIdentifier": {"Ref": "Db"}, "DBInstanceClass": "db.serverless"}, **prod},
        "Secret1": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Secret2": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Logs1": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "Logs2": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
        "Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcEndpointType": "Interface", "SubnetIds": ["subnet-a", "subnet-b"]}},
        "GatewayEndpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcEndpointType": "Gateway"}},
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}},
    }
    for i in range(3):
        res[f"Alarm{i}"] = {"Type": "AWS::CloudWatch::Alarm", "Properties": {}}
    return {
        "Parameters": {
            "DeploymentName": {"Type": "String"},
            "Profile": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
            "MinTasks": {"Type": "String", "Default": "auto"},
            "CpuArchitecture": {"Type": "String", "Default": "ARM64"},
            "DatabaseMinCapacity": {"Type": "String", "Default": "0"},
        },
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Profile"}, "prod"]},
            "MinTasksAuto": {"Fn::Equals": [{"Ref": "MinTasks"}, "auto"]},
        },
        "Resources": res,
    }


# Round, distinct prices so that every expected total is easy to compute by hand.
FAKE_PRICES = {
    "nat_gateway_hour": 0.1, "nat_gateway_gb": 1.0, "public_ipv4_hour": 0.01,
    "alb_hour": 0.02, "alb_lcu_hour": 0.1,
    "fargate_arm64_vcpu_hour": 0.04, "fargate_arm64_gb_hour": 0.004,
    "fargate_x86_64_vcpu_hour": 0.05, "fargate_x86_64_gb_hour": 0.005,
    "aurora_serverless_v2_acu_hour": 0.1, "aurora_storage_gb_month": 0.1,
    "aurora_io_million": 0.2, "s3_standard_gb_month": 0.02, "secret_month": 0.5,
    "http_api_million": 1.0, "interface_endpoint_az_hour": 0.01,
    "logs_ingest_gb": 0.5, "logs_stored_gb_month": 0.03, "alarm_month": 0.1,
    "dashboard_month": 3.0,
}


@pytest.fixture
def fake_prices(tmp_path: Path) -> cost.PriceTable:
    spec = {k: {"price": v, "unit": "u", "source": "test", "date": "2026-01"}
            for k, v in FAKE_PRICES.items()}
    (tmp_path / "test-1.json").write_text(json.dumps(
        {"region": "test-1", "hours_per_month": HOURS, "prices": spec}))
    return cost.load_prices("test-1", tmp_path)


def _by_key(estimate: cost.Estimate) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in estimate.lines:
        out[line.price_key] = out.get(line.price_key, 0) + (line.monthly or 0)
    return out


def _estimates(fake_prices: cost.PriceTable) -> dict[tuple[str, str], cost.Estimate]:
    found = cost.estimate_template("core", _core_like(), fake_prices)
    return {(e.profile, e.workload): e for e in found}


def test_dev_launch_has_one_nat_one_task_and_a_pausing_writer() -> None:
    inv = cost.inventory(_core_like(), {"Profile": "dev"})
    assert (inv.nat_gateways, inv.elastic_ips, inv.load_balancers) == (1, 1, 1)
    assert inv.task_groups == [cost.TaskGroup("Service", 1, 0.5, 1.0, "arm64")]
    assert inv.aurora == [cost.AuroraCluster("Db", 1, 0.0, 2.0)]
    assert (inv.secrets, inv.alarms, inv.dashboards, inv.log_groups) == (2, 3, 1, 2)
    assert (inv.interface_endpoint_azs, inv.http_apis, inv.buckets) == (2, 1, 1)


def test_prod_launch_has_a_nat_per_zone_two_tasks_and_a_reader_at_the_floor() -> None:
    inv = cost.inventory(_core_like(), {"Profile": "prod"})
    assert (inv.nat_gateways, inv.elastic_ips) == (2, 2)
    assert inv.task_groups[0].count == 2
    assert inv.aurora == [cost.AuroraCluster("Db", 2, 0.5, 2.0)]


def test_explicit_min_tasks_and_architecture_override_the_profile() -> None:
    inv = cost.inventory(_core_like(), {"MinTasks": "3", "CpuArchitecture": "X86_64"})
    assert inv.task_groups[0].count == 3 and inv.task_groups[0].architecture == "x86_64"


def test_unknown_parameter_override_is_rejected() -> None:
    with pytest.raises(KeyError, match="Profil"):
        cost.inventory(_core_like(), {"Profil": "dev"})


def test_dev_idle_total_is_the_sum_of_its_explained_lines(fake_prices: cost.PriceTable) -> None:
    idle = _estimates(fake_prices)[("dev", "idle")]
    assert _by_key(idle) == pytest.approx({
        "nat_gateway_hour": HOURS * 0.1,
        "nat_gateway_gb": cost.IDLE.nat_gb * 1.0,
        "public_ipv4_hour": HOURS * 0.01,
        "interface_endpoint_az_hour": 2 * HOURS * 0.01,
        "alb_hour": HOURS * 0.02,
        "fargate_arm64_vcpu_hour": 0.5 * HOURS * 0.04,
        "fargate_arm64_gb_hour": 1.0 * HOURS * 0.004,
        "aurora_storage_gb_month": cost.IDLE.db_storage_gb * 0.1,
        "secret_month": 2 * 0.5,
        "http_api_million": cost.IDLE.api_requests_millions * 1.0,
        "alarm_month": 3 * 0.1,
        "dashboard_month": 3.0,
        "logs_ingest_gb": 2 * cost.IDLE.logs_gb_per_group * 0.5,
        "logs_stored_gb_month": 2 * cost.IDLE.logs_gb_per_group * 0.03,
    }, abs=1e-3)
    assert "aurora_serverless_v2_acu_hour" not in _by_key(idle)  # paused: no ACU line
    assert idle.total == pytest.approx(sum(_by_key(idle).values()), abs=0.01)
    assert all(line.explanation and line.source and line.date for line in idle.lines)


def test_prod_costs_more_than_dev_by_the_nat_task_and_database_lines(
        fake_prices: cost.PriceTable) -> None:
    found = _estimates(fake_prices)
    dev, prod = _by_key(found[("dev", "idle")]), _by_key(found[("prod", "idle")])
    differs = {k for k in dev.keys() | prod.keys()
               if abs(prod.get(k, 0) - dev.get(k, 0)) > 1e-9}
    assert differs == {"nat_gateway_hour", "public_ipv4_hour", "fargate_arm64_vcpu_hour",
                       "fargate_arm64_gb_hour", "aurora_serverless_v2_acu_hour"}
    assert prod["nat_gateway_hour"] - dev["nat_gateway_hour"] == pytest.approx(HOURS * 0.1)
    assert prod["fargate_arm64_vcpu_hour"] == pytest.approx(2 * dev["fargate_arm64_vcpu_hour"])
    # Two instances at the 0.5 ACU floor, all month.
    assert prod["aurora_serverless_v2_acu_hour"] == pytest.approx(2 * 0.5 * HOURS * 0.1)
    assert found[("prod", "idle")].total > found[("dev", "idle")].total


def test_active_database_bills_hours_of_use_in_dev_and_usage_above_the_floor_in_prod(
        fake_prices: cost.PriceTable) -> None:
    found = _estimates(fake_prices)
    used = cost.ACTIVE.active_hours + cost.ACTIVE.db_pause_tail_hours
    dev = _by_key(found[("dev", "active")])["aurora_serverless_v2_acu_hour"]
    assert dev == pytest.approx(1 * cost.ACTIVE.db_active_acu * used * 0.1)
    prod = _by_key(found[("prod", "active")])["aurora_serverless_v2_acu_hour"]
    above = (cost.ACTIVE.db_active_acu - 0.5) * cost.ACTIVE.active_hours
    assert prod == pytest.approx(2 * (0.5 * HOURS + above) * 0.1)


def test_old_sample_idles_at_about_125_dollars_at_us_east_1_prices() -> None:
    prices = cost.load_prices("us-east-1")
    idle = next(e for e in cost.estimate_template("old", cost.old_sample_template(), prices)
                if e.workload == "idle")
    assert 120 <= idle.total <= 130
    assert {x.price_key for x in idle.lines} >= {"nat_gateway_hour", "alb_hour",
                                                  "fargate_x86_64_vcpu_hour", "secret_month"}


def test_every_price_has_a_unit_a_source_and_a_date() -> None:
    regions = cost.known_regions()
    assert "us-east-1" in regions
    for region in regions:
        table = cost.load_prices(region)
        assert table.region == region and table.prices
        for key, price in table.prices.items():
            assert price.price >= 0 and price.unit and price.source, f"{region} {key}"
            assert price.date[:4].isdigit() and price.date[:2] == "20", f"{region} {key}"


def test_us_east_1_prices_every_line_of_the_core_like_template() -> None:
    found = cost.estimate_template("core", _core_like(), cost.load_prices("us-east-1"))
    assert all(not e.missing for e in found)


def test_unknown_region_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(cost.UnknownRegionError, match=r"'xx-nowhere-1'.*us-east-1"):
        cost.load_prices("xx-nowhere-1")
    assert cost.main(["--region", "xx-nowhere-1"]) == 2
    assert "no price table for region 'xx-nowhere-1'" in capsys.readouterr().err


def test_a_region_without_a_price_shows_missing_lines_instead_of_zero() -> None:
    table = cost.load_prices("eu-west-2")
    found = cost.estimate_template("core", _core_like(), table)
    idle = next(e for e in found if e.workload == "idle")
    assert "nat_gateway_hour" in idle.missing
    text = cost.render_text(found, table, None)
    assert "no price for region" in text and "+ missing" in text


def test_target_check_names_the_largest_lines_when_missed(
        fake_prices: cost.PriceTable) -> None:
    found = cost.estimate_template("mlflow-core", _core_like(), fake_prices)
    found += cost.estimate_template("private-api", {"Resources": {}}, fake_prices)
    check = cost.target_check(found, target=10.0)
    assert not check.met and check.complete
    assert check.biggest[0].price_key == "nat_gateway_hour"
    assert "over by" in "\n".join(cost._target_text(check))


def test_update_doc_rewrites_only_the_generated_part(tmp_path: Path) -> None:
    doc = tmp_path / "cost.md"
    doc.write_text(f"# Cost\nintro\n{cost.BEGIN}\nold table\n{cost.END}\nafter\n")
    cost.update_doc(doc, "new table\n")
    assert doc.read_text() == f"# Cost\nintro\n{cost.BEGIN}\nnew table\n{cost.END}\nafter\n"


def test_real_templates_are_priced_at_us_east_1_with_only_known_gaps(synth: Synth) -> None:
    templates = {slug: synth.product_json(slug)
                 for slug in ("mlflow-core", "private-api", "notebook")}
    estimates = cost.estimate_all(templates, cost.load_prices("us-east-1"))
    gaps = {key for e in estimates for key in e.missing}
    # No dated price in the table yet for these: shown as missing, never as 0.
    assert gaps <= {"container_insights_cluster_month", "sagemaker_notebook_storage_gb_month"}
    idle = {(e.product, e.profile): e.total for e in estimates if e.workload == "idle"}
    assert idle[("mlflow-core", "prod")] > idle[("mlflow-core", "dev")] > 0
    existing = next(e for e in estimates if e.profile == "dev-existing-vpc")
    assert not {"nat_gateway_hour", "public_ipv4_hour"} & {x.price_key for x in existing.lines}


def test_product_templates_are_found_by_slug_in_a_synth_output(synth: Synth) -> None:
    found = cost.product_templates(synth.outdir)
    assert set(found) == {"mlflow-core", "private-api", "notebook"}
    assert found["private-api"] == synth.product_json("private-api")


def test_update_summary_writes_between_its_own_markers(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# Cost\n{cost.SUMMARY_BEGIN}\nold\n{cost.SUMMARY_END}\n{cost.BEGIN}\nx\n"
                   f"{cost.END}\n")
    cost.update_doc(doc, "new\n", cost.SUMMARY_BEGIN, cost.SUMMARY_END)
    assert cost.generated_part(doc, cost.SUMMARY_BEGIN, cost.SUMMARY_END) == "new\n"
    assert cost.generated_part(doc) == "x\n"  # the other block is untouched


def test_missing_markers_name_the_file_and_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text("# no markers\n")
    with pytest.raises(ValueError, match="cost-summary:begin"):
        cost.update_doc(doc, "new\n", cost.SUMMARY_BEGIN, cost.SUMMARY_END)
    assert doc.read_text() == "# no markers\n"


STALE_COST = "the cost tables are stale: run `make cost-docs` and commit docs/cost.md, README.md"


def test_committed_cost_docs_match_the_synthesized_templates(synth: Synth) -> None:
    templates = cost.product_templates(synth.outdir)  # as `make cost-docs` reads cdk.out
    assert set(templates) == {p.slug for p in PRODUCTS}
    prices = cost.load_prices(cost.DEFAULT_REGION)
    estimates = cost.estimate_all(templates, prices)
    check = cost.target_check(estimates)
    assert cost.generated_part(ROOT / "docs" / "cost.md") == cost.render_markdown(
        estimates, prices, check), STALE_COST
    assert cost.generated_part(
        ROOT / "README.md", cost.SUMMARY_BEGIN, cost.SUMMARY_END
    ) == cost.render_summary_markdown(estimates, prices, check), STALE_COST
