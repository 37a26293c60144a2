"""The committed architecture diagram is the one the synthesized templates give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlflow_platform.catalog import PRODUCTS
from scripts import diagram
from tests.conftest import Synth

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOT = DOCS / "architecture.dot"
PNG = DOCS / "architecture.png"
STALE = ("docs/architecture.* is stale: run `make diagram` and commit docs/architecture.dot, "
         "docs/architecture.png and docs/architecture.png.sha256")


def test_committed_dot_matches_the_synthesized_templates(synth: Synth) -> None:
    templates = {p.slug: synth.product_json(p.slug) for p in PRODUCTS}
    expected = diagram.render_dot(templates)
    assert DOT.is_file(), STALE
    assert DOT.read_text() == expected, STALE


def test_committed_png_was_rendered_from_the_committed_dot() -> None:
    assert PNG.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", STALE
    recorded = diagram.sidecar(DOCS / "architecture").read_text().split()[0]
    assert recorded == diagram.dot_digest(DOT.read_text()), STALE


def _resource(type_: str, **props: Any) -> dict[str, Any]:
    return {"Type": type_, "Properties": props}


def _ssm_name(suffix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["/app/", {"Ref": "DeploymentName"}, f"/{suffix}"]]}


def test_a_product_reading_anothers_ssm_parameter_points_at_what_it_publishes() -> None:
    publisher = {"Resources": {
        "Lb": _resource("AWS::ElasticLoadBalancingV2::LoadBalancer", Scheme="internal"),
        "Listener": _resource("AWS::ElasticLoadBalancingV2::Listener",
                              LoadBalancerArn={"Ref": "Lb"}),
        "Published": _resource("AWS::SSM::Parameter", Name=_ssm_name("listener-arn"),
                               Value={"Ref": "Listener"}),
    }}
    consumer = {"Resources": {
        "Api": _resource("AWS::ApiGatewayV2::Api", ProtocolType="HTTP"),
        "Integration": _resource("AWS::ApiGatewayV2::Integration", ApiId={"Ref": "Api"},
                                 IntegrationUri={"Fn::Join": ["", [
                                     "{{resolve:ssm:/app/", {"Ref": "DeploymentName"},
                                     "/listener-arn}}"]]}),
    }}
    dot = diagram.render_dot({"core": publisher, "api": consumer})
    assert 'api__Api -> core__Lb [label="SSM listener-arn", style=dashed];' in dot
    # The listener is plumbing: drawn as the load balancer, not as a node of its own.
    assert "Listener" not in dot.split("subgraph cluster_core")[1].split("}")[0]


def test_resources_behind_a_condition_say_so() -> None:
    template = {"Resources": {"Nat": {**_resource("AWS::EC2::NatGateway"),
                                      "Condition": "IsProd"}}}
    assert "NAT gateway\\nonly if IsProd" in diagram.render_dot({"core": template})
