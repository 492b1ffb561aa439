"""A corpus of legacy repos, written for these tests, judged the same way whatever their shape.

Frameworks (FastAPI, Django, Flask), package managers (uv, Poetry, pdm, Pipenv, pip-tools,
plain requirements), Makefiles with variables and included makefiles, scripts, CI
workflows, compose files named every which way. Each must end migrated — every Compose
call, run as `make -n` and the scripts spell it, resolves the same in the repo and in a
fresh clone of the committed result (up to the documented allowed differences), and every
Dockerfile a build names exists — or be refused with one line and nothing changed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from dashtam_wizard.core.gate import compare
from dashtam_wizard.core.snapshot import read_tree
from dashtam_wizard.judge.binary import compose_cli

from .conftest import manifest, run_cli
from .legacy_repos import fresh_clone, global_args, resolve, write_repo

pytestmark = pytest.mark.skipif(compose_cli() is None, reason="needs a Compose v2 CLI")

UV = {
    "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n',
    "uv.lock": 'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\nname = "svc"\n'
    'version = "0.1.0"\nsource = { virtual = "." }\n',
}
FASTAPI = (
    "FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nRUN pip install uv && uv sync --frozen\n"
    'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]\n'
)
DJANGO = (
    "FROM python:3.12-slim\nENV PYTHONUNBUFFERED=1\nWORKDIR /code\nCOPY . .\n"
    'RUN pip install poetry && poetry install\nCMD ["poetry", "run", "python", "manage.py", "runserver"]\n'
)
FLASK = (
    "FROM python:3.11-slim\nWORKDIR /app\nCOPY Pipfile Pipfile.lock ./\nRUN pip install pipenv && pipenv install\n"
    'COPY . .\nENV FLASK_APP=app\nCMD ["flask", "run", "--host", "0.0.0.0"]\n'
)

CORPUS: dict[str, dict[str, str]] = {
    "fastapi-uv-makefile-vars": {
        **UV,
        "app/main.py": "app = None\n",
        "Dockerfile": FASTAPI,
        "docker-compose.dev.yml": (
            'services:\n  api:\n    build: .\n    ports: ["8000:8000"]\n    environment:\n'
            "      DATABASE_URL: postgresql://app:${DB_PASSWORD:-devpw}@db/app\n"
            "    volumes:\n      - ./app:/app/app\n  db:\n    image: postgres:16\n"
            "    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD:-devpw}\n"
            "    volumes:\n      - pgdata:/var/lib/postgresql/data\nvolumes:\n  pgdata: {}\n"
        ),
        ".env.dev": "DB_PASSWORD=devpw\n",
        "Makefile": (
            "COMPOSE_DEV := docker compose -f docker-compose.dev.yml --env-file .env.dev\n"
            "up:\n\t$(COMPOSE_DEV) up -d\nlogs:\n\t$(COMPOSE_DEV) logs -f api\n"
        ),
    },
    "fastapi-uv-included-makefile": {
        **UV,
        "app/main.py": "app = None\n",
        "Dockerfile": FASTAPI,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    env_file: .env\n",
        ".env": "MODE=dev\n",
        "docker.mk": "DC = docker compose -f docker-compose.yml\nup:\n\t$(DC) up -d\n",
        "Makefile": "include docker.mk\ntest:\n\tpytest -q\n",
    },
    "django-poetry": {
        "pyproject.toml": '[tool.poetry]\nname = "site"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.12"\n',
        "poetry.lock": "# poetry\n",
        "manage.py": "print('manage')\n",
        "Dockerfile": DJANGO,
        "docker-compose.yml": (
            "services:\n  web:\n    build: .\n    command: python manage.py runserver 0.0.0.0:8000\n"
            "    volumes:\n      - .:/code\n    env_file: .env\n  db:\n    image: postgres:16\n"
        ),
        ".env": "DEBUG=1\nSECRET_KEY=django-insecure-test\n",
        "Makefile": "up:\n\tdocker-compose up -d\nmigrate:\n\tdocker-compose run web python manage.py migrate\n",
    },
    "flask-pipenv-scripts": {
        "Pipfile": '[packages]\nflask = "*"\n',
        "Pipfile.lock": "{}\n",
        "app/__init__.py": "app = None\n",
        "Dockerfile": FLASK,
        "docker-compose.yml": 'services:\n  web:\n    build: .\n    ports: ["5000:5000"]\n',
        "docker-compose.test.yml": "services:\n  web:\n    build: .\n    command: pytest -q\n",
        "scripts/test.sh": "#!/bin/sh\nset -e\ndocker compose -f docker-compose.test.yml run --rm web\n",
    },
    "pdm-compose-yaml": {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1.0"\n\n[tool.pdm]\ndistribution = false\n',
        "pdm.lock": "# pdm\n",
        "src/svc.py": "x = 1\n",
        "Dockerfile": FASTAPI,
        "compose.yaml": "services:\n  svc:\n    build: .\n    environment:\n      LEVEL: info\n",
        "Makefile": "run:\n\tdocker compose up\n",
    },
    "pip-tools-ci-workflow": {
        "requirements.in": "fastapi\n",
        "requirements.txt": "fastapi==0.115.0\n",
        "app/main.py": "app = None\n",
        "Dockerfile": FASTAPI.replace(
            "RUN pip install uv && uv sync --frozen", "RUN pip install -r requirements.txt"
        ),
        "docker-compose.ci.yml": (
            "services:\n  api:\n    build: .\n    environment:\n      API_TOKEN: ${API_TOKEN}\n"
            "      MODE: ci\n"
        ),
        ".github/workflows/ci.yml": (
            "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - run: docker compose -f docker-compose.ci.yml up --abort-on-container-exit\n"
        ),
    },
    "requirements-hyphenated-names": {
        "requirements.txt": "flask\n-e ./vendor/lib\n",
        "app.py": "app = None\n",
        "Dockerfile": FLASK,
        "docker-compose-local.yml": "services:\n  web:\n    build: .\n    environment:\n      MODE: local\n",
        "docker-compose-prod.yml": "services:\n  web:\n    build: .\n    environment:\n      MODE: prod\n",
        "Makefile": (
            "local:\n\tdocker compose -f docker-compose-local.yml up\n"
            "prod:\n\tdocker compose -f docker-compose-prod.yml up -d\n"
        ),
    },
    "uv-override-and-bare": {
        **UV,
        "app/main.py": "app = None\n",
        "Dockerfile": FASTAPI,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    environment:\n      MODE: base\n",
        "docker-compose.override.yml": "services:\n  api:\n    environment:\n      MODE: dev\n    volumes:\n      - ./app:/app/app\n",
        "Makefile": "up:\n\tdocker compose up -d\ndown:\n\tdocker compose down\n",
    },
    "uv-anchor-two-services": {
        **UV,
        "app/main.py": "app = None\n",
        "Dockerfile": FASTAPI,
        "docker-compose.dev.yml": (
            "x-app: &app\n  build: .\n  volumes:\n    - ./app:/app/app\n  env_file: .env.dev\n"
            "services:\n  api:\n    <<: *app\n  worker:\n    <<: *app\n    command: python -m app.worker\n"
        ),
        ".env.dev": "QUEUE=default\n",
        "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
    },
}


def _calls(repo: Path) -> list[tuple[str, list[str]]]:
    """Every Compose command the repo runs: make targets as `make -n` prints them, scripts,
    and workflow `run:` lines; the global options only."""
    lines: list[tuple[str, str]] = []
    if (repo / "Makefile").exists():
        text = (repo / "Makefile").read_text()
        for mk in [repo / "Makefile", *repo.glob("*.mk")]:
            text += "\n" + mk.read_text()
        targets = sorted({m.group(1) for m in re.finditer(r"(?m)^([a-z][\w-]*):(?!=)", text)})
        for t in targets:
            out = subprocess.run(["make", "-n", t], cwd=repo, capture_output=True, text=True)
            lines += [(f"make {t}", ln) for ln in out.stdout.splitlines()]
    for path in [*repo.glob("scripts/*.sh"), *repo.glob(".github/workflows/*.yml")]:
        lines += [
            (str(path.relative_to(repo)), ln.split("run:", 1)[-1])
            for ln in path.read_text().splitlines()
        ]
    calls = []
    for where, line in lines:
        if (args := global_args(line)) is not None:
            calls.append((where, args))
    return calls


def _normalised(answer: dict | str, root: Path) -> dict | str:
    """Paths written relative to the repo, as the gate's rules compare them."""
    if isinstance(answer, str):
        return answer
    return json.loads(json.dumps(answer).replace(str(root), "<repo>"))


