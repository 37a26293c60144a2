#!/usr/bin/env python3
"""One benchmark runner: every figure the issues ask for, as a table, target beside it.

    python bench/run.py [--quick] [--tests] [--only synth,runtime,tests] [--synth-runs N]

Sources are modules beside this file that expose `rows(**options)` returning rows of
(name, value, target) or, for proxy-vs-direct measurements, (name, through proxy, direct,
ratio). A source that is missing, has no `rows` yet, or cannot run here (no MariaDB, no
nginx) is reported as skipped with the reason; the other figures still print.
Figures, not assertions: nothing here fails on a missed target.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
Row = tuple[str, str, str]

# Targets from the issues, for sources whose rows carry none (matched on the row name's
# start). Issue 2: synth and test time; issue 3: runtime.
TARGETS: dict[str, str] = {
    "log_metric": "ratio >= 0.95",
    "log_batch": "ratio >= 0.95",
    "search_runs": "ratio >= 0.95",
    "50 MB upload": "ratio >= 0.9",
    "cold start": "<= 10 s",
    "first start": "<= 25 s",
    "PSS of server": "<= 600 MB",
    "PSS of nginx": "reported (added to the server's)",
    "per-user mode": "ratio >= 0.5 of basic",
}


@dataclass(frozen=True)
class Source:
    """A module under bench/ and the options its rows() takes."""

    name: str
    module: str
    options: Callable[[argparse.Namespace], dict[str, Any]] = field(default=lambda _args: {})


# Adding a figure source is one line here.
SOURCES: tuple[Source, ...] = (
    Source("synth", "synth", lambda a: {"runs": a.synth_runs}),
    Source("runtime", "runtime", lambda a: {"quick": a.quick}),
    # The server under a Fargate-like CPU quota (0.25 vCPU is the v2 dev task).
    Source("task-size", "task_size", lambda a: {"quick": a.quick}),
)


def target_for(name: str) -> str:
    return next((t for prefix, t in TARGETS.items() if name.startswith(prefix)), "")


def normalize(row: Sequence[str]) -> Row:
    """(name, value, target) as is; (name, proxy, direct, ratio) folded into one value."""
    if len(row) == 3:
        return (str(row[0]), str(row[1]), str(row[2]) or target_for(str(row[0])))
    if len(row) == 4:
        name, proxy, direct, ratio = (str(x) for x in row)
        if not direct:
            return (name, proxy, target_for(name))
        value = f"{proxy} vs {direct}" + (f", ratio {ratio}" if ratio else "")
        return (name, value, target_for(name))
    raise ValueError(f"a row has 3 or 4 fields, not {len(row)}: {row!r}")


def source_rows(source: Source, args: argparse.Namespace) -> list[Row]:
    """The rows of one source, or one 'skipped' row saying why."""
    try:
        module = importlib.import_module(source.module)
    except ModuleNotFoundError as err:
        return [(source.name, f"skipped: {err}", "")]
    rows = getattr(module, "rows", None)
    if rows is None:
        return [(source.name, f"skipped: bench/{source.module}.py has no rows() yet", "")]
    try:
        return [normalize(r) for r in rows(**source.options(args))]
    except Exception as err:  # one failing source must not hide the others
        return [(source.name, f"failed: {type(err).__name__}: {err}", "")]


def test_rows() -> list[Row]:
    """Wall time of `make test` minus setup: ruff, then the whole pytest suite."""
    started = time.perf_counter()
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, check=False
    )
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    summary = (tests.stdout.strip().splitlines() or ["no output"])[-1]
    return [
        ("test command (ruff + pytest), warm env", f"{seconds / 60:.1f} min", "< 10 min"),
        ("  its outcome", f"ruff rc {lint.returncode}; {summary.strip('= ')}", ""),
    ]


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} cores ({cpu}), {mem_kb / 1024**2:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
    ]


def render(rows: list[Row]) -> str:
    header: Row = ("figure", "value", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    rule = "  ".join("-" * w for w in widths)
    out = [rule, "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)), rule]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([*out, rule])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations where offered")
    parser.add_argument("--tests", action="store_true", help="also time the test command")
    parser.add_argument("--synth-runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated source names")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    sys.path.insert(0, str(HERE))
    rows: list[Row] = []
    for source in SOURCES:
        if not only or source.name in only:
            print(f"[bench] {source.name} ...", file=sys.stderr, flush=True)
            rows += source_rows(source, args)
    if args.tests or "tests" in only:
        print("[bench] tests ...", file=sys.stderr, flush=True)
        rows += test_rows()
    print("\n".join(machine()))
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
