#!/usr/bin/env python3
"""MLflow server at Fargate CPU sizes: cold start and log_metric rate under a CPU quota.

    python bench/task_size.py [--quick] [--vcpus 0.25,0.5,1]

A Fargate task of N vCPU gets N x 100 ms of CPU time per 100 ms period; the same limit is
applied here with a cgroup (v1 `cpu` controller, CFS quota) around the server entrypoint
and its uvicorn workers, while MariaDB, moto S3, nginx and the client run unthrottled (on
Fargate they are elsewhere). Measures, per size: seconds from start to healthy against a
migrated database, and sequential log_metric calls/s through the auth proxy. Needs root
and a writable /sys/fs/cgroup/cpu; otherwise the rows say why they are missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.runtime import calls_per_second, client_for
from scripts.local_stack import (
    LOCALHOST,
    SERVER_ENTRYPOINT,
    LocalStack,
    ManagedProcess,
    ServerProcess,
    child_env,
)

CGROUP_ROOT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000
Row = tuple[str, str, str]


class QuotaServer(ServerProcess):
    """The server entrypoint started inside a CPU-quota cgroup (children inherit it)."""

    cgroup: Path

    def start(self, wait: bool = True, timeout: float = 300) -> float:
        # `sh` moves itself into the cgroup, then execs the entrypoint: no unthrottled gap.
        command = ["sh", "-c", f'echo $$ > "{self.cgroup}/cgroup.procs" && exec "$0" "$1"',
                   sys.executable, str(SERVER_ENTRYPOINT)]
        env = child_env({**self.env, "MLFLOW_HOST": LOCALHOST, "MLFLOW_PORT": str(self.port)})
        started = time.monotonic()
        self.process = ManagedProcess(self.name, command, self.log_path, env).start()
        if wait:
            self.wait_healthy(timeout)
        return time.monotonic() - started


def make_cgroup(vcpu: float) -> Path:
    path = CGROUP_ROOT / f"mlflow-bench-{int(vcpu * 1000)}"
    path.mkdir(exist_ok=True)
    (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
    (path / "cpu.cfs_quota_us").write_text(str(int(vcpu * PERIOD_US)))
    return path


def remove_cgroup(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


def cgroup_unavailable() -> str | None:
    if not CGROUP_ROOT.is_dir() or not os.access(CGROUP_ROOT, os.W_OK):
        return f"{CGROUP_ROOT} is not writable here (needs root and cgroup v1 cpu)"
    if shutil.which("sh") is None:
        return "no sh"
    return None


def measure(stack: LocalStack, vcpu: float, calls: int) -> list[Row]:
    assert stack.server is not None
    cgroup = make_cgroup(vcpu)
    stack.server.stop()
    server = QuotaServer(stack.workdir, stack.server_env(), name=f"server-{vcpu}",
                         port=stack.server.port)
    server.cgroup = cgroup
    try:
        starts = []
        for _ in range(2):
            starts.append(server.start())
            if len(starts) < 2:
                server.stop()
        client = client_for(stack.tracking_uri, stack.username, stack.password)
        exp = client.create_experiment(f"bench-size-{vcpu}-{time.time_ns()}")
        run_id = client.create_run(exp).info.run_id
        for i in range(20):  # warm both workers
            client.log_metric(run_id, "warm", float(i), step=i)
        rate = calls_per_second(
            lambda i: client.log_metric(run_id, "m", float(i), step=i), calls)
    finally:
        server.stop()
        remove_cgroup(cgroup)
    label = f"{vcpu:g} vCPU"
    return [
        (f"cold start to healthy at {label} (migrated DB)", f"{min(starts):.1f} s (best of 2)",
         "reported (dev task sizing)"),
        (f"log_metric through the proxy at {label}", f"{rate:.1f} calls/s",
         "reported (dev task sizing)"),
    ]


def rows(quick: bool = False, vcpus: tuple[float, ...] = (0.25, 0.5, 1.0)) -> list[Row]:
    reason = cgroup_unavailable()
    if reason:
        return [("MLflow server at Fargate CPU sizes", f"not measured: {reason}", "")]
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    result: list[Row] = []
    with LocalStack(backend="mariadb",
                    progress=lambda m: print(f"[bench] {m}", flush=True)) as stack:
        for vcpu in vcpus:
            print(f"[bench] server at {vcpu:g} vCPU ...", flush=True)
            result.extend(measure(stack, vcpu, 60 if quick else 200))
        stack.restart_server()  # leave the stack as it was for a clean stop
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--vcpus", default="0.25,0.5,1")
    args = parser.parse_args(argv)
    table = rows(args.quick, tuple(float(v) for v in args.vcpus.split(",")))
    width = max(len(r[0]) for r in table)
    for name, value, _ in table:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