def test_the_corpus_spans_at_least_twenty_repos_with_the_other_test_repos() -> None:
    from . import test_gate, test_real_shapes

    others = [n for m in (test_gate, test_real_shapes) for n in dir(m) if n.startswith("test_")]
    assert len(CORPUS) + len(others) >= 20


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_legacy_repo_is_migrated_with_behaviour_kept_or_refused(tmp_path: Path, name: str) -> None:
    repo = write_repo(tmp_path / name, CORPUS[name])
    fresh_before = fresh_clone(
        repo, tmp_path / "clone-before" / name
    )  # named like the repo (the project)
    before = {(w, tuple(a)): _normalised(resolve(repo, a), repo) for w, a in _calls(repo)}
    before_clone = {
        (w, tuple(a)): _normalised(resolve(fresh_before, a), fresh_before)
        for w, a in _calls(fresh_before)
    }
    tree_before = read_tree(repo)
    pristine = manifest(repo)
    res = run_cli("apply", str(repo), "--yes")
    if res.returncode == 2:  # refused: one line naming a file, nothing changed
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and re.match(r"dashtam-wizard: [^:]+(:\d+)?: ", lines[0]), res.stderr
        assert manifest(repo) == pristine
        return
    assert res.returncode == 0, res.stdout + res.stderr
    fresh_after = fresh_clone(repo, tmp_path / "clone-after" / name)
    for view, root, was in (("repo", repo, before), ("fresh clone", fresh_after, before_clone)):
        after_calls = _calls(root)
        assert len(after_calls) == len(was), (view, after_calls)
        tree_after = read_tree(root)
        for ((where, _args), b), (_w, a_args) in zip(was.items(), after_calls, strict=True):
            a = _normalised(resolve(root, a_args), root)
            if isinstance(b, str):
                continue  # Compose refused it before the migration too
            assert not isinstance(a, str), f"{name}: {view}: {where} fails after migration: {a}"
            diffs = compare(where, b, a, tree_before, tree_after)
            assert not diffs, f"{name}: {view}: " + "; ".join(d.line() for d in diffs)
            for svc in a["services"].values():  # every Dockerfile a build names exists
                build = svc.get("build")
                if isinstance(build, dict) and not build.get("dockerfile_inline"):
                    ctx = Path(build["context"].replace("<repo>", str(root)))
                    assert (ctx / build.get("dockerfile", "Dockerfile")).is_file(), (
                        name,
                        view,
                        build,
                    )
