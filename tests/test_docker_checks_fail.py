"""Every verify check can fail: the migrated sample, deliberately broken one way at a time.

The repo is migrated by the wizard itself (so the environment check has the values before
migration to compare with), then each variant edits it in place, runs `dashtam-wizard
verify --json` as a user would, and puts the bytes back. Each variant must fail the check
it breaks, naming the file (and line) to fix; the unbroken repo passes them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import run_cli
from .dockerd import dockerd_client, migrated_repo  # noqa: F401

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def repo(dockerd_client, tmp_path_factory) -> Iterator[Path]:  # noqa: F811
    yield migrated_repo(tmp_path_factory.mktemp("broken") / "ledgerly")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def _line_of(path: Path, pattern: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(pattern, line)
    )


def _env_value(repo: Path) -> str:
    _edit(repo / "env/.env.dev", "APP_ENV=development", "APP_ENV=staging")
    return f"env/.env.dev:{_line_of(repo / 'env/.env.dev', r'^APP_ENV=')}"


def _wrong_env_file(repo: Path) -> str:
    _edit(repo / "compose/docker-compose.dev.yml", "../env/.env.dev", "../env/.env.test")
    return "compose/docker-compose.dev.yml:"


def _root_user(repo: Path) -> str:
    _edit(repo / "docker/Dockerfile", "\nUSER appuser\n\n# ", "\n\n# ")
    return "docker/Dockerfile:"


def _app_owned_by_root(repo: Path) -> str:
    """The source copied without --chown: root owns what the app would write over."""
    df = repo / "docker/Dockerfile"
    _edit(
        df,
        "RUN uv sync --frozen --no-install-project\n\nCOPY --chown=appuser:appuser . .",
        "RUN uv sync --frozen --no-install-project\n\nCOPY . .",
    )
    return f"docker/Dockerfile:{_line_of(df, r'^FROM base AS development')}"


def _env_in_context(repo: Path) -> str:
    (repo / ".env").write_text("API_TOKEN=zzLEAKEDzz\n")
    di = repo / ".dockerignore"
    di.write_text(
        "".join(
            line + "\n"
            for line in di.read_text().splitlines()
            if not line.startswith((".env", "!.env", "env/", "**/.env"))
        )
    )
    return ".dockerignore"


def _no_healthcheck(repo: Path) -> str:
    df = repo / "docker/Dockerfile"
    text = df.read_text()
    text, n = re.subn(r"HEALTHCHECK [^\n]*\\\n[^\n]*\n", "", text)
    assert n == 1
    df.write_text(text)
    return "docker/Dockerfile:"


def _app_alone(repo: Path) -> Path:
    """Production starts the web app only (no `alembic upgrade` first): it then runs without
    its database, so its HEALTHCHECK can be executed."""
    df = repo / "docker/Dockerfile"
    text = df.read_text()
    new = re.sub(
        r'(HEALTHCHECK [^\n]*\\\n[^\n]*\n\n?)CMD \["sh", "-c", "alembic upgrade head && ([^"]*)"\]',
        lambda m: m[1] + "CMD " + json.dumps(m[2].split()),
        text,
    )
    assert new != text
    df.write_text(new)
    return df


def _healthcheck_wrong_port(repo: Path) -> str:
    df = _app_alone(repo)
    _edit(df, "http://localhost:8000/health", "http://localhost:8099/health")
    return f"docker/Dockerfile:{_line_of(df, r'^HEALTHCHECK ')}"


def _uid_mismatch(repo: Path) -> str:
    df = repo / "docker/Dockerfile"
    text = df.read_text()
    df.write_text(text.replace('--uid "${UID}"', "--uid 1001", 1))
    return "docker/Dockerfile:"


VARIANTS: list[tuple[str, Callable[[Path], str], str, str, str]] = [
    # (id, break it, stage, the check that must fail, a word of its evidence)
    (
        "env value changed",
        _env_value,
        "development",
        "env_file variables reach the container [app @ docker-compose.dev.yml]",
        "'staging' in the container",
    ),
    (
        "wrong env_file",
        _wrong_env_file,
        "development",
        "env_file variables reach the container [app @ docker-compose.dev.yml]",
        "before migration",
    ),
    ("root user", _root_user, "development", "non-root USER [development]", "root"),
    (
        "/app owned by root",
        _app_owned_by_root,
        "development",
        "/app owned by appuser [development]",
        "entries are not 1000:1000",
    ),
    (
        ".env in the context",
        _env_in_context,
        "development",
        "no .env files in the build context",
        ".env",
    ),
    ("no HEALTHCHECK", _no_healthcheck, "production", "HEALTHCHECK [production]", "no HEALTHCHECK"),
    (
        "HEALTHCHECK on a port nothing listens on",
        _healthcheck_wrong_port,
        "production",
        "HEALTHCHECK runs [production]",
        "nothing listens on",
    ),
    (
        "UID mismatch",
        _uid_mismatch,
        "development",
        "runs as appuser 1000:1000 [development]",
        "1001",
    ),
]


def _verify(repo: Path, stage: str) -> dict:
    res = run_cli("verify", str(repo), "--json", "--stage", stage)
    assert res.stdout.lstrip().startswith("{"), res.stdout + res.stderr
    return json.loads(res.stdout)


def test_the_migrated_sample_passes_the_checks_the_variants_break(
    repo: Path,
    dockerd_client,  # noqa: F811
) -> None:
    for stage in ("development", "production"):
        doc = _verify(repo, stage)
        assert doc["ok"], [c for c in doc["checks"] if c["status"] == "fail"]
    # the environment checks' Compose projects leave no network behind on the user's daemon
    left = [
        n.name
        for n in dockerd_client.networks.list()
        if (n.name or "").startswith("dashtam-wizard-env-")
    ]
    assert left == [], left


@pytest.mark.parametrize(
    ("what", "breaks", "stage", "check", "evidence"), VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_a_broken_migration_fails_its_check_naming_the_file(
    repo: Path, what: str, breaks: Callable[[Path], str], stage: str, check: str, evidence: str
) -> None:
    saved = {
        p: p.read_bytes()
        for p in (
            repo / "docker/Dockerfile",
            repo / "env/.env.dev",
            repo / "compose/docker-compose.dev.yml",
            repo / ".dockerignore",
        )
    }
    try:
        where = breaks(repo)
        doc = _verify(repo, stage)
    finally:
        for p, data in saved.items():
            p.write_bytes(data)
        (repo / ".env").unlink(missing_ok=True)
    checks = {c["name"]: c for c in doc["checks"]}
    assert doc["ok"] is False
    result = checks[check]
    assert result["status"] == "fail", result
    assert evidence in result["evidence"], result
    assert (result["where"] or "").startswith(where), result
    assert "zzLEAKEDzz" not in json.dumps(doc)


def test_the_healthcheck_is_executed_in_the_started_production_container(repo: Path) -> None:
    """The migrated sample's production CMD runs `alembic upgrade` first, which needs its
    database: started alone it stops, and the check says the probe was not executed (a
    warning, with the container's last line). With the web app alone it starts, and the
    probe, curl on /health, is run in it and passes."""
    doc = _verify(repo, "production")
    ran = {c["name"]: c for c in doc["checks"]}["HEALTHCHECK runs [production]"]
    assert ran["status"] == "warn" and "not executed" in ran["evidence"], ran
    df = repo / "docker/Dockerfile"
    saved = df.read_bytes()
    try:
        _app_alone(repo)
        doc = _verify(repo, "production")
    finally:
        df.write_bytes(saved)
    ran = {c["name"]: c for c in doc["checks"]}["HEALTHCHECK runs [production]"]
    assert ran["status"] == "pass" and "exits 0 in the started container" in ran["evidence"], ran
    assert ran["where"] == f"docker/Dockerfile:{_line_of(df, r'^HEALTHCHECK ')}"


def test_verify_format_github_puts_each_failure_on_its_line(repo: Path) -> None:
    """In a GitHub Actions job, `verify --format github` prints each failing check as an
    annotation on the file and line to fix (the pull request shows it there); the exit code
    is verify's own."""
    saved = (repo / "env/.env.dev").read_bytes()
    try:
        where = _env_value(repo)  # APP_ENV changed: the environment check fails there
        res = run_cli("verify", str(repo), "--stage", "development", "--format", "github")
    finally:
        (repo / "env/.env.dev").write_bytes(saved)
    assert res.returncode == 1, res.stdout + res.stderr
    path, line = where.split(":")
    errors = [ln for ln in res.stdout.splitlines() if ln.startswith("::error ")]
    assert any(f"file={path},line={line}," in e and "APP_ENV" in e for e in errors), errors
    assert all("::" in e.split(" ", 1)[1] for e in errors), errors
    unreachable = run_cli(
        "verify", str(repo), "--format", "github", env={"DOCKER_HOST": "unix:///nonexistent.sock"}
    )
    assert unreachable.returncode == 2
    assert unreachable.stdout.startswith("::error title=dashtam-wizard verify::cannot reach")


def test_verify_format_sarif_is_one_document_of_the_failures(repo: Path) -> None:
    """`verify --format sarif > verify.sarif` for code scanning: stdout is a SARIF 2.1.0
    document only, the failing check a result on the file and line to fix; a verify that
    cannot run is an unsuccessful invocation (exit 2), still one document."""
    saved = (repo / "env/.env.dev").read_bytes()
    try:
        where = _env_value(repo)
        res = run_cli("verify", str(repo), "--stage", "development", "--format", "sarif")
    finally:
        (repo / "env/.env.dev").write_bytes(saved)
    assert res.returncode == 1, res.stdout + res.stderr
    doc = json.loads(res.stdout)  # nothing else on stdout
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "dashtam-wizard"
    assert run["invocations"][0]["executionSuccessful"] is True
    path, line = where.split(":")
    hits = [
        r
        for r in run["results"]
        if r["level"] == "error"
        and "APP_ENV" in r["message"]["text"]
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path
        and r["locations"][0]["physicalLocation"]["region"]["startLine"] == int(line)
    ]
    assert hits, run["results"]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} <= rules
    unreachable = run_cli(
        "verify", str(repo), "--format", "sarif", env={"DOCKER_HOST": "unix:///nonexistent.sock"}
    )
    assert unreachable.returncode == 2
    failed = json.loads(unreachable.stdout)["runs"][0]["invocations"][0]
    assert failed["executionSuccessful"] is False
    assert "cannot reach" in failed["toolExecutionNotifications"][0]["message"]["text"]


