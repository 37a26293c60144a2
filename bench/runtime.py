#!/usr/bin/env python3
"""Measure the MLflow core runtime on this machine and print a table (figures, not assertions).

    python bench/runtime.py [--quick]

Starts the local stack on MariaDB (scripts/local_stack.py), then measures through the proxy and
directly against MLflow in the same run: log_metric calls/s, log_batch(1000) latency,
search_runs over 1000 runs, 50 MB upload throughput; cold start against a migrated database;
first start migrating an empty database; PSS of the server processes and of nginx; per-user
vs basic-auth throughput. A few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scripts.local_stack import LocalStack, ServerProcess, session_pids  # noqa: E402

MB = 1024 * 1024
Row = tuple[str, str, str, str]


def client_for(uri: str, user: str | None = None, password: str | None = None):
    import mlflow

    if user:
        os.environ["MLFLOW_TRACKING_USERNAME"] = user
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password or ""
    else:
        os.environ.pop("MLFLOW_TRACKING_USERNAME", None)
        os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)
    return mlflow.tracking.MlflowClient(tracking_uri=uri)


def calls_per_second(action: Callable[[int], None], count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        action(i)
    return count / (time.perf_counter() - started)


def median_seconds(action: Callable[[], None], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def pss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


class Bench:
    def __init__(self, stack: LocalStack, quick: bool) -> None:
        self.stack = stack
        self.rows: list[Row] = []
        self.scale = 0.3 if quick else 1.0
        self.tmp = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))

    def n(self, count: int) -> int:
        return max(10, int(count * self.scale))

    def both(self) -> dict[str, object]:
        return {
            "proxy": client_for(self.stack.tracking_uri, self.stack.username, self.stack.password),
            "direct": client_for(self.stack.direct_uri),
        }

    def add(self, what: str, proxy: float, direct: float, unit: str, higher_better: bool) -> None:
        ratio = proxy / direct if higher_better else direct / proxy
        self.rows.append((what, f"{proxy:.2f} {unit}", f"{direct:.2f} {unit}", f"{ratio:.2f}"))

    def _client(self, kind: str):
        if kind == "proxy":
            return client_for(self.stack.tracking_uri, self.stack.username, self.stack.password)
        return client_for(self.stack.direct_uri)

    def log_metric(self) -> None:
        results: dict[str, list[float]] = {"proxy": [], "direct": []}
        for _ in range(3):  # interleaved, so drift hits both sides alike
            for kind in ("direct", "proxy"):
                client = self._client(kind)
                exp = client.create_experiment(f"bench-metric-{kind}-{time.time_ns()}")
                run_id = client.create_run(exp).info.run_id
                rate = calls_per_second(
                    lambda i, c=client, r=run_id: c.log_metric(r, "m", float(i), step=i),
                    self.n(150),
                )
                results[kind].append(rate)
        self.add(
            "log_metric (sequential)",
            statistics.median(results["proxy"]),
            statistics.median(results["direct"]),
            "calls/s",
            True,
        )

    def log_batch(self) -> None:
        from mlflow.entities import Metric

        batch = [Metric("b", float(i), 1_700_000_000_000 + i, i) for i in range(1000)]
        latency = {}
        for kind in ("direct", "proxy"):
            client = self._client(kind)
            exp = client.create_experiment(f"bench-batch-{kind}-{time.time_ns()}")
            run_id = client.create_run(exp).info.run_id
            latency[kind] = (
                median_seconds(lambda c=client, r=run_id: c.log_batch(r, metrics=batch), 7) * 1000
            )
        self.add("log_batch of 1000 metrics", latency["proxy"], latency["direct"], "ms", False)

    def search_runs(self) -> None:
        direct = self._client("direct")
        exp = direct.create_experiment(f"bench-search-{time.time_ns()}")
        for i in range(1000):
            run = direct.create_run(exp, tags={"i": str(i)})
            if i % 10 == 0:
                direct.log_metric(run.info.run_id, "score", float(i))
        latency = {}
        for kind in ("direct", "proxy"):
            client = self._client(kind)
            latency[kind] = (
                median_seconds(lambda c=client: c.search_runs([exp], max_results=1000), 5) * 1000
            )
        self.add("search_runs over 1000 runs", latency["proxy"], latency["direct"], "ms", False)

    def upload(self) -> None:
        source = self.tmp / "fifty.bin"
        with open(source, "wb") as handle:
            for _ in range(50):
                handle.write(os.urandom(MB))
        throughput: dict[str, list[float]] = {"proxy": [], "direct": []}
        for _ in range(2):
            for kind in ("direct", "proxy"):
                client = self._client(kind)
                exp = client.create_experiment(f"bench-upload-{kind}-{time.time_ns()}")
                run_id = client.create_run(exp).info.run_id
                seconds = median_seconds(
                    lambda c=client, r=run_id: c.log_artifact(r, str(source)), 1
                )
                throughput[kind].append(50 / seconds)
        self.add(
            "50 MB upload (proxied artifacts)",
            max(throughput["proxy"]),
            max(throughput["direct"]),
            "MB/s",
            True,
        )

    def starts(self) -> None:
        cold = [self.stack.restart_server() for _ in range(2)]
        self.rows.append(
            ("cold start to healthy, migrated DB", f"{min(cold):.1f} s (best of 2)", "", "")
        )
        assert self.stack.mariadb is not None
        name = f"bench_empty_{time.time_ns() % 10**8}"
        self.stack.mariadb.create_database(name, self.stack.db_user, self.stack.db_password)
        server = ServerProcess(
            self.stack.workdir, self.stack.server_env(DB_NAME=name), name="bench-first-start"
        )
        try:
            first = server.start()
        finally:
            server.stop()
        self.rows.append(("first start migrating empty MariaDB", f"{first:.1f} s", "", ""))

    def memory(self) -> None:
        # Warm up the workers first: PSS right after start under-reports the steady state.
        client = self._client("proxy")
        exp = client.create_experiment(f"bench-warm-{time.time_ns()}")
        run_id = client.create_run(exp).info.run_id
        for i in range(200):
            client.log_metric(run_id, "w", float(i), step=i)
        client.search_runs([exp])
        assert self.stack.server is not None and self.stack.server.process is not None
        server_pids = session_pids(self.stack.server.process.pid)
        proxy_proc = self.stack.proxies[0].process
        assert proxy_proc is not None
        nginx_pids = session_pids(proxy_proc.pid)
        self.rows.append(
            (
                f"PSS of server ({len(server_pids)} processes, {self.stack.workers} workers)",
                f"{pss_mb(server_pids):.0f} MB",
                "",
                "",
            )
        )
        self.rows.append(
            (f"PSS of nginx ({len(nginx_pids)} processes)", f"{pss_mb(nginx_pids):.1f} MB", "", "")
        )


def per_user_ratio(basic: LocalStack, quick: bool, basic_rate: float) -> list[Row]:
    from mlflow.server import get_app_client

    rows: list[Row] = []
    with LocalStack(
        backend="mariadb",
        auth_mode="per-user",
        mariadb=basic.mariadb,
        s3=basic.s3,
        db_name="bench_per_user",
        bucket="bench-per-user",
        username="admin",
    ) as stack:
        admin = client_for(stack.tracking_uri, stack.username, stack.password)
        exp = admin.create_experiment("bench-per-user")
        auth = get_app_client("basic-auth", tracking_uri=stack.tracking_uri)
        auth.create_user("bench-user", "bench-user-password-123")
        auth.grant_user_permission("bench-user", "experiment", exp, "EDIT")
        count = 45 if quick else 150
        for label, user, password in (
            ("admin", stack.username, stack.password),
            ("user with EDIT grant", "bench-user", "bench-user-password-123"),
        ):
            client = client_for(stack.tracking_uri, user, password)
            run_id = client.create_run(exp).info.run_id
            rate = calls_per_second(
                lambda i, c=client, r=run_id: c.log_metric(r, "m", float(i), step=i), count
            )
            rows.append(
                (
                    f"per-user mode log_metric, {label}",
                    f"{rate:.2f} calls/s",
                    f"basic: {basic_rate:.2f}",
                    f"{rate / basic_rate:.2f}",
                )
            )
    return rows


def print_table(rows: list[Row]) -> None:
    header: Row = ("measure", "through proxy", "direct to MLflow", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if row is header:
            print(line)
    print(line)
    print("ratio: proxy/direct for rates, direct/proxy for latencies (1.00 = no proxy cost)")


def rows(quick: bool = False) -> list[Row]:
    """Every runtime figure as (measure, through proxy, direct, ratio) rows."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    with LocalStack(
        backend="mariadb", progress=lambda m: print(f"[bench] {m}", flush=True)
    ) as stack:
        bench = Bench(stack, quick)
        for step in (bench.log_metric, bench.log_batch, bench.search_runs, bench.upload):
            print(f"[bench] {step.__name__} ...", flush=True)
            step()
        print("[bench] memory ...", flush=True)
        bench.memory()
        print("[bench] starts ...", flush=True)
        bench.starts()
        basic_rate = float(bench.rows[0][1].split()[0])
        print("[bench] per-user mode ...", flush=True)
        bench.rows.extend(per_user_ratio(stack, quick, basic_rate))
    return bench.rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    table = rows(args.quick)
    print()
    print_table(table)
    print(f"total bench time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
