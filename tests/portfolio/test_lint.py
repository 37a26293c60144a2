"""cfn-lint over the portfolio template (both shapes) and the recipients' launch-role template.

Ignored rules and their reasons: tests/helpers/cfn_lint.py (the one list).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portfolio.app import ROOT
from tests.conftest import Synth
from tests.helpers.cfn_lint import IGNORED_RULES, describe, lint


@pytest.mark.parametrize("variant", ["synth", "synth_unshared"])
def test_portfolio_template_is_cfn_lint_clean(variant: str,
                                              request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    paths = [synth.outdir / synth.stack.template_file]
    recipient = synth.recipient_role_path()
    if recipient is not None:
        paths.append(recipient)
    findings = lint(paths)
    assert not findings, describe(findings)


def test_lint_reports_a_broken_portfolio_resource(synth: Synth, tmp_path: Path) -> None:
    """The gate can fail: a portfolio without its provider name, and a product association
    referring to a product that does not exist, are both reported on the real template."""
    template = synth.portfolio_json()
    resources = template["Resources"].values()
    portfolio = next(r for r in resources if r["Type"] == "AWS::ServiceCatalog::Portfolio")
    del portfolio["Properties"]["ProviderName"]
    association = next(r for r in resources
                       if r["Type"] == "AWS::ServiceCatalog::PortfolioProductAssociation")
    association["Properties"]["ProductId"] = {"Ref": "NoSuchProduct"}
    broken = tmp_path / "broken.template.json"
    broken.write_text(json.dumps(template))
    rules = {f["Rule"]["Id"] for f in lint([broken])}
    assert {"E3003", "E1020"} <= rules, rules


def test_every_ignored_rule_has_a_reason_and_the_makefile_ignores_the_same() -> None:
    assert all(re.fullmatch(r"[EWI]\d{4}", rule) for rule in IGNORED_RULES)
    assert all(len(reason) >= 40 for reason in IGNORED_RULES.values())
    makefile = (ROOT / "Makefile").read_text()
    ignored = re.findall(r"cfn-lint\b[^\n]*?--ignore-checks\s+((?:[EWI]\d{4}[ ,]*)+)", makefile)
    assert ignored, "the Makefile's lint target no longer runs cfn-lint with --ignore-checks"
    for group in ignored:
        assert set(re.findall(r"[EWI]\d{4}", group)) == set(IGNORED_RULES), group
