"""Flaws of the plan the wizard does not copy: what a user would find wrong after applying it.

- The plan gives every service `env_file: ../env/.env.dev`, Postgres and Redis included:
  a database or cache image would receive every value in the app's env file, its secrets
  included. Services run from an image the repo does not build keep their environment.
- Phase 2 makes docker/ for the rewritten Dockerfile; when phase 3 is held back (a Poetry
  project with no uv.lock) nothing would ever go there: no empty folder is made.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashtam_wizard.judge.binary import compose_cli

from .conftest import run_cli
from .legacy_repos import config, write_repo

pytestmark = pytest.mark.skipif(compose_cli() is None, reason="needs a Compose v2 CLI")


def test_database_and_cache_containers_get_none_of_the_apps_secrets(sample: Path) -> None:
    secret = "dev-sk-4fT2mR8wLq-ledgerly-unique"  # the sample's SECRET_KEY in .env.dev
    assert secret in (sample / ".env.dev").read_text()
    before = config(sample, ["-f", "docker-compose.dev.yml", "--env-file", ".env.dev"])["services"]
    res = run_cli("apply", str(sample), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    after_args = ["-f", "compose/docker-compose.dev.yml", "--env-file", "env/.env.dev"]
    assert " ".join(after_args) + " up -d" in (sample / "Makefile").read_text()
    after = config(sample, after_args)["services"]
    for name in ("postgres", "redis"):
        assert after[name].get("environment") == before[name].get("environment"), name
        assert secret not in str(after[name])
    assert after["app"]["environment"]["SECRET_KEY"] == secret  # the app still has it
    text = (sample / "compose/docker-compose.dev.yml").read_text()
    postgres = text.split("  postgres:")[1].split("\n  redis:")[0]
    assert "env_file" not in postgres and "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD" in postgres
    plan = run_cli("plan", str(sample), "--json").stdout
    assert "postgres, redis (images not built here) get no env_file" in plan


def test_no_empty_docker_folder_when_the_dockerfile_stays(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "poetry-svc",
        {
            "pyproject.toml": '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n',
            "app/main.py": "app = None\n",
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /code\nCOPY . .\n"
            'CMD ["poetry", "run", "python", "-m", "app.main"]\n',
            "docker-compose.dev.yml": "services:\n  web:\n    build: .\n  db:\n    image: postgres:16\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml up -d\n",
        },
    )
    res = run_cli("apply", str(repo), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (repo / "Dockerfile").is_file() and not (repo / "docker").exists()
    assert (repo / "compose/docker-compose.dev.yml").is_file()
    status = run_cli("status", str(repo))
    assert "no docker/: phase 3 is held back" in status.stdout, status.stdout


def test_an_unused_compose_file_kept_as_a_template_raises_no_false_alarm(tmp_path: Path) -> None:
    """The root docker-compose.yml no command runs becomes compose/docker-compose.prod.yml.example
    (the plan's "unused and incorrect" file): its `${DB_NAME}` came from the developer's .env
    and will come from the deployment's env/.env.prod. That is not a container of today's
    repo seeing a different value: one note says so, no warning claims otherwise."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "app/main.py": "app = None\n",
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n",
            "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n    environment:\n"
            "      - POSTGRES_DB=${DB_NAME}\n",
            "docker-compose.dev.yml": "services:\n  web:\n    build: .\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml up -d\n",
        },
    )
    (repo / ".env").write_text("DB_NAME=shop\n")
    out = run_cli("plan", str(repo), "--no-diff").stdout
    assert "compose/docker-compose.prod.yml.example" in out
    assert "would see a different" not in out, out
    assert "a template no command runs; its values are read from env/.env.prod" in out
