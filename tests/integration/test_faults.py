"""Faults: a late database, a database restart while logging, and concurrent load."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from scripts.local_stack import LocalStack, MariaDB, ServerProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOG_METRIC = "/api/2.0/mlflow/runs/log-metric"
CREATE_RUN = "/api/2.0/mlflow/runs/create"


def _metric_rows(mariadb: MariaDB, db_name: str, run_id: str) -> int:
    sql = f"SELECT COUNT(*) FROM `{db_name}`.metrics WHERE run_uuid = %s"  # noqa: S608 - fixture name
    rows = mariadb.query(sql, (run_id,))
    return int(rows[0][0])  # type: ignore[arg-type]


def _new_access_lines(log: Path, offset: int, *, at_least: int = 0,
                      wait_s: float = 5.0) -> list[dict[str, object]]:
    """Access-log entries written since offset. nginx writes a request's line in its log
    phase, after the response went out, so the last lines may trail the client by a few
    milliseconds: wait (bounded) until at least `at_least` entries are there."""
    deadline = time.monotonic() + wait_s
    while True:
        with open(log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode()
        # Only complete lines: the last one may be half written.
        entries = [json.loads(line) for line in text.split("\n")[:-1] if line]
        if len(entries) >= at_least or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def test_server_started_before_the_database_becomes_healthy_once_it_is_up(
    stack: LocalStack, workdir: Path
) -> None:
    late_db = MariaDB(workdir / "late-db", port=free_port())
    env = stack.server_env(
        DB_PORT=str(late_db.port),
        DB_NAME="late",
        DB_USERNAME="late_user",
        DB_PASSWORD="late:p@ss/w%rd",
        DB_WAIT_SECONDS="120",
    )
    server = ServerProcess(workdir / "late-server", env, name="late-server")
    server.start(wait=False)
    try:
        time.sleep(4)
        assert server.process is not None and server.process.poll() is None, "crashed"
        assert not server.healthy()
        late_db.start()
        late_db.create_database("late", "late_user", "late:p@ss/w%rd")
        server.wait_healthy(timeout=90)
        log = server.log_path.read_text()
        assert "not reachable yet" in log
        assert "reachable after" in log
        assert "late:p@ss/w%rd" not in log and "late%3Ap%40ss" not in log
    finally:
        server.stop()
        late_db.stop()


def test_database_restart_during_logging_loses_no_metric(
    as_client: LocalStack, mariadb: MariaDB
) -> None:
    import mlflow

    client = mlflow.tracking.MlflowClient()
    experiment = mlflow.set_experiment("fault-db-restart")
    run_id = client.create_run(experiment.experiment_id).info.run_id
    access_log = as_client.proxies[0].access_log
    offset = access_log.stat().st_size
    logged: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def log_forever() -> None:
        step = 0
        while not stop.is_set():
            try:
                client.log_metric(run_id, "m", float(step), step=step)
            except BaseException as exc:  # recorded, asserted below
                errors.append(exc)
                return
            logged.append(step)
            step += 1

    writer = threading.Thread(target=log_forever)
    writer.start()
    time.sleep(2)
    before_restart = len(logged)
    mariadb.stop()
    time.sleep(1)
    mariadb.start()
    time.sleep(3)
    stop.set()
    writer.join(timeout=120)

    assert not errors, errors
    assert before_restart > 0 and len(logged) > before_restart
    assert _metric_rows(mariadb, as_client.db_name, run_id) == len(logged)
    # The fault really hit the request path: some log-metric calls failed with a 5xx while the
    # database was down, and the client retried them (more calls than metrics logged).
    calls = [e for e in _new_access_lines(
        access_log, offset, at_least=len(logged) + 1) if e["path"] == LOG_METRIC]
    failed = [e for e in calls if int(e["status"]) >= 500]  # type: ignore[call-overload]
    assert failed, "no request failed during the restart: the fault never hit the server"
    assert len(calls) >= len(logged) + len(failed)
    assert sum(1 for e in calls if e["status"] == 200) == len(logged)


def test_eight_concurrent_clients_for_30s_get_no_5xx_and_lose_no_metric(
    as_client: LocalStack, mariadb: MariaDB
) -> None:
    import mlflow

    client = mlflow.tracking.MlflowClient()
    experiment = mlflow.set_experiment("fault-concurrency")
    access_log = as_client.proxies[0].access_log
    offset = access_log.stat().st_size
    runs = [client.create_run(experiment.experiment_id).info.run_id for _ in range(8)]
    counts = [0] * 8
    errors: list[BaseException] = []
    deadline = time.monotonic() + 30

    def worker(index: int) -> None:
        own = mlflow.tracking.MlflowClient()
        step = 0
        while time.monotonic() < deadline:
            try:
                own.log_metric(runs[index], "load", float(step), step=step)
            except BaseException as exc:
                errors.append(exc)
                return
            counts[index] += 1
            step += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    entries = _new_access_lines(access_log, offset, at_least=sum(counts) + len(runs))
    statuses = [int(e["status"]) for e in entries]  # type: ignore[call-overload]
    assert [s for s in statuses if s >= 500] == []
    assert sum(counts) > 8 * 10, counts
    # "No 5xx" must come from a log that saw the load: every call made is in it.
    creates = [e for e in entries if e["path"] == CREATE_RUN]
    metric_calls = [e for e in entries if e["path"] == LOG_METRIC]
    assert len(creates) >= len(runs)
    assert len(metric_calls) >= sum(counts)
    assert len(entries) >= sum(counts) + len(runs)
    for run_id, count in zip(runs, counts, strict=True):
        assert _metric_rows(mariadb, as_client.db_name, run_id) == count


def test_idle_database_connections_close_so_aurora_can_pause(
    stack: LocalStack, mariadb: MariaDB, workdir: Path
) -> None:
    """No connection of MLflow's survives an idle period; the next request reconnects."""
    import mlflow

    mariadb.create_database("pause_check", "pause_user", "pause:pw@1")
    env = stack.server_env(
        DB_NAME="pause_check",
        DB_USERNAME="pause_user",
        DB_PASSWORD="pause:pw@1",
        MLFLOW_DB_IDLE_TIMEOUT_SECONDS="10",
    )
    server = ServerProcess(workdir / "pause-server", env, name="pause-server")
    server.start()
    try:
        client = mlflow.tracking.MlflowClient(tracking_uri=server.url)
        run_id = client.create_run(client.create_experiment("pause")).info.run_id
        client.log_metric(run_id, "before", 1.0)

        def connections() -> int:
            rows = mariadb.query(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'pause_user'"
            )
            return int(rows[0][0])  # type: ignore[arg-type]

        assert connections() > 0  # pooled while busy
        deadline = time.monotonic() + 30
        while connections() and time.monotonic() < deadline:
            time.sleep(1)
        assert connections() == 0
        client.log_metric(run_id, "after", 2.0)  # pre-ping replaces the closed connections
        assert client.get_run(run_id).data.metrics == {"before": 1.0, "after": 2.0}
    finally:
        server.stop()
