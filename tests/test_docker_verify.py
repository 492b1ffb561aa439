"""`verify` on a real daemon: the migrated sample passes, the legacy one fails where the plan
says it should, secrets never show, a broken build or Ctrl-C leaves the repo as it was, and
no daemon gives exit code 2 with a one-line hint."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from dotenv import dotenv_values
from rich.console import Console

import dashtam_wizard.present.verify as verify_mod
from dashtam_wizard.core.secrets import is_secret_key
from dashtam_wizard.docker.checks import check_env
from dashtam_wizard.docker.services import repo_services
from dashtam_wizard.present.verify import run_verify
from tests.dockerd import (  # noqa: F401
    dockerd_client,
    legacy_repo,
    migrated_repo,
    migrated_repo_by_hand,
    wizard_containers,
)


@dataclass
class Run:
    repo: Path
    code: int
    text: str  # what the console showed

    @property
    def json(self) -> dict:
        return json.loads(self.text)


def run(repo: Path, as_json: bool = False, **kw) -> Run:
    buf = io.StringIO()
    console = Console(file=buf, width=200, color_system=None, force_terminal=False)
    code = run_verify(repo, kw.pop("stages", None), as_json, console, **kw)
    return Run(repo, code, buf.getvalue())


def secret_values(repo: Path) -> set[str]:
    """Every secret-looking value of the repo's env files (what must never be printed)."""
    out = set()
    for path in list(repo.glob(".env*")) + list(repo.glob("env/.env*")):
        for k, v in dotenv_values(path).items():
            if v and is_secret_key(k) and len(v) >= 6:
                out.add(v)
    return out


