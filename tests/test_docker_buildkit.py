"""verify builds the way users do: `docker compose build` with BuildKit, with the arguments
of the repo's own command, and checks what that builder actually sent and built.

Each test runs `dashtam-wizard verify --json` as a user would, once through Compose (the
default, with the bundled Compose v2 binary) and once with no Compose CLI (the SDK's
classic builder, the fallback), on repos where the two builders differ: `RUN --mount`,
build args that only the compose file passes, and a Dockerfile-specific ignore file.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .conftest import run_cli, schema_valid
from .dockerd import dockerd_client  # noqa: F401
from .legacy_repos import write_repo

pytestmark = pytest.mark.docker

CLASSIC = {"DASHTAM_WIZARD_COMPOSE": "none"}

DOCKERFILE = """FROM python:3.13-slim AS development
ARG UID=1000
RUN --mount=type=cache,target=/root/.cache useradd -m -u "$UID" appuser \\
    && install -d -o appuser -g appuser /app
WORKDIR /app
COPY --chown=appuser:appuser . .
USER appuser
"""


def _verify(repo: Path, env: dict[str, str] | None = None) -> tuple[int, dict]:
    res = run_cli("verify", str(repo), "--json", "--stage", "development", env=env)
    assert res.stdout.lstrip().startswith("{"), res.stdout + res.stderr
    return res.returncode, schema_valid(json.loads(res.stdout))


def _checks(doc: dict) -> dict[str, dict]:
    return {c["name"]: c for c in doc["checks"]}


def test_verify_builds_with_buildkit_as_the_repos_command_does(
    dockerd_client,  # noqa: F811
    tmp_path: Path,
) -> None:
    """`RUN --mount` builds (BuildKit), and UID=1234 from the compose file's build args (the
    Makefile's command) is what the image runs as; the classic fallback cannot build it and
    says so, naming the Dockerfile line."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "docker/Dockerfile": DOCKERFILE,
            "compose/docker-compose.dev.yml": (
                "name: svc\nservices:\n  app:\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile\n"
                '      target: development\n      args:\n        UID: "1234"\n'
            ),
            "Makefile": "dev-build:\n\tdocker compose -f compose/docker-compose.dev.yml build\n",
            ".dockerignore": ".git\n",
            "app.py": "print('hi')\n",
        },
    )
    code, doc = _verify(repo)
    checks = _checks(doc)
    assert doc["builder"].startswith("BuildKit via"), doc["builder"]
    assert code == 0, [c for c in doc["checks"] if c["status"] == "fail"]
    assert checks["runs as appuser 1234:1234 [development]"]["status"] == "pass"
    [build] = doc["builds"]
    assert build["ok"] and build["steps"] >= 4

    code, doc = _verify(repo, CLASSIC)
    assert doc["builder"].startswith("classic builder"), doc["builder"]
    build_check = _checks(doc)["build [development]"]
    assert code == 1 and build_check["status"] == "fail"
    assert build_check["where"] == "docker/Dockerfile:3", build_check
    assert "--mount" in build_check["evidence"] or "BuildKit" in build_check["evidence"], (
        build_check
    )


