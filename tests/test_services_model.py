"""What verify checks a container against is what the repo's commands make Compose run.

docker/services.py used to read each compose file alone (no `-f` merging, no project
variables, its own env-file reader); it now asks the core's Compose model per command of
the repo. Here a layout where reading files alone gets it wrong, with the real Compose
(`config --format json`, run the way the Makefile runs it) as the oracle.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from dashtam_wizard.docker.services import build_targets, repo_services

from .conftest import COMPOSE


def _repo(root: Path) -> Path:
    root.mkdir()
    files = {
        "Makefile": (
            "up:\n\tdocker compose -f docker-compose.yml -f docker-compose.dev.yml "
            "--env-file .env.dev up -d\n"
        ),
        ".env.dev": "LEVEL=debug\nTAG=dev\nAPI_KEY=from-project\n",
        "app.env": "DB_URL=postgresql://u:${DB_PASS:-pw}@db/app\nMODE=${TAG}\n",
        "docker-compose.yml": (
            "services:\n"
            "  app:\n"
            "    build:\n"
            "      context: .\n"
            "      dockerfile: docker/Dockerfile\n"
            "      target: production\n"
            "    environment:\n"
            "      LEVEL: info\n"
        ),
        "docker-compose.dev.yml": (
            "services:\n"
            "  app:\n"
            "    build:\n"
            "      target: development\n"
            "    env_file: app.env\n"
            "    environment:\n"
            "      LEVEL: ${LEVEL}\n"
            "      API_KEY:\n"
            "    volumes:\n"
            "      - ./src:/app/src\n"
        ),
        "docker-compose.ci.yml": (
            "services:\n  app:\n    build: .\n    depends_on:\n      db:\n"
            "        condition: service_started\n    environment:\n      LEVEL: warning\n"
            "  # the database\n  db:\n    image: busybox\n"
        ),
        "docker/Dockerfile": "FROM python:3.13-slim AS production\nFROM production AS development\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _compose(root: Path) -> dict:
    res = subprocess.run(
        [str(COMPOSE), "-f", "docker-compose.yml", "-f", "docker-compose.dev.yml"]
        + ["--env-file", ".env.dev", "config", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PATH": os.environ["PATH"], "HOME": str(root)},
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_services_are_what_the_makefile_command_runs(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "shop")
    oracle = _compose(repo)["services"]["app"]
    app = next(
        s
        for s in repo_services(repo)
        if s.name == "app" and s.compose_file == repo / "docker-compose.dev.yml"
    )
    # the environment Compose gives the container: env file interpolated against the
    # project's variables, `environment:` over it, `API_KEY:` from --env-file
    assert app.resolved == oracle["environment"]
    assert app.resolved["LEVEL"] == "debug" and app.resolved["MODE"] == "dev"
    # the build as merged: the override's target, the base's context and Dockerfile
    assert app.target == oracle["build"]["target"] == "development"
    assert app.context == repo and app.dockerfile == "docker/Dockerfile"
    assert build_targets(repo, "docker/Dockerfile")[0] == "development"
    assert [(str(b.source), b.target) for b in app.binds] == [
        (v["source"], v["target"]) for v in oracle["volumes"] if v["type"] == "bind"
    ]
    assert app.project == _compose(repo)["name"] == "shop"
    assert app.where(repo) == "docker-compose.dev.yml:2"
    # the base file is only ever merged: never checked alone; a file no command names is
    # checked as its name implies (alone, the project's .env)
    files = {s.compose_file.name for s in repo_services(repo) if s.name == "app"}
    assert files == {"docker-compose.dev.yml", "docker-compose.ci.yml"}
    ci = next(s for s in repo_services(repo) if s.compose_file.name == "docker-compose.ci.yml")
    assert ci.resolved == {"LEVEL": "warning"} and ci.dockerfile == "Dockerfile"
    db = next(s for s in repo_services(repo) if s.name == "db")
    assert db.where(repo) == "docker-compose.ci.yml:10"  # its key, not app's depends_on entry


def test_a_compose_file_compose_refuses_has_no_services_to_check(tmp_path: Path) -> None:
    """`build: 3`, `volumes: 7`: Compose's schema refuses the file, so no command runs it;
    verify checks nothing of it (it used to stop with a TypeError traceback)."""
    repo = tmp_path / "bad"
    repo.mkdir()
    (repo / "docker-compose.yml").write_text("services:\n  app:\n    build: 3\n    volumes: 7\n")
    assert repo_services(repo) == []
    assert build_targets(repo) == []
