"""Shapes seen on real public repositories of the legacy layout, each in a test repo of its own.

Each repo is written here (nothing copied); each ends migrated with what its commands
build and run unchanged — judged by the real Compose, run the way `make -n` spells each
command, and by the files the commands name — or is refused with one line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dashtam_wizard.judge.binary import compose_cli

from .conftest import run_cli
from .legacy_repos import clone_breaker, config, fresh_clone, make_calls, write_repo
from .test_gate import DOCKERFILE

pytestmark = pytest.mark.skipif(compose_cli() is None, reason="needs a Compose v2 CLI")


# a uv project the template can build: pyproject.toml, uv.lock, a uvicorn app in /app
UV_PROJECT = {
    "src/main.py": "app = None\n",
    "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n',
    "uv.lock": (
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\nname = "svc"\n'
        'version = "0.1.0"\nsource = { virtual = "." }\n'
    ),
}
FASTAPI_DOCKERFILE = (
    "FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\n"
    'CMD ["uvicorn", "src.main:app", "--host", "0.0.0.0", "--port", "8000"]\n'
)


def _apply(repo: Path) -> None:
    res = run_cli("apply", str(repo), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_root_dockerfile_follows_its_move_everywhere_it_is_built(tmp_path: Path) -> None:
    """`build: .` and `dockerfile: Dockerfile` in compose, `docker build .` in a script and a
    workflow, docker/build-push-action without `file:` — all read ./Dockerfile, which moves."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.dev.yml": (
                "services:\n  app:\n    build: .\n  worker:\n    build:\n      context: .\n"
                "      dockerfile: Dockerfile\n"
            ),
            ".env.dev": "APP_ENV=dev\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
            "scripts/build.sh": "#!/bin/sh\nset -e\ndocker build -t svc . && docker build -t other ./elsewhere\n",
            ".github/workflows/ci.yml": (
                "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n      - name: image\n"
                "        uses: docker/build-push-action@v6\n        with:\n"
                "          context: .\n          push: false\n"
                "      - run: docker build -t svc:ci .\n"
            ),
        },
    )
    _apply(repo)
    assert not (repo / "Dockerfile").exists() and (repo / "docker/Dockerfile").is_file()
    [args] = make_calls(repo)["up"]
    for name, svc in config(repo, args)["services"].items():
        b = svc["build"]
        assert (Path(b["context"]) / b["dockerfile"]).resolve() == repo / "docker/Dockerfile", name
    script = (repo / "scripts/build.sh").read_text()
    assert "docker build -f docker/Dockerfile -t svc ." in script
    assert "docker build -t other ./elsewhere" in script  # another folder's build is not ours
    ci = (repo / ".github/workflows/ci.yml").read_text()
    assert (
        "          file: docker/Dockerfile\n" in ci
        and "docker build -f docker/Dockerfile -t svc:ci ." in ci
    )


def test_a_value_only_the_shell_sets_still_comes_from_the_shell(tmp_path: Path) -> None:
    """`API_TOKEN: ${API_TOKEN}` with no env file setting it: CI passes it from its secrets.
    Written out as today's (empty) value it would be frozen."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.ci.yml": (
                "services:\n  app:\n    build: .\n    environment:\n"
                "      API_TOKEN: ${API_TOKEN}\n      LEVEL: ${LEVEL:-info}\n      MODE: ci\n"
            ),
            ".env.ci": "MODE=ci\n",
            "Makefile": "ci:\n\tdocker compose -f docker-compose.ci.yml --env-file .env.ci up\n",
        },
    )
    shell = {"API_TOKEN": "from-the-ci-secret", "LEVEL": "debug"}
    [before] = make_calls(repo)["ci"]
    env_before = config(repo, before, shell)["services"]["app"]["environment"]
    _apply(repo)
    [after] = make_calls(repo)["ci"]
    env_after = config(repo, after, shell)["services"]["app"]["environment"]
    assert env_before == {"API_TOKEN": "from-the-ci-secret", "LEVEL": "debug", "MODE": "ci"}
    assert {k: env_after[k] for k in env_before} == env_before


def test_files_a_make_variable_names_are_not_named_twice(tmp_path: Path) -> None:
    """`docker compose $(DC_FILES) up`: make expands the -f options; nothing is added."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n",
            "docker-compose.override.yml": "services:\n  app:\n    environment:\n      MODE: dev\n",
            "Makefile": (
                "DC_FILES = -f docker-compose.yml -f docker-compose.override.yml\n"
                "up:\n\tdocker compose $(DC_FILES) up -d\nbare:\n\tdocker compose up -d\n"
            ),
        },
    )
    before = {t: [config(repo, a) for a in calls] for t, calls in make_calls(repo).items()}
    _apply(repo)
    calls = make_calls(repo)
    assert calls["up"] == [
        ["-f", "compose/docker-compose.yml", "-f", "compose/docker-compose.override.yml"]
    ]
    for t, cfgs in before.items():
        for b, args in zip(cfgs, calls[t], strict=True):
            a = config(repo, args)
            assert a["name"] == b["name"]
            assert (
                a["services"]["app"]["environment"]["MODE"]
                == b["services"]["app"]["environment"]["MODE"]
            )


