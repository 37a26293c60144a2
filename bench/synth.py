#!/usr/bin/env python3
"""Wall time of a full synth (`python app.py`, cdk-nag included): median of several runs.

Target (issue 2): a median of 12 s or less on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synth_seconds(runs: int = 5) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDK_")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            env["CDK_OUTDIR"] = out
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "app.py"], cwd=ROOT, env=env, check=True, capture_output=True
            )
            times.append(time.perf_counter() - start)
    return times


def rows(runs: int = 5) -> list[tuple[str, str, str]]:
    times = synth_seconds(runs)
    return [
        ("full synth, median", f"{statistics.median(times):.1f} s", "<= 12 s"),
        ("full synth, min / max", f"{min(times):.1f} / {max(times):.1f} s", f"{runs} runs"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for name, value, target in rows(args.runs):
        print(f"{name:40} {value:>16}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
