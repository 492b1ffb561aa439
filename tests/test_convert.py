"""`--convert`: a Poetry or requirements project gets migrate-to-uv's conversion as phase-1
changes to review, gated and undone like the rest (the gate issue's "non-uv projects").

Without it the Dockerfile stays (phase 3 held back, the plan says how to convert); with it
the plan shows pyproject.toml's new tables and the new uv.lock, the migrated repo's lock is
one `uv` accepts for its pyproject.toml, Poetry's own files still work, phase by phase ends
where all at once does, and rollback restores every byte. The converter is the real one
(installed with the wizard) and locks against the real package index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

from .conftest import manifest, run_cli
from .legacy_repos import write_repo

POETRY = """[tool.poetry]
name = "svc"
version = "0.4.0"
description = "A small API"
authors = ["Someone <someone@example.com>"]

[tool.poetry.dependencies]
python = "^3.11"
idna = "^3.4"

[tool.poetry.group.dev.dependencies]
six = "^1.16"

[tool.poetry.group.lint.dependencies]
toml = "^0.10"

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
"""

FILES = {
    "app/__init__.py": "",
    "app/main.py": "app = object()\n",
    "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nRUN pip install poetry\n"
    "COPY pyproject.toml ./\nRUN poetry install --no-root\nCOPY . .\n"
    'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n',
    "docker-compose.dev.yml": "services:\n  api:\n    build: .\n    env_file: .env.dev\n"
    "    volumes:\n      - ./app:/app/app\n",
    ".env.dev": "DEBUG=1\n",
    "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
}


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "the test command runs under uv"
    return uv


def _staged(repo: Path) -> str:
    return subprocess.run(
        ["git", "ls-files", "--stage"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def _poetry_repo(root: Path) -> Path:
    return write_repo(root, {**FILES, "pyproject.toml": POETRY})


def test_without_convert_the_plan_says_how_and_keeps_the_dockerfile(tmp_path: Path) -> None:
    repo = _poetry_repo(tmp_path / "svc")
    res = run_cli("plan", str(repo), "--no-diff")
    assert res.returncode == 0, res.stderr
    assert "managed with Poetry" in res.stdout and "`--convert` shows" in res.stdout
    assert "Phase 3 is held back" in res.stdout
    assert "[p1:create:uv.lock]" not in res.stdout


def test_poetry_project_converted_reviewed_applied_and_undone(tmp_path: Path) -> None:
    repo = _poetry_repo(tmp_path / "a" / "svc")
    stepwise = tmp_path / "b" / "svc"
    shutil.copytree(repo, stepwise, symlinks=True)
    before = manifest(repo)

    plan = run_cli("plan", str(repo), "--convert", "--json")
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    ids = {c["id"] for p in doc["phases"] for c in p["changes"]}
    assert {"p1:edit:pyproject.toml", "p1:create:uv.lock", "p3:edit:docker/Dockerfile"} <= ids
    text = run_cli("plan", str(repo), "--convert", "--phase", "1").stdout
    assert '+name = "svc"' in text and "+[dependency-groups]" in text  # the diff to review
    assert manifest(repo) == before  # planning converted a scratch copy, not the repo

    res = run_cli("apply", str(repo), "--convert", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    data = tomllib.loads((repo / "pyproject.toml").read_text())
    assert data["project"]["name"] == "svc" and data["project"]["version"] == "0.4.0"
    assert any(d.startswith("idna") for d in data["project"]["dependencies"])
    assert "poetry" in data["tool"]  # `poetry install` still reads its own tables
    assert data["build-system"]["build-backend"] == "poetry.core.masonry.api"
    # the lint group is part of dev: the production stage's `uv sync --no-dev` skips it
    assert {"include-group": "lint"} in data["dependency-groups"]["dev"]
    assert (repo / "pyproject.toml.backup").read_text() == POETRY
    check = subprocess.run(
        [_uv(), "lock", "--check"], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stderr  # uv.lock is the lock of this pyproject.toml
    dockerfile = (repo / "docker/Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile and "pyproject.toml uv.lock ./" in dockerfile
    status = run_cli("plan", str(repo), "--check")
    assert status.returncode == 0, status.stdout  # nothing left, the gate passes

    # phase by phase (only the first needs --convert: the applied conversion is remembered)
    for n in range(1, 8):
        extra = ["--convert"] if n == 1 else []
        step = run_cli("apply", str(stepwise), "--phase", str(n), *extra, "--yes")
        assert step.returncode == 0, f"phase {n}: {step.stdout}{step.stderr}"
    files = {k: v for k, v in manifest(repo).items() if k != ".git/index"}
    assert {k: v for k, v in manifest(stepwise).items() if k != ".git/index"} == files
    assert _staged(stepwise) == _staged(repo)  # the same moves staged (`git mv`)

    undo = run_cli("rollback", str(repo), "--yes")
    assert undo.returncode == 0, undo.stderr
    assert manifest(repo) == before


def test_a_conversion_that_fails_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    broken = POETRY.replace('idna = "^3.4"', 'idna = "^3.4"\nno-such-package-dw-zz = "^9.9"')
    repo = write_repo(tmp_path / "svc", {**FILES, "pyproject.toml": broken})
    before = manifest(repo)
    for command in ("plan", "apply"):
        res = run_cli(command, str(repo), "--convert", *(["--yes"] if command == "apply" else []))
        assert res.returncode == 2, res.stdout + res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "pyproject.toml: migrate-to-uv could not convert it" in lines[0]
        assert "Traceback" not in res.stderr
    assert manifest(repo) == before


def test_requirements_project_gets_a_pyproject_and_a_lock(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "svc",
        {**FILES, "requirements.txt": "idna>=3.4\n", "requirements-dev.txt": "six>=1.16\n"},
    )
    res = run_cli("apply", str(repo), "--convert", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    data = tomllib.loads((repo / "pyproject.toml").read_text())
    assert data["project"]["name"] == "svc"
    assert [d.split(">")[0] for d in data["project"]["dependencies"]] == ["idna"]
    assert (repo / "uv.lock").is_file() and (repo / "docker/Dockerfile").is_file()
    # kept for reference, marked as no longer used (the plan's phase 1)
    assert (repo / "requirements.txt").read_text().startswith("# Legacy")