def test_requirements_the_wizard_cannot_carry_hold_the_dependency_move_back(sample: Path) -> None:
    """`-e`, a bare VCS URL, an index option: pyproject.toml would claim to be complete."""
    req = sample / "requirements.txt"
    req.write_text(
        req.read_text() + "-e ./libs/shared\ngit+https://example.invalid/x/y.git\n"
        "--extra-index-url https://example.invalid/simple\nnewpkg-only-here==1.0\n"
    )
    subprocess.run(["git", "-C", str(sample), "commit", "-qam", "more requirements"], check=True)
    plan = json.loads(run_cli("plan", str(sample), "--json", "--no-diff").stdout)
    p1 = plan["phases"][0]
    assert not [c for c in p1["changes"] if c["path"] in ("pyproject.toml", "requirements.txt")]
    notes = " ".join(n["text"] for n in p1["notes"])
    n = len(req.read_text().splitlines())
    for line in (n - 3, n - 2, n - 1):
        assert f"requirements.txt:{line} " in notes, notes
    status = json.loads(run_cli("status", str(sample), "--json").stdout)
    item = next(i for i in status["items"] if i["text"] == "Add missing dependencies")
    assert item["done"] is False and "requirements.txt:" in item["evidence"]


def test_a_fresh_clone_still_runs_what_ran_before(tmp_path: Path) -> None:
    """No env file was needed before: the env file the wizard creates is not committed, so it
    is read only if present and no committed value moves into it."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.yml": (
                "services:\n  app:\n    build: .\n    environment:\n      MODE: dev\n"
                "      DB_PASSWORD: committed-dev-password\n"
            ),
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )
    [before_args] = make_calls(repo)["up"]
    before = config(repo, before_args)["services"]["app"]["environment"]
    _apply(repo)
    clone = fresh_clone(repo, tmp_path / "clone")
    assert not (clone / "env/.env.dev").exists()
    [args] = make_calls(clone)["up"]
    after = config(clone, args)["services"]["app"]["environment"]
    assert {k: after[k] for k in before} == before


def test_a_change_that_breaks_only_a_fresh_clone_is_refused(tmp_path: Path) -> None:
    """Bare `docker compose` read the developer's own (ignored) root .env when there was one,
    and ran without it in CI; migrated it would require env/.env.dev, which no clone has."""
    repo = clone_breaker(tmp_path / "svc")
    res = run_cli("apply", str(repo), "--yes")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Makefile:2: in a fresh clone, the command would change" in res.stderr
    assert "dashtam-wizard-gate" not in res.stderr and not (repo / ".dashtam-wizard").exists()


@pytest.mark.parametrize(
    "shape", ["poetry", "workdir", "entrypoint", "flask", "env", "appuser-requirements"]
)
def test_a_dockerfile_the_template_cannot_replace_is_left_alone(tmp_path: Path, shape: str) -> None:
    """Never write a Dockerfile that cannot build or run what the old one did."""
    files = {
        **UV_PROJECT,
        "Dockerfile": FASTAPI_DOCKERFILE,
        "docker-compose.dev.yml": "services:\n  app:\n    build: .\n",
        "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml up -d\n",
    }
    if shape == "poetry":
        del files["uv.lock"]
        files["poetry.lock"] = "# poetry\n"
    elif shape == "workdir":
        files["Dockerfile"] = files["Dockerfile"].replace("WORKDIR /app", "WORKDIR /code")
    elif shape == "entrypoint":
        files["Dockerfile"] += 'ENTRYPOINT ["/entrypoint.sh"]\n'
    elif shape == "flask":
        files["Dockerfile"] = (
            'FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nCMD ["flask", "run"]\n'
        )
    elif shape == "env":
        files["Dockerfile"] = files["Dockerfile"].replace(
            "COPY . .", "ENV FLASK_APP=src.main PYTHONPATH=/app\nCOPY . ."
        )
    elif shape == "appuser-requirements":  # non-root already (an editor's template), no uv
        del files["pyproject.toml"], files["uv.lock"]
        files["requirements.txt"] = "fastapi==0.115.0\n"
        files["Dockerfile"] = files["Dockerfile"].replace(
            "COPY . .", "RUN useradd -m appuser\nCOPY . .\nUSER appuser"
        )
    repo = write_repo(tmp_path / "svc", files)
    dockerfile = (repo / "Dockerfile").read_bytes()
    plan = json.loads(run_cli("plan", str(repo), "--json", "--no-diff").stdout)
    p3 = plan["phases"][2]
    assert p3["changes"] == [] and "Phase 3 is held back" in " ".join(
        n["text"] for n in p3["notes"]
    )
    _apply(repo)
    assert (repo / "Dockerfile").read_bytes() == dockerfile and not (
        repo / "docker/Dockerfile"
    ).exists()
    [args] = make_calls(repo)["up"]
    b = config(repo, args)["services"]["app"]["build"]
    assert (Path(b["context"]) / b["dockerfile"]).resolve() == repo / "Dockerfile"


def test_tests_run_from_the_image_stay_in_the_build_context(tmp_path: Path) -> None:
    """CI runs pytest on the image's own copy (no bind mount): excluding tests/ from the
    context would leave it 0 tests to collect."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "tests/test_x.py": "def test_x():\n    pass\n",
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.ci.yml": "services:\n  app:\n    build: .\n    command: pytest -q\n",
            "Makefile": "ci:\n\tdocker compose -f docker-compose.ci.yml up --abort-on-container-exit\n",
        },
    )
    _apply(repo)
    assert "tests/" not in (repo / ".dockerignore").read_text().splitlines()