def test_a_container_that_stops_as_its_probe_starts_is_said_stopped_not_failed(
    dockerd_client,  # noqa: F811
) -> None:
    """The production container of the sample stops about a second after it starts (no
    database beside it). If it stops between the status read and the probe's exec, the
    daemon answers the exec with 409 "is not running": that is the container stopping, the
    same warning with its exit and last line, not a check that "could not run" (❌). The
    daemon's refusal is real; only its timing is forced, by stopping the container for real
    right before the exec (a race a test cannot hit on demand)."""
    import io

    from dashtam_wizard.docker.healthcheck import check_healthcheck_runs

    client = dockerd_client
    tag = "dashtam-wizard-test/stops-at-probe:1"
    dockerfile = (
        "FROM python:3.13-slim\n"
        "HEALTHCHECK CMD false\n"
        'CMD ["sh", "-c", "echo RuntimeError: no database here; exec sleep 60"]\n'
    )
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)
    started: list[object] = []

    class Containers:
        def run(self, image: str, **kwargs: object) -> object:
            container = client.containers.run(image, **kwargs)
            real_exec = container.exec_run

            def exec_after_it_stopped(*args: object, **kw: object) -> object:
                container.kill()
                container.wait(timeout=30)
                return real_exec(*args, **kw)

            container.exec_run = exec_after_it_stopped
            started.append(container)
            return container

    class Client:
        containers = Containers()

    try:
        attrs = client.api.inspect_image(tag)
        result = check_healthcheck_runs(Client(), tag, attrs, "production", "Dockerfile:2")  # type: ignore[arg-type]
    finally:
        client.images.remove(tag, force=True)
    assert result is not None and started
    assert result.passed and result.warning, result
    assert "not executed" in result.evidence and "exit 137" in result.evidence, result
    assert "no database here" in result.evidence, result
    # and the container is gone
    assert not client.containers.list(all=True, filters={"id": started[0].id})  # type: ignore[attr-defined]
