"""The server container's process tree: what runs, and what its command lines reveal."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from scripts.local_stack import LocalStack, session_pids

pytestmark = pytest.mark.integration


def _argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # exited between listing and reading
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # exited between listing and reading
        return {}
    pairs = (part.decode(errors="replace").partition("=") for part in raw.split(b"\0") if part)
    return {key: value for key, _, value in pairs}


def _server_tree(stack: LocalStack) -> dict[int, list[str]]:
    assert stack.server is not None and stack.server.process is not None
    return {pid: _argv(pid) for pid in session_pids(stack.server.process.pid)}


def test_entrypoint_hands_its_pid_to_uvicorn_so_no_idle_python_parent_remains(
    stack: LocalStack,
) -> None:
    assert stack.server is not None and stack.server.process is not None
    leader = _argv(stack.server.process.pid)
    assert "uvicorn" in leader, f"PID 1 of the container should be uvicorn, is {leader}"
    tree = _server_tree(stack)
    entrypoints = [argv for argv in tree.values() if any("entrypoint.py" in a for a in argv)]
    assert entrypoints == []
    # The supervisor plus the configured workers (multiprocessing adds a resource tracker).
    assert len(tree) >= 1 + stack.workers


def test_no_secret_appears_on_any_command_line_of_the_server(stack: LocalStack) -> None:
    secrets = [stack.db_password, stack.password]
    forms = {form for s in secrets for form in (s, quote(s, safe=""), quote_plus(s))}
    tree = _server_tree(stack)
    assert tree, "the server's process tree is empty"
    for pid, argv in tree.items():
        line = " ".join(argv)
        leaked = [form for form in forms if form in line]
        assert not leaked, f"process {pid} shows a secret on its command line"


# Raw secret variables the entrypoint reads but uvicorn and its workers never need.
DROPPED = (
    "DB_PASSWORD",
    "MLFLOW_ADMIN_PASSWORD",
    "MLFLOW_AUTH_ADMIN_PASSWORD",
    "MLFLOW_BACKEND_STORE_URI",
)


def test_uvicorn_and_its_workers_inherit_no_raw_secret_variable(stack: LocalStack) -> None:
    environments = {pid: _environ(pid) for pid in _server_tree(stack)}
    assert any(env for env in environments.values()), "no readable /proc/<pid>/environ"
    for pid, env in environments.items():
        if not env:
            continue
        assert [name for name in DROPPED if name in env] == [], f"process {pid}"
        assert stack.db_password not in env.values()
        # The stores still reach the workers, through MLflow's own variable.
        assert env["_MLFLOW_SERVER_FILE_STORE"].startswith("mysql+pymysql://")
