#!/usr/bin/env python3
"""CDK entry point: `cdk synth` / `cdk deploy` (or `python app.py`) build the portfolio."""

import json
import os

from portfolio.app import build_app, cdk_json_context

# `cdk` passes the merged context (cdk.json, cdk.context.json, -c flags) in
# CDK_CONTEXT_JSON; `python app.py` does not, so read cdk.json: both then produce
# identical templates.
raw = os.environ.get("CDK_CONTEXT_JSON")
outdir = None if "CDK_OUTDIR" in os.environ else "cdk.out"
app, _ = build_app(json.loads(raw) if raw else cdk_json_context(), outdir=outdir)
app.synth()
