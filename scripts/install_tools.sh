#!/usr/bin/env bash
# Security tools (checkov, pip-audit) in a virtualenv of their own: checkov pins
# libraries (boto3 among them) that clash with the project's, so they cannot share .venv.
# Idempotent: re-running with the same constraints-tools.txt changes nothing.
# Usage: scripts/install_tools.sh            install from the pins
#        scripts/install_tools.sh --relock   install the top-level pins afresh and re-pin the closure
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=".venv-tools"
CONSTRAINTS="constraints-tools.txt"
# Top-level tools; constraints-tools.txt pins them and everything they pull in.
# setuptools: the venv seeds an old release (CVE-2024-6345, CVE-2025-47273); pin the
# one the project builds with.
TOOLS=("checkov==3.3.30" "pip-audit==2.10.1" "setuptools==80.9.0")
PIP_VERSION="26.3"

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pip==$PIP_VERSION"

if [[ "${1:-}" == "--relock" ]]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${TOOLS[@]}"
    {
        echo "# Exact pins of the security tools' closure (checkov, pip-audit) for .venv-tools."
        echo "# Regenerate with: scripts/install_tools.sh --relock"
        "$VENV/bin/python" -m pip freeze --all --exclude pip
    } > "$CONSTRAINTS"
else
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c "$CONSTRAINTS" "${TOOLS[@]}"
fi

"$VENV/bin/checkov" --version >/dev/null
"$VENV/bin/pip-audit" --version >/dev/null
echo "security tools ready in $VENV: checkov $("$VENV/bin/checkov" --version), $("$VENV/bin/pip-audit" --version)"