def test_the_sample_mounts_its_tests_so_they_leave_the_context(sample: Path) -> None:
    _apply(sample)
    assert "tests/" in (sample / ".dockerignore").read_text().splitlines()


def test_a_root_compose_file_the_readme_runs_bare_is_live_not_a_template(tmp_path: Path) -> None:
    """`docker compose up` in the README runs docker-compose.yml: it moves as a live file."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n",
            "README.md": "# svc\n\nRun it:\n\n    docker compose up --build\n",
        },
    )
    _apply(repo)
    assert (repo / "compose/docker-compose.yml").is_file()
    assert not list((repo / "compose").glob("*.example"))


def test_a_committed_env_file_stays_committed_in_env(tmp_path: Path) -> None:
    """The repo shares its root .env (committed): the env/.env.dev the migrated command reads
    is committed too, so a fresh clone resolves what it did before."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n    environment:\n      MODE: ${MODE}\n",
            ".env": "MODE=dev\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )
    _apply(repo)
    clone = fresh_clone(repo, tmp_path / "clone" / "svc")
    assert (clone / "env/.env.dev").is_file()
    [args] = make_calls(clone)["up"]
    assert config(clone, args)["services"]["app"]["environment"]["MODE"] == "dev"


def test_a_poetry_pyproject_gets_no_nameless_project_table(tmp_path: Path) -> None:
    """uv rejects a [project] table without name and version: phase 1 leaves a Poetry
    pyproject.toml as it is and says to convert it first."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "pyproject.toml": '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.12"\n',
            "requirements.txt": "fastapi==0.115.0\n",
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )
    pyproject = (repo / "pyproject.toml").read_bytes()
    plan = json.loads(run_cli("plan", str(repo), "--json", "--no-diff").stdout)
    notes = " ".join(n["text"] for n in plan["phases"][0]["notes"])
    assert "no [project] table with a name" in notes
    _apply(repo)
    assert (repo / "pyproject.toml").read_bytes() == pyproject


def test_lock_files_are_mounted_only_where_the_app_source_is(tmp_path: Path) -> None:
    """A proxy built from the repo that mounts the Docker socket gets no /var/run/pyproject.toml;
    the app, which mounts ./app at /srv/app, gets them read-only in /srv."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "app/main.py": "app = None\n",
            "proxy/Dockerfile": "FROM nginx\n",
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.dev.yml": (
                "services:\n  proxy:\n    build: ./proxy\n    volumes:\n"
                "      - /var/run/docker.sock:/var/run/docker.sock:ro\n"
                "  app:\n    build: .\n    volumes:\n      - ./app:/srv/app\n"
            ),
            ".env.dev": "MODE=dev\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
        },
    )
    _apply(repo)
    [args] = make_calls(repo)["up"]
    services = config(repo, args)["services"]
    assert {v["target"] for v in services["proxy"]["volumes"]} == {"/var/run/docker.sock"}
    app = {v["target"]: v for v in services["app"]["volumes"]}
    assert app["/srv/pyproject.toml"]["read_only"] and app["/srv/uv.lock"]["read_only"]


