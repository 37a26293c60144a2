"""Several server tasks starting at once against one empty database migrate it exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.local_stack import LocalStack, MariaDB, ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TASKS = 3


def test_three_tasks_starting_at_once_on_an_empty_database_migrate_exactly_once(
    stack: LocalStack, mariadb: MariaDB, workdir: Path
) -> None:
    password = "race:p@ss/w%rd'\""
    mariadb.create_database("race", "race_user", password)
    assert mariadb.query("SHOW TABLES FROM `race`") == []  # really empty
    env = stack.server_env(DB_NAME="race", DB_USERNAME="race_user", DB_PASSWORD=password)
    servers = [
        ServerProcess(workdir / "race", env, name=f"race-server-{index}") for index in range(TASKS)
    ]
    try:
        for server in servers:  # no waiting in between: they race for the schema
            server.start(wait=False)
        for server in servers:
            server.wait_healthy(timeout=180)
        logs = [server.log_path.read_text() for server in servers]
    finally:
        for server in servers:
            server.stop()

    outcomes = [
        [
            line.split("tracking schema: ")[1].strip()
            for line in log.splitlines()
            if "tracking schema: " in line
        ]
        for log in logs
    ]
    assert sorted(outcomes) == [["created"], ["current"], ["current"]], outcomes
    assert all("waiting for the schema migration lock" in log for log in logs)
    assert mariadb.query("SELECT COUNT(*) FROM `race`.alembic_version")[0][0] == 1
    assert all(password not in log for log in logs)
