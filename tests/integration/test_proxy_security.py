"""Bad input at the basic-auth proxy: 4xx, and nothing reaches MLflow."""

from __future__ import annotations

import base64
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_stack import LocalStack, ProxyProcess, ServerProcess

pytestmark = pytest.mark.integration

NASTY_PASSWORD = "p@ss:w\"o'rd $(touch /tmp/pwned); `id` | & > \\ *?!#%"


def raw_request(port: int, request_line: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send a request exactly as written (no client-side normalisation of the target)."""
    head = [request_line, *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def guard(stack: LocalStack) -> ProxyProcess:
    """A proxy of its own: these tests trip the failed-login rate limit on purpose."""
    stack.add_proxy()
    return stack.proxies[-1]


def _access_entries(proxy: ProxyProcess) -> Iterator[dict[str, object]]:
    for line in proxy.access_log.read_text().splitlines():
        yield json.loads(line)


def _server_log(stack: LocalStack) -> str:
    assert stack.server is not None
    return stack.server.log_path.read_text()


BYPASS_TARGETS = [
    "/api/2.0/mlflow/experiments/search",
    "/elb-status/../api/2.0/mlflow/experiments/search",
    "/elb-status%2F..%2Fapi/2.0/mlflow/experiments/search",
    "/elb-status/..%2Fapi%2F2.0%2Fmlflow%2Fexperiments%2Fsearch",
    "/api%2F2.0%2Fmlflow%2Fexperiments%2Fsearch",
    "//api/2.0/mlflow/experiments/search",
    "/elb-status/%2e%2e/api/2.0/mlflow/experiments/search",
    "http://evil.example/api/2.0/mlflow/experiments/search",
    "http://127.0.0.1:5000/api/2.0/mlflow/experiments/search",
]

BAD_AUTHORIZATION = [
    None,
    "Basic",
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-at-all").decode(),
    "Bearer abc.def.ghi",
    "Digest username=mlflow",
    "basic" + "A" * 2000,
]


@pytest.mark.parametrize("target", BYPASS_TARGETS)
def test_paths_around_auth_get_4xx_and_never_reach_mlflow(
    stack: LocalStack, guard: ProxyProcess, target: str
) -> None:
    canary = uuid.uuid4().hex
    separator = "&" if "?" in target else "?"
    status, _ = raw_request(
        guard.port,
        f"GET {target}{separator}canary={canary} HTTP/1.1",
        {"Host": "127.0.0.1", "User-Agent": canary},
    )
    assert 400 <= status < 500
    entries = [e for e in _access_entries(guard) if e["user_agent"] == canary]
    assert entries, "request missing from the access log"
    assert all(e["upstream"] == "" for e in entries)
    assert canary not in _server_log(stack)


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
def test_bad_credentials_get_4xx_and_never_reach_mlflow(
    stack: LocalStack, guard: ProxyProcess, authorization: str | None
) -> None:
    canary = uuid.uuid4().hex
    headers = {"Host": "127.0.0.1", "User-Agent": canary}
    if authorization is not None:
        headers["Authorization"] = authorization
    status, _ = raw_request(
        guard.port, f"GET /api/2.0/mlflow/experiments/search?c={canary} HTTP/1.1", headers
    )
    assert status in (400, 401, 429)
    assert all(e["upstream"] == "" for e in _access_entries(guard) if e["user_agent"] == canary)
    assert canary not in _server_log(stack)


def test_wrong_password_is_401_with_a_basic_challenge(stack: LocalStack) -> None:
    # A proxy of its own, so no earlier failures have used up the rate-limit burst.
    stack.add_proxy()
    proxy = stack.proxies[-1]
    status, rest = raw_request(
        proxy.port,
        "GET /api/2.0/mlflow/experiments/search HTTP/1.1",
        {"Host": "127.0.0.1", "Authorization": basic(stack.username, stack.password + "x")},
    )
    assert status == 401
    assert b'WWW-Authenticate: Basic realm="MLflow"' in rest


def test_repeated_failed_logins_are_rate_limited_but_good_logins_are_not(
    stack: LocalStack, guard: ProxyProcess
) -> None:
    wrong = {"Host": "127.0.0.1", "Authorization": basic(stack.username, "wrong")}
    statuses = [
        raw_request(guard.port, "GET /api/2.0/mlflow/experiments/search HTTP/1.1", wrong)[0]
        for _ in range(25)
    ]
    assert set(statuses) <= {401, 429}
    assert 429 in statuses
    good = {"Host": "127.0.0.1", "Authorization": basic(stack.username, stack.password)}
    status, _ = raw_request(guard.port, "GET /health HTTP/1.1", good)
    assert status == 200


def test_access_log_holds_no_credentials(stack: LocalStack, guard: ProxyProcess) -> None:
    raw_request(
        guard.port,
        "GET /health HTTP/1.1",
        {"Host": "127.0.0.1", "Authorization": basic(stack.username, stack.password)},
    )
    logs = [guard.access_log.read_text(), (guard.runtime_dir / "nginx.conf").read_text()]
    encoded = basic(stack.username, stack.password).split()[1]
    for text in logs:
        assert stack.password not in text
        assert encoded not in text
    assert stack.password not in _server_log(stack)
    assert stack.db_password not in _server_log(stack)


def test_elb_status_answers_without_auth_and_leaks_nothing(guard: ProxyProcess) -> None:
    status, rest = raw_request(guard.port, "GET /elb-status HTTP/1.1", {"Host": "10.0.0.1"})
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status == 200
    assert body == b"ok\n"
    assert b"Server: nginx\r\n" in headers  # no version
    assert b"X-Content-Type-Options: nosniff" in headers


def test_password_with_shell_metacharacters_quotes_and_colon_works(stack: LocalStack) -> None:
    assert len(NASTY_PASSWORD) >= 16 and ":" in NASTY_PASSWORD
    assert stack.server is not None
    proxy = ProxyProcess(
        stack.workdir,
        upstream_port=stack.server.port,
        auth_mode="basic",
        username="nasty",
        password=NASTY_PASSWORD,
        name="nasty-proxy",
    ).start()
    try:
        good = {"Host": "127.0.0.1", "Authorization": basic("nasty", NASTY_PASSWORD)}
        assert raw_request(proxy.port, "GET /health HTTP/1.1", good)[0] == 200
        bad = {"Host": "127.0.0.1", "Authorization": basic("nasty", NASTY_PASSWORD[:-1])}
        assert raw_request(proxy.port, "GET /health HTTP/1.1", bad)[0] == 401
        assert not Path("/tmp/pwned").exists()
        htpasswd = (proxy.runtime_dir / "htpasswd").read_text()
        assert htpasswd.startswith("nasty:$6$") and NASTY_PASSWORD not in htpasswd
        assert oct((proxy.runtime_dir / "htpasswd").stat().st_mode & 0o777) == "0o400"
    finally:
        proxy.stop()


def test_browser_post_from_the_page_origin_works_behind_a_load_balancer_name(
    stack: LocalStack,
) -> None:
    """The UI's POSTs carry Origin = the address the browser used; MLflow must accept them."""
    auth = basic(stack.username, stack.password)
    port = stack.proxies[0].port
    host = "10.1.2.3:8443"  # a private ALB address: inside MLflow's default allowed hosts
    assert _post_json(port, auth, host, f"https://{host}") == 200
    # Another site's page must still be refused by MLflow's CORS check.
    assert _post_json(port, auth, host, "https://evil.example") == 403
    # And a Host outside the allow-list still trips MLflow's DNS-rebinding check.
    assert _post_json(port, auth, "evil.example", None) == 403


def _post_json(port: int, auth: str, host: str, origin: str | None) -> int:
    body = json.dumps({"name": f"origin-{uuid.uuid4().hex[:8]}"})
    headers = {"Host": host, "Authorization": auth, "Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    headers["Content-Length"] = str(len(body))
    head = [
        "POST /ajax-api/2.0/mlflow/experiments/create HTTP/1.1",
        *(f"{k}: {v}" for k, v in headers.items()),
        "Connection: close",
        "",
        body,
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split()[1])


# The task's allow-list as CloudFormation fills it: the ALB's DNSName keeps its capitals.
ALB_NAME = "internal-SC-1234-Entry-1ABC-123.us-east-1.elb.amazonaws.com"
CUSTOM_ORIGIN = "https://MLflow.Example.com"
# An entry with a port, like the Cloud Map name with the proxy's: the port must survive.
WITH_PORT = "MLflow.Team-A.Internal:8080"


@pytest.fixture(scope="module")
def alb_named(stack: LocalStack, workdir: Path) -> Iterator[ProxyProcess]:
    """A server with the ALB-style host policy of a Fargate task, and its own proxy."""
    env = stack.server_env(
        MLFLOW_SERVER_ALLOWED_HOSTS=f"{ALB_NAME},{WITH_PORT},localhost",
        MLFLOW_SERVER_CORS_ALLOWED_ORIGINS=f"http://{ALB_NAME},{CUSTOM_ORIGIN}",
    )
    server = ServerProcess(workdir / "alb-named", env, name="alb-named-server")
    server.start()
    proxy = ProxyProcess(
        workdir / "alb-named", upstream_port=server.port, auth_mode=stack.auth_mode,
        username=stack.username, password=stack.password, name="alb-named-proxy",
    )
    try:
        yield proxy.start()
    finally:
        proxy.stop()
        server.stop()


@pytest.mark.parametrize(
    "host",
    [
        ALB_NAME.lower(),  # what urllib3 (the MLflow client) and browsers send
        ALB_NAME,  # what curl sends for the published tracking URL: its case kept
        ALB_NAME.upper(),
        "mlflow.TEAM-A.internal:8080",
    ],
)
def test_the_load_balancers_mixed_case_name_is_an_allowed_host_in_any_case(
    stack: LocalStack, alb_named: ProxyProcess, host: str
) -> None:
    auth = basic(stack.username, stack.password)
    assert _post_json(alb_named.port, auth, host, None) == 200
    # The check itself stays on: a name or port outside the allow-list is still refused.
    assert _post_json(alb_named.port, auth, "evil.example", None) == 403
    assert _post_json(alb_named.port, auth, "mlflow.team-a.internal:9999", None) == 403


def test_browser_origins_match_the_mixed_case_cors_list(
    stack: LocalStack, alb_named: ProxyProcess
) -> None:
    """Browsers send Origin lowercased; the task's list names the origin with capitals."""
    auth = basic(stack.username, stack.password)
    host = ALB_NAME.lower()
    assert _post_json(alb_named.port, auth, host, CUSTOM_ORIGIN.lower()) == 200
    assert _post_json(alb_named.port, auth, host, "https://evil.example") == 403