def test_crlf_files_stay_crlf(sample: Path) -> None:
    """Lines a phase adds (a YAML dump, an appended block) take the file's own line endings."""
    names = ["Makefile", "docker-compose.dev.yml", ".env.dev", ".gitignore"]
    for name in names:
        p = sample / name
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    subprocess.run(["git", "-C", str(sample), "commit", "-qam", "crlf"], check=True)
    _apply(sample)
    for path in ["Makefile", "compose/docker-compose.dev.yml", "env/.env.dev", ".gitignore"]:
        data = (sample / path).read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n") > 0, path
    assert run_cli("plan", str(sample), "--check").returncode == 0  # and nothing left to do


def test_curdir_paths_in_a_makefile_follow_the_move(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.dev.yml": "services:\n  app:\n    build: .\n    environment:\n      MODE: ${MODE}\n",
            ".env.dev": "MODE=dev\n",
            "Makefile": "up:\n\tdocker compose -f $(CURDIR)/docker-compose.dev.yml --env-file $(CURDIR)/.env.dev up -d\n",
        },
    )
    before = config(repo, make_calls(repo)["up"][0])
    _apply(repo)
    assert (
        "$(CURDIR)/compose/docker-compose.dev.yml --env-file $(CURDIR)/env/.env.dev"
        in (repo / "Makefile").read_text()
    )
    after = config(repo, make_calls(repo)["up"][0])
    assert after["services"]["app"]["environment"] == before["services"]["app"]["environment"]
    assert after["name"] == before["name"]


