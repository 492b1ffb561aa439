"""The bundled legacy sample (assets/sample) is a real, self-consistent repo.

The sample is "ledgerly", a small FastAPI + Postgres + Redis service laid out the way the
refactoring plan's "Current State" describes, written for this project:

* docker/Dockerfile runs as root in every stage and generates pyproject.toml with `uv init`;
* docker-compose.yml is unused (nothing runs it) and bind-mounts ./.env into the container;
* docker-compose.dev/test/ci.yml hard-code `environment:` values (map form in dev, list form
  in test and ci), mixing literals and `${VAR:-default}` interpolation from the root
  .env.dev / .env.test / .env.ci files that the Makefile, CI workflow and scripts pass with
  `--env-file`;
* in the dev file `callback` and `app` disagree on LOG_LEVEL (info vs debug), a conflict the
  wizard must report when it moves the values into one env file;
* pyproject.toml/uv.lock lack email-validator, which requirements.txt has (phase 1 adds it);
* .dockerignore does not exclude .env files, and .gitignore ignores `env/` (the future folder).

These tests keep the sample honest: Compose accepts every file, make parses the Makefile,
and the properties the wizard's own tests rely on are still there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from dotenv import dotenv_values

from .conftest import compose_config

SAMPLE = Path(__file__).resolve().parent.parent / "assets" / "sample"

EXPECTED_FILES = [
    ".dockerignore",
    ".env.ci",
    ".env.dev",
    ".env.example",
    ".env.test",
    ".gitignore",
    ".github/workflows/ci.yml",
    "Makefile",
    "README.md",
    "alembic.ini",
    "alembic/env.py",
    "alembic/script.py.mako",
    "alembic/versions/0001_initial.py",
    "callback_server.py",
    "docker/Dockerfile",
    "docker-compose.yml",
    "docker-compose.dev.yml",
    "docker-compose.test.yml",
    "docker-compose.ci.yml",
    "docs/infrastructure.md",
    "pyproject.toml",
    "requirements-dev.txt",
    "requirements.txt",
    "scripts/run-tests.sh",
    "src/__init__.py",
    "src/config.py",
    "src/main.py",
    "tests/__init__.py",
    "tests/test_health.py",
    "uv.lock",
]
# Unique secret-looking values: output-leak tests grep for them.
SECRETS = {
    ".env.dev": ("dev-7Qx9-pg-secret", "dev-sk-4fT2mR8wLq-ledgerly-unique"),
    ".env.test": ("test-K3p8-pg-secret", "test-sk-9Vn2xB7cHd-ledgerly-unique"),
    ".env.ci": ("ci-only-Zr4w-pg-password", "ci-only-Hb6y-secret-not-for-prod"),
}
COMPOSE_RUNS = [
    ("docker-compose.dev.yml", ".env.dev"),
    ("docker-compose.test.yml", ".env.test"),
    ("docker-compose.ci.yml", ".env.ci"),
    ("docker-compose.yml", None),
    ("docker-compose.yml", ".env.example"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAMPLE, tmp_path / "ledgerly"))


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_sample_has_exactly_the_expected_files() -> None:
    assert _files(SAMPLE) == set(EXPECTED_FILES)
    for junk in (".venv", "__pycache__", ".pytest_cache", ".ruff_cache"):
        assert not list(SAMPLE.rglob(junk)), f"junk in the sample: {junk}"
    assert os.access(SAMPLE / "scripts/run-tests.sh", os.X_OK)


@pytest.mark.parametrize(("compose_file", "env_file"), COMPOSE_RUNS)
def test_compose_accepts_every_file(repo: Path, compose_file: str, env_file: str | None) -> None:
    cfg = compose_config(repo, compose_file, env_file)
    assert {"app", "postgres", "redis"} <= set(cfg["services"])


def test_dev_compose_resolves_env_file_values_and_has_a_conflict(repo: Path) -> None:
    svc = compose_config(repo, "docker-compose.dev.yml", ".env.dev")["services"]
    app, callback = svc["app"]["environment"], svc["callback"]["environment"]
    assert (
        app["DATABASE_URL"] == "postgresql://ledgerly:dev-7Qx9-pg-secret@postgres:5432/ledgerly_dev"
    )
    assert app["SECRET_KEY"] == "dev-sk-4fT2mR8wLq-ledgerly-unique"
    assert (app["LOG_LEVEL"], callback["LOG_LEVEL"]) == ("debug", "info")
    assert app["APP_ENV"] == callback["APP_ENV"] == "development"
    binds = {v["target"] for v in svc["app"]["volumes"] if v["type"] == "bind"}
    assert {"/app/src", "/app/tests", "/app/alembic"} <= binds
    test_app = compose_config(repo, "docker-compose.test.yml", ".env.test")["services"]["app"]
    assert test_app["environment"]["APP_ENV"] == "test"
    ci = compose_config(repo, "docker-compose.ci.yml", ".env.ci")["services"]
    assert ci["app"]["environment"]["APP_ENV"] == "ci"
    assert not any(s.get("ports") for s in ci.values())


def test_dev_compose_text_keeps_what_the_variant_tests_edit() -> None:
    text = (SAMPLE / "docker-compose.dev.yml").read_text()
    assert re.search(r"\n(\s+)- \./src:/app/src\n", text)
    after = text[text.index("  redis:\n") :]
    redis_block = after[: after.index("\n  app:")]
    assert "image: redis:" in redis_block and "environment:" not in redis_block
    assert "#" in text  # comments the wizard must keep


def test_makefile_parses_and_never_runs_the_base_compose_file(repo: Path) -> None:
    res = subprocess.run(
        ["make", "-n", "dev-up", "test", "ci-test", "help"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "docker compose -f docker-compose.dev.yml --env-file .env.dev up -d" in out
    assert (
        "docker compose -f docker-compose.test.yml --env-file .env.test exec -T app pytest" in out
    )
    assert "-f docker-compose.ci.yml --env-file .env.ci up --build" in out
    mk = (repo / "Makefile").read_text()
    assert "COMPOSE_TEST := docker-compose.test.yml" in mk and "$(COMPOSE_TEST)" in mk
    assert not re.search(r"(?<![\w.])docker-compose\.yml", mk)
    recipes = [line for line in mk.splitlines() if line.startswith("\t")]
    assert len(recipes) > 20


def test_env_files_parse_and_hold_unique_secrets() -> None:
    for name, values in SECRETS.items():
        env = dotenv_values(SAMPLE / name)
        assert (env["POSTGRES_PASSWORD"], env["SECRET_KEY"]) == values
    example = dotenv_values(SAMPLE / ".env.example")
    for name in SECRETS:
        assert set(dotenv_values(SAMPLE / name)) <= set(example), (
            f"{name} has keys .env.example lacks"
        )
    everywhere = {
        p: p.read_text() for p in SAMPLE.rglob("*") if p.is_file() and p.suffix != ".lock"
    }
    for name, values in SECRETS.items():
        for value in values:
            holders = [p.name for p, text in everywhere.items() if value in text]
            assert holders == [name], f"{value} should only be in {name}, found in {holders}"


def test_pyproject_is_an_application_without_email_validator() -> None:
    py = tomllib.loads((SAMPLE / "pyproject.toml").read_text())
    assert py["project"]["name"] == "ledgerly"
    assert "build-system" not in py
    assert not any(d.startswith("email-validator") for d in py["project"]["dependencies"])
    assert py["dependency-groups"]["dev"]
    assert "email-validator" in (SAMPLE / "requirements.txt").read_text()
    lock = tomllib.loads((SAMPLE / "uv.lock").read_text())
    names = {p["name"] for p in lock["package"]}
    assert {
        "ledgerly",
        "fastapi",
        "uvicorn",
        "alembic",
        "sqlalchemy",
        "redis",
        "pytest",
        "httpx",
    } <= names
    assert "email-validator" not in names


def test_dockerfile_is_the_legacy_one() -> None:
    text = (SAMPLE / "docker/Dockerfile").read_text()
    assert "USER" not in text and "uv init --app --name ledgerly" in text
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, re.MULTILINE)
    assert stages == [
        ("ghcr.io/astral-sh/uv:0.8.22-python3.13-trixie-slim", "base"),
        ("base", "development"),
        ("base", "production"),
        ("python:3.13-slim", "callback"),
    ]
    assert ".env" not in (SAMPLE / ".dockerignore").read_text()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_rules(repo: Path) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    paths = [".env.dev", ".env.test", ".env.ci", ".env.example", "env/.env.ci", "pyproject.toml"]
    res = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--no-index", *paths],
        capture_output=True,
        text=True,
    )
    assert set(res.stdout.split()) == {".env.dev", ".env.test", "env/.env.ci"}