def test_the_ignore_file_buildkit_reads_is_the_one_checked(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    """`docker/Dockerfile.dockerignore` leaves `.env` out for BuildKit, while `.dockerignore`
    (all the classic builder reads) lets it in: each run checks the context and the image
    its own builder produced, and the classic run says which file it did not read."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "docker/Dockerfile": DOCKERFILE.replace("--mount=type=cache,target=/root/.cache ", ""),
            "docker/Dockerfile.dockerignore": ".git\n.env\n",
            ".dockerignore": ".git\n",
            ".env": "API_TOKEN=zzSECRETzz\n",
            "app.py": "print('hi')\n",
        },
    )
    code, doc = _verify(repo)
    checks = _checks(doc)
    assert doc["builder"].startswith("BuildKit via")
    assert doc["context"]["dockerignore"] == "docker/Dockerfile.dockerignore"
    assert checks["no .env files in the build context"]["status"] == "pass"
    assert checks["no .env files in the image [development]"]["status"] == "pass"
    assert code == 0

    code, doc = _verify(repo, CLASSIC)
    checks = _checks(doc)
    assert doc["context"]["dockerignore"] == ".dockerignore" and doc["context"]["secret_files"] == [
        ".env"
    ]
    assert checks["no .env files in the build context"]["status"] == "fail"
    assert checks["no .env files in the image [development]"]["status"] == "fail"
    assert checks["ignore file the builder reads"]["status"] == "warn"
    assert checks["ignore file the builder reads"]["where"] == "docker/Dockerfile.dockerignore"
    assert code == 1
    assert "zzSECRETzz" not in json.dumps(doc)


def test_builds_stream_buildkit_steps_with_their_stage(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    """The CLI names the builder and streams each step as BuildKit reports it, with its
    stage, the output of RUN lines, and the command whose arguments it used."""
    token = uuid.uuid4().hex[:8]  # a RUN line no cache holds: it runs, and its output streams
    repo = write_repo(
        tmp_path / "svc",
        {
            "docker/Dockerfile": DOCKERFILE.replace(
                "install -d", f"echo made-the-user-{token} && install -d"
            ),
            "compose/docker-compose.dev.yml": (
                "services:\n  app:\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile\n"
                "      target: development\n"
            ),
            "Makefile": "dev-build:\n\tdocker compose -f compose/docker-compose.dev.yml build\n",
            ".dockerignore": ".git\n",
        },
    )
    res = run_cli("verify", str(repo), "--stage", "development")
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "Builder: BuildKit via" in out
    assert "▶ build development (1/1, as Makefile:2 runs it)" in out, out
    assert (
        "Step 3/5 development RUN --mount=type=cache" in out or "development RUN --mount" in out
    ), out
    assert f"│ made-the-user-{token}" in out, out


def test_the_daemon_of_the_current_docker_context_is_used_and_named(
    dockerd_client,  # noqa: F811
    tmp_path: Path,
) -> None:
    """No DOCKER_HOST, a context made current with the docker CLI (`docker context create`,
    `docker context use`, as Docker Desktop or colima set one up): verify and the Compose
    it runs both reach that context's daemon, and the output names the context."""
    import os
    import shutil
    import subprocess

    docker_cli = next(
        (p for p in ("/usr/bin/docker", shutil.which("docker")) if p and Path(p).exists()), None
    )
    assert docker_cli, "the docker CLI (docker.io) is installed by .ci/docker-up"
    host = os.environ["DOCKER_HOST"]
    config = tmp_path / "docker-config"
    config.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"} | {
        "DOCKER_CONFIG": str(config)
    }
    for args in (
        ["context", "create", "wiztest", "--docker", f"host={host}"],
        ["context", "use", "wiztest"],
    ):
        subprocess.run([docker_cli, *args], env=env, check=True, capture_output=True)
    repo = write_repo(
        tmp_path / "svc",
        {
            "docker/Dockerfile": DOCKERFILE,
            "compose/docker-compose.dev.yml": (
                "services:\n  app:\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile\n"
                "      target: development\n"
            ),
            "Makefile": "dev-build:\n\tdocker compose -f compose/docker-compose.dev.yml build\n",
            ".dockerignore": ".git\n",
        },
    )
    cli = Path(run_cli.__globals__["BIN"]) / "dashtam-wizard"
    res = subprocess.run(
        [str(cli), "verify", str(repo), "--json", "--stage", "development"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    doc = json.loads(res.stdout)
    assert doc["docker_host"] == host and doc["docker_endpoint"] == "context wiztest", doc
    assert doc["builder"].startswith("BuildKit via") and doc["builds"][0]["ok"], doc["builds"]
    assert res.returncode == 0, [c for c in doc["checks"] if c["status"] == "fail"]
    text = subprocess.run(
        [str(cli), "verify", str(repo), "--stage", "development"],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    assert f"on {host} (context wiztest)" in text, text[:400]


def test_a_dockerfile_buildkit_cannot_parse_names_its_line(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    """BuildKit refuses the Dockerfile before any step: the check says why (without gRPC's
    wrapping) and names the line, as a failing step would."""
    repo = write_repo(
        tmp_path / "svc",
        {
            "docker/Dockerfile": "FROM python:3.13-slim AS development\nRUNN echo typo\n",
            ".dockerignore": ".git\n",
        },
    )
    code, doc = _verify(repo)
    build = _checks(doc)["build [development]"]
    assert code == 1 and build["status"] == "fail", build
    assert build["where"] == "docker/Dockerfile:2", build
    assert (
        "unknown instruction" in build["evidence"].lower() and "rpc error" not in build["evidence"]
    ), build