def test_an_env_file_in_a_subfolder_is_judged_not_skipped(tmp_path: Path) -> None:
    """`env_file: ./config/app.env`: the gate's scratch trees hold it, so the call is compared
    (it was 'not judged: Compose rejects it already before migration')."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "config/app.env": "MODE=dev\n",
            "docker-compose.yml": "services:\n  app:\n    build: .\n    env_file: ./config/app.env\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )
    doc = json.loads(run_cli("plan", str(repo), "--with-compose", "--json", "--no-diff").stdout)
    assert (
        doc["gate"]["compared"] >= 1
        and doc["gate"]["unjudged"] == []
        and doc["gate"]["blocked"] == []
    )


def test_a_workflow_step_name_is_not_a_command(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.test.yml": "services:\n  app:\n    build: .\n",
            ".github/workflows/ci.yml": (
                "name: ci\non: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - name: start the docker compose stack\n"
                "        run: docker compose -f docker-compose.test.yml up -d\n"
            ),
        },
    )
    doc = json.loads(run_cli("plan", str(repo), "--with-compose", "--json", "--no-diff").stdout)
    assert doc["gate"]["compared"] == 1 and doc["gate"]["unjudged"] == [], doc["gate"]


def test_tests_run_by_a_script_from_the_image_stay_in_the_context(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "tests/test_x.py": "def test_x():\n    pass\n",
            "scripts/test.sh": "#!/bin/sh\npytest -q tests\n",
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.test.yml": "services:\n  app:\n    build: .\n    command: /app/scripts/test.sh\n",
            "Makefile": "test:\n\tdocker compose -f docker-compose.test.yml up --abort-on-container-exit\n",
        },
    )
    _apply(repo)
    assert "tests/" not in (repo / ".dockerignore").read_text().splitlines()


def test_a_refusal_says_which_keys_the_new_env_file_does_not_set(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.dev.yml": 'services:\n  db:\n    image: postgres:16\n    ports: ["${PGPORT}:5432"]\n',
            ".env": "PGPORT=5433\n",
            ".env.dev": "OTHER=1\n",
            "Makefile": "up:\n\tdocker compose --file docker-compose.dev.yml up\n",
        },
    )
    res = run_cli("plan", str(repo))
    assert (
        res.returncode == 2
        and "which does not set PGPORT" in res.stderr
        and "differently" not in res.stderr
    )


def test_a_dev_container_follows_the_moved_compose_file_and_dockerfile(tmp_path: Path) -> None:
    """Its paths are relative to .devcontainer/: `../docker-compose.yml` must become
    `../compose/docker-compose.yml`, and a `../Dockerfile` build `../docker/Dockerfile`."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
            ".devcontainer/devcontainer.json": (
                '{\n  // the app\n  "dockerComposeFile": ["../docker-compose.yml"],\n'
                '  "service": "app"\n}\n'
            ),
            ".devcontainer.json": '{\n  "build": {"dockerfile": "Dockerfile", "context": "."}\n}\n',
        },
    )
    _apply(repo)
    dc = (repo / ".devcontainer/devcontainer.json").read_text()
    assert '"dockerComposeFile": ["../compose/docker-compose.yml"]' in dc and "// the app" in dc
    assert (repo / ".devcontainer/../compose/docker-compose.yml").is_file()
    assert '"dockerfile": "docker/Dockerfile"' in (repo / ".devcontainer.json").read_text()


def _same_resolution(before: dict, after: dict) -> None:
    """Per service: every environment value it had, its bind sources, its build."""
    assert before["name"] == after["name"]
    for name, b in before["services"].items():
        a = after["services"][name]
        assert {k: a.get("environment", {}).get(k) for k in b.get("environment", {})} == b.get(
            "environment", {}
        )
        binds = lambda s: sorted(v["source"] for v in s.get("volumes", []) if v["type"] == "bind")  # noqa: E731
        assert binds(a) == binds(b), name
        if "build" in b:
            assert (Path(b["build"]["context"]) / b["build"]["dockerfile"]).read_bytes() == (
                Path(a["build"]["context"]) / a["build"]["dockerfile"]
            ).read_bytes() or Path(a["build"]["context"]).resolve() == Path(
                b["build"]["context"]
            ).resolve()