def manifest(root: Path) -> dict[str, tuple[int, int, float]]:
    """Everything verify must leave alone: the repo but git and the wizard's own state dir
    (where verify saves its results for `status`)."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mode, p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
        if not {".git", ".dashtam-wizard"} & set(p.relative_to(root).parts)
    }


# -- migrated ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def migrated(dockerd_client, tmp_path_factory) -> Run:  # noqa: F811
    repo = migrated_repo(tmp_path_factory.mktemp("migrated") / "ledgerly")
    before = manifest(repo)
    result = run(repo)
    assert manifest(repo) == before, "verify changed files in the repo"
    assert wizard_containers(dockerd_client) == []
    return result


@pytest.mark.docker
def test_migrated_sample_passes_every_check(migrated: Run) -> None:
    assert migrated.code == 0, migrated.text
    for line in ("Step 1/", "▶ build development", "▶ build production", "▶ build callback"):
        assert line in migrated.text, migrated.text
    for marker in (
        "non-root USER [development]",
        "runs as appuser 1000:1000 [production]",
        "/app owned by appuser [production]",
        "HEALTHCHECK [production]",
        "no .env files in the build context",
        "no .env files in the image [development]",
        "env_file variables reach the container [app @ docker-compose.dev.yml]",
    ):
        assert marker in migrated.text, migrated.text
    assert "❌" not in migrated.text, migrated.text


@pytest.fixture(scope="module")
def migrated_json(migrated: Run) -> Run:
    return run(migrated.repo, as_json=True)  # warm cache: quick


@pytest.mark.docker
def test_migrated_json_and_uid_warning(migrated_json: Run) -> None:
    doc = migrated_json.json
    assert migrated_json.code == 0 and doc["ok"] is True
    assert {b["target"] for b in doc["builds"]} == {"development", "callback", "production"}
    assert all(b["ok"] and b["cache_hits"] > 0 for b in doc["builds"])
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    assert "fail" not in statuses.values()
    bind = next(c for c in doc["checks"] if c["name"].startswith("bind-mount"))
    if os.getuid() != 1000:  # e.g. root in CI: the image is right, the host user differs
        assert bind["status"] == "warn" and "--build-arg UID=" in bind["evidence"]
    else:
        assert bind["status"] == "pass"
    assert doc["context"]["secret_files"] == []


@pytest.mark.docker
def test_no_secret_value_is_printed(migrated: Run, migrated_json: Run) -> None:
    secrets = secret_values(migrated.repo)
    assert secrets, "the sample should have secret values to look for"
    for value in secrets:
        assert value not in migrated.text and value not in migrated_json.text


@pytest.mark.docker
def test_env_check_fails_on_missing_env_file(dockerd_client, migrated_json: Run) -> None:  # noqa: F811
    repo = migrated_json.repo
    image = next(
        b["image_id"] for b in migrated_json.json["builds"] if b["target"] == "development"
    )
    svc = next(
        s
        for s in repo_services(repo)
        if s.name == "app" and s.compose_file.name == "docker-compose.dev.yml"
    )
    svc.env_files[0].path = svc.env_files[0].path.parent / "does-not-exist.env"
    res = check_env(dockerd_client, image, svc, repo)
    assert not res.passed and "does-not-exist.env is missing" in res.evidence
    assert res.where and res.where.startswith("compose/docker-compose.dev.yml:")


@pytest.mark.docker
def test_bytecode_compiled_in_production_and_on_first_import_in_development(
    dockerd_client,  # noqa: F811
    migrated_json: Run,
) -> None:
    """Production ships compiled bytecode; development compiles on first import into
    /tmp/pycache (a dependency change does not recompile everything at build time, a
    reload reuses what the first start compiled, the mounted source gets no __pycache__)."""
    images = {b["target"]: b["image_id"] for b in migrated_json.json["builds"]}
    count = "find {} -name '*.pyc' | wc -l"
    site = "/app/.venv/lib"

    def sh(target: str, script: str) -> str:
        out = dockerd_client.containers.run(
            images[target], ["sh", "-c", script], remove=True, user="appuser"
        )
        return out.decode().strip()

    assert int(sh("production", count.format(site))) > 500  # fastapi, sqlalchemy, ...
    built = sh("development", count.format(site) + "; " + count.format("/tmp/pycache"))
    assert built.split() == ["0", "0"], built
    started = sh(
        "development",
        "python -c 'import fastapi, sqlalchemy' && "
        + count.format("/tmp/pycache")
        + "; find /app -name __pycache__ | wc -l",
    )
    written, in_app = map(int, started.split())
    assert written > 100 and in_app == 0, started


@pytest.mark.docker
def test_run_tests_in_development_container(migrated: Run) -> None:
    res = run(migrated.repo, stages=["development"], run_tests=True)
    assert res.code == 0, res.text
    assert "2 passed" in res.text  # the sample's tests/test_health.py, streamed


@pytest.mark.docker
def test_template_by_hand_layout_passes(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    """The template with the reference context, independent of the planner."""
    repo = migrated_repo_by_hand(tmp_path / "ledgerly")
    doc = run(repo, as_json=True).json
    failed = [c for c in doc["checks"] if c["status"] == "fail"]
    assert doc["ok"] and not failed, failed


# -- legacy ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def legacy(dockerd_client, tmp_path_factory) -> Run:  # noqa: F811
    repo = legacy_repo(tmp_path_factory.mktemp("legacy") / "ledgerly")
    before = manifest(repo)
    result = run(repo, as_json=True)
    assert manifest(repo) == before
    assert wizard_containers(dockerd_client) == []
    return result


@pytest.mark.docker
def test_legacy_sample_fails_the_user_checks(legacy: Run) -> None:
    doc = legacy.json
    assert legacy.code == 1 and doc["ok"] is False
    checks = {c["name"]: c for c in doc["checks"]}
    for target in ("development", "production", "callback"):
        assert checks[f"build [{target}]"]["status"] == "pass"  # it builds, it is just wrong
        user = checks[f"non-root USER [{target}]"]
        assert user["status"] == "fail" and "root" in user["evidence"]
        assert user["where"].startswith("docker/Dockerfile:")
        ident = checks[f"runs as appuser 1000:1000 [{target}]"]
        assert ident["status"] == "fail" and "whoami=root" in ident["evidence"]
        assert checks[f"/app owned by appuser [{target}]"]["status"] == "fail"
    assert checks["bind-mount files owned by 1000 [development]"]["status"] == "fail"
    assert "owned by root" in checks["bind-mount files owned by 1000 [development]"]["evidence"]
    assert checks["HEALTHCHECK [production]"]["status"] == "fail"
    ctx = checks["no .env files in the build context"]
    assert ctx["status"] == "fail" and ".env.dev" in ctx["evidence"]
    assert checks["no .env files in the image [development]"]["status"] == "fail"
    env = checks["env_file variables reach the container [app @ docker-compose.dev.yml]"]
    assert env["status"] == "fail" and "hard-coded" in env["evidence"]
    for value in secret_values(legacy.repo):
        assert value not in legacy.text


# -- failure modes -----------------------------------------------------------------------------
@pytest.mark.docker
def test_failing_run_step_leaves_repo_untouched(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    repo = tmp_path / "broken"
    (repo / "docker").mkdir(parents=True)
    (repo / "docker" / "Dockerfile").write_text(
        "FROM python:3.13-slim AS development\nRUN useradd -m appuser\nUSER appuser\nRUN false\n"
    )
    before = manifest(repo)
    res = run(repo, stages=["development"])
    assert res.code == 1
    assert "build [development]" in res.text and "docker/Dockerfile:4" in res.text
    assert (
        "exit code: 1" in res.text
    )  # BuildKit: "executor failed running [/bin/sh -c false]: exit code: 1"
    assert manifest(repo) == before
    assert wizard_containers(dockerd_client) == []


@pytest.mark.docker
def test_ctrl_c_leaves_repo_untouched(dockerd_client, tmp_path: Path, monkeypatch) -> None:  # noqa: F811
    repo = tmp_path / "slow"
    (repo / "docker").mkdir(parents=True)
    token = uuid.uuid4().hex[:8]
    (repo / "docker" / "Dockerfile").write_text(
        f"FROM python:3.13-slim AS development\nRUN echo start-{token} && sleep 30\n"
    )
    before = manifest(repo)
    real_call = verify_mod.ConsoleRenderer.__call__

    def interrupt(self, obj):
        real_call(self, obj)
        if isinstance(obj, verify_mod.Output) and obj.line.startswith("start-"):
            raise KeyboardInterrupt

    monkeypatch.setattr(verify_mod.ConsoleRenderer, "__call__", interrupt)
    res = run(repo, stages=["development"])
    assert res.code == 130 and "interrupted" in res.text
    assert manifest(repo) == before
    assert "Traceback" not in res.text
    # the build is cancelled: its RUN step's process goes away (BuildKit runs it as a
    # process of the daemon's host, the classic builder in a container)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        building = [
            c
            for c in dockerd_client.containers.list(all=True)
            if token in str(c.attrs["Config"]["Cmd"])
        ] + subprocess.run(
            ["pgrep", "-f", f"start-{token}"], capture_output=True, text=True
        ).stdout.split()
        if not building:
            break
        time.sleep(0.5)
    assert not building


def test_unreachable_daemon_exits_2_with_a_hint(tmp_path: Path, monkeypatch) -> None:
    repo = tmp_path / "repo"
    (repo / "docker").mkdir(parents=True)
    (repo / "docker" / "Dockerfile").write_text("FROM python:3.13-slim\n")
    for host in ("unix:///var/tmp/dashtam-no-such-dir/docker.sock", "tcp://127.0.0.1:1"):
        monkeypatch.setenv("DOCKER_HOST", host)
        res = run(repo)
        assert res.code == 2
        lines = [ln for ln in res.text.splitlines() if ln.strip()]
        assert len(lines) == 1, res.text
        assert host in lines[0] and "DOCKER_HOST" in lines[0] and "Traceback" not in res.text
        doc = run(repo, as_json=True)
        assert doc.code == 2 and doc.json["ok"] is False and "DOCKER_HOST" in doc.json["error"]
