"""`terminate NAME`: what it checks before terminating, and what it says after."""

from __future__ import annotations

from typing import Any

from .conftest import CatalogStub


def test_terminate_of_a_core_looks_up_its_product_first_and_lists_retained_data(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.search_products()
    sc.terminate("demo-core", "rec-t")
    sc.record("rec-t", "demo-core", "SUCCEEDED")
    run = run_cli("terminate", "demo-core", "--yes")
    assert run.code == 0, run.err
    assert "artifact bucket" in run.out and "final snapshot" in run.out
    assert sc.calls == ["DescribeProvisionedProduct", "SearchProducts",
                        "TerminateProvisionedProduct", "DescribeRecord"]


def test_a_failed_product_lookup_does_not_fail_a_termination(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.stub.add_client_error("search_products", "AccessDeniedException", "not authorized")
    sc.terminate("demo-core", "rec-t")
    sc.record("rec-t", "demo-core", "SUCCEEDED")
    run = run_cli("terminate", "demo-core", "--yes", "-o", "json")
    assert run.code == 0, run.err
    assert run.json()["record_id"] == "rec-t"
    assert "could not look up the product of demo-core" in run.err


def test_terminate_of_a_product_under_change_says_so_without_terminating(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-busy")
    run = run_cli("terminate", "demo-core", "--yes")
    assert run.code == 1
    assert "demo-core is being changed (record rec-busy); wait for it or run status" in run.err
    assert "TerminateProvisionedProduct" not in sc.calls


def test_terminate_refused_as_invalid_state_names_the_change(
        run_cli: Any, sc: CatalogStub) -> None:
    sc.provisioned("demo-core", "AVAILABLE")
    sc.search_products()
    sc.stub.add_client_error("terminate_provisioned_product", "InvalidStateException",
                             "invalid state")
    sc.provisioned("demo-core", "UNDER_CHANGE", record_id="rec-race")
    run = run_cli("terminate", "demo-core", "--yes", "-o", "json")
    assert run.code == 1
    assert run.json()["error"]["message"] == ("demo-core is being changed (record rec-race); "
                                              "wait for it or run status")
