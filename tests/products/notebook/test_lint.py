"""The notebook template passes cfn-lint (ignores in tests/helpers/lint.py, with reasons)."""

from __future__ import annotations

from typing import Any

from tests.helpers.lint import cfn_lint


def test_template_is_cfn_lint_clean(synth: Any) -> None:
    result = cfn_lint(synth.product_path("notebook"))
    assert result.returncode == 0, result.stdout + result.stderr