def test_compose_files_named_by_compose_file_and_every_flag_spelling(tmp_path: Path) -> None:
    """`export COMPOSE_FILE := a:b` in make, `COMPOSE_FILE=x docker compose …` on a recipe
    line, `export COMPOSE_FILE=…` in a script, `-fx`, `-f=x`, `--file=x`: each command runs
    the same services with the same values after migration, as make and sh really run them."""
    from .legacy_repos import real_runs

    base = (
        "services:\n  app:\n    build: .\n    environment:\n      LEVEL: ${LEVEL:-info}\n"
        "      MODE: ${MODE:-none}\n    volumes:\n      - ./src:/app/src\n"
    )
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.yml": base,
            "docker-compose.dev.yml": "services:\n  app:\n    environment:\n      DEBUG: '1'\n",
            "docker-compose.ci.yml": base.replace("info", "warning"),
            ".env.dev": "LEVEL=debug\nMODE=dev\n",
            ".env.ci": "MODE=ci\n",
            ".env": "LEVEL=trace\n",
            "docker-compose.test.yml": base.replace("info", "error"),
            "Makefile": (
                "export COMPOSE_FILE := docker-compose.yml:docker-compose.dev.yml\n"
                "up:\n\tdocker compose --env-file .env.dev up -d\n"
                "ci:\n\tCOMPOSE_FILE=docker-compose.ci.yml docker compose --env-file .env.ci up\n"
                "short:\n\tdocker compose -fdocker-compose.yml -f=docker-compose.dev.yml "
                "--env-file=.env.dev config\n"
                "bare:\n\tCOMPOSE_FILE=docker-compose.test.yml docker compose up\n"
                "long:\n\tdocker compose --file=docker-compose.yml --file docker-compose.dev.yml "
                "--env-file .env.dev config\n"
            ),
            "scripts/dev.sh": (
                "#!/bin/sh\nset -e\nexport COMPOSE_FILE=docker-compose.yml:docker-compose.dev.yml\n"
                "docker compose --env-file .env.dev up -d\n"
            ),
        },
    )
    commands = [
        ["make", "up"],
        ["make", "ci"],
        ["make", "short"],
        ["make", "long"],
        ["make", "bare"],
        ["sh", "scripts/dev.sh"],
    ]
    before = {tuple(c): real_runs(repo, c, tmp_path) for c in commands}
    resolved = {c: [config(repo, args, env) for args, env in runs] for c, runs in before.items()}
    assert all(len(r) == 1 for r in resolved.values()), before
    assert (
        resolved[("make", "up")][0]["services"]["app"]["environment"]["DEBUG"] == "1"
    )  # both files read
    assert (
        resolved[("make", "bare")][0]["services"]["app"]["environment"]["LEVEL"] == "trace"
    )  # the root .env
    _apply(repo)
    assert not (repo / "docker-compose.yml").exists()
    for c in commands:
        runs = real_runs(repo, c, tmp_path)
        assert len(runs) == 1, (c, runs)
        args, env = runs[0]
        assert all((repo / f).is_file() for f in env.get("COMPOSE_FILE", "").split(":") if f), (
            c,
            env,
        )
        _same_resolution(resolved[tuple(c)][0], config(repo, args, env))


def test_two_commands_of_one_file_interpolating_differently_are_refused(tmp_path: Path) -> None:
    """`make ci` reads .env.ci, `make bare` (no --env-file) the root .env: the migrated file
    can only be written for one of them. Refused, naming the command, nothing written."""
    from .conftest import manifest

    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.ci.yml": "services:\n  app:\n    build: .\n    environment:\n      MODE: ${MODE:-none}\n",
            ".env.ci": "MODE=ci\n",
            ".env": "OTHER=1\n",
            "Makefile": (
                "ci:\n\tdocker compose -f docker-compose.ci.yml --env-file .env.ci up\n"
                "bare:\n\tCOMPOSE_FILE=docker-compose.ci.yml docker compose up\n"
            ),
        },
    )
    before = manifest(repo)
    res = run_cli("apply", str(repo), "--yes")
    assert res.returncode == 2, res.stdout
    assert res.stderr.startswith(
        "dashtam-wizard: Makefile:4: runs Compose on docker-compose.ci.yml "
        "interpolating from .env, while Makefile:2 interpolates from .env.ci"
    ), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and manifest(repo) == before


