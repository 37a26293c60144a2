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