def test_a_dockerfile_specific_ignore_file_follows_the_dockerfile_and_gets_the_rules(
    tmp_path: Path,
) -> None:
    """`Dockerfile.dockerignore` is what BuildKit reads for ./Dockerfile: it moves with the
    Dockerfile into docker/ (where BuildKit looks for docker/Dockerfile's) and gains the
    rules written to .dockerignore, so BuildKit and the classic builder send the same context."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "Dockerfile.dockerignore": "notes.txt\n",
            "notes.txt": "private\n",
            "docker-compose.dev.yml": "services:\n  app:\n    build: .\n",
            ".env.dev": "APP_ENV=dev\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
        },
    )
    plan = run_cli("plan", str(repo))
    assert (
        "docker/Dockerfile.dockerignore exists: BuildKit reads it instead of .dockerignore"
        in " ".join(plan.stdout.split())
    ), plan.stdout
    _apply(repo)
    assert not (repo / "Dockerfile.dockerignore").exists()
    own = (repo / "docker/Dockerfile.dockerignore").read_text()
    root = (repo / ".dockerignore").read_text()
    assert own.startswith("notes.txt\n")
    rules = [x for x in root.splitlines() if x.strip() and not x.startswith("#")]
    assert rules and all(r in own.splitlines() for r in rules), (rules, own)
    again = run_cli("plan", str(repo), "--check")
    assert again.returncode == 0, again.stdout + again.stderr


def test_env_readme_names_only_files_that_exist(tmp_path: Path) -> None:
    """A repo without .env.example: env/README.md does not send readers to env/.env.example."""
    import re

    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.dev.yml": "services:\n  app:\n    build: .\n    environment:\n      MODE: dev\n",
            ".env.dev": "APP_ENV=dev\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
        },
    )
    _apply(repo)
    text = (repo / "env/README.md").read_text()
    named = set(re.findall(r"`?((?:env|compose)/[\w./-]+?)`?(?=[\s`),:]|$)", text))
    assert named, text
    missing = [p for p in named if not (repo / p).exists() and not p.endswith((".prod", "/"))]
    assert not missing, (missing, text)


def test_an_env_file_chosen_at_run_time_is_not_taken_for_a_disagreement(tmp_path: Path) -> None:
    """`make ci` reads .env.ci; a script picks its env file when it runs (`--env-file
    "$ENV_FILE"`): nothing to compare statically, so no refusal for it."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.ci.yml": (
                "services:\n  app:\n    build: .\n    environment:\n      MODE: ${MODE:-none}\n"
            ),
            ".env.ci": "MODE=ci\n",
            "Makefile": "ci:\n\tdocker compose -f docker-compose.ci.yml --env-file .env.ci up\n",
            "scripts/up.sh": '#!/bin/sh\ndocker compose -f docker-compose.ci.yml --env-file "$ENV_FILE" up\n',
        },
    )
    res = run_cli("plan", str(repo))
    assert res.returncode == 0, res.stderr
    assert "interpolating from" not in res.stderr


def test_a_dockerfile_the_wizard_generated_is_never_rewritten(sample: Path) -> None:
    """Migrated, its state folder deleted (a fresh clone of the migrated repo) and the
    generated Dockerfile edited by hand: planning again leaves the Dockerfile alone."""
    import shutil

    _apply(sample)
    shutil.rmtree(sample / ".dashtam-wizard")
    df = sample / "docker/Dockerfile"
    df.write_text(df.read_text() + "LABEL team=payments\n")
    plan = json.loads(run_cli("plan", str(sample), "--json", "--no-diff").stdout)
    assert plan["phases"][2]["changes"] == [], plan["phases"][2]


def test_a_dockerfile_in_a_subfolder_is_named_and_left_alone(tmp_path: Path) -> None:
    """Images built from docker/web/Dockerfile: phase 3 (which refactors a root Dockerfile
    or docker/Dockerfile) says which file it leaves alone, not that there is none."""
    repo = write_repo(
        tmp_path / "svc",
        {
            **UV_PROJECT,
            "docker/web/Dockerfile": FASTAPI_DOCKERFILE,
            "docker-compose.dev.yml": "services:\n  app:\n    build:\n      context: .\n"
            "      dockerfile: docker/web/Dockerfile\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml up -d\n",
        },
    )
    plan = json.loads(run_cli("plan", str(repo), "--json", "--no-diff").stdout)
    notes = " ".join(n["text"] for n in plan["phases"][2]["notes"])
    assert "the Dockerfile is docker/web/Dockerfile, not the root Dockerfile" in notes, notes
    _apply(repo)
    assert (repo / "docker/web/Dockerfile").read_text() == FASTAPI_DOCKERFILE
    assert not (repo / "docker/Dockerfile").exists()
