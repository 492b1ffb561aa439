"""Docker test support: the `dockerd_client` fixture and sample-repo builders.

The docker tests run against a real daemon (no mocks), normally the private one that
`.ci/docker-up` starts:

    export DOCKER_HOST=$(.ci/docker-up | tail -1)

Without a reachable DOCKER_HOST they are skipped, unless DASHTAM_WIZARD_REQUIRE_DOCKER=1
(set by .ci/run), where a missing daemon fails them instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "assets" / "sample"
BASE_IMAGES = ("python:3.13-slim", "ghcr.io/astral-sh/uv:0.8.22-python3.13-trixie-slim")
UP_HINT = "export DOCKER_HOST=$(.ci/docker-up | tail -1)"


def _unavailable(reason: str) -> None:
    if os.environ.get("DASHTAM_WIZARD_REQUIRE_DOCKER") == "1":
        pytest.fail(f"DASHTAM_WIZARD_REQUIRE_DOCKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def dockerd_client() -> Iterator[object]:
    """A docker.DockerClient for the test daemon named by DOCKER_HOST (session scope)."""
    import docker
    from docker.errors import DockerException

    host = os.environ.get("DOCKER_HOST")
    if not host:
        _unavailable(f"DOCKER_HOST is not set; start the test daemon: {UP_HINT}")
    try:
        client = docker.from_env(timeout=600, use_ssh_client=host.startswith("ssh://"))
        client.ping()
    except (DockerException, OSError) as exc:
        _unavailable(
            f"no Docker daemon answers at DOCKER_HOST={host} ({str(exc).splitlines()[0][:120]}); {UP_HINT}"
        )
    except Exception as exc:  # requests' connection errors
        _unavailable(
            f"no Docker daemon answers at DOCKER_HOST={host} ({type(exc).__name__}); {UP_HINT}"
        )
    missing = []
    for name in BASE_IMAGES:
        try:
            client.images.get(name)
        except DockerException:
            missing.append(name)
    if missing:
        _unavailable(
            f"base image(s) {', '.join(missing)} missing in the daemon at {host}; {UP_HINT}"
        )
    try:
        yield client
    finally:
        # Anything a test left behind that the wizard labelled (the code removes its own).
        for c in client.containers.list(
            all=True, filters={"label": "dashtam-wizard=1"}, ignore_removed=True
        ):
            with contextlib.suppress(DockerException):
                c.remove(force=True)
        drop_checkout_images(client)
        client.close()


def drop_checkout_images(client) -> None:  # noqa: ANN001 - a docker.DockerClient
    """Leave a daemon's data root as a build cache only.

    verify tags its images per checkout (dashtam-wizard/<name>-<path hash>:<target>) and
    every session checks out fresh tmp copies: drop those tags, keep the layers below them
    (noprune) so the next session's builds are still cached. Labelled build results nothing
    uses any more (tests build unique Dockerfiles) go once a day old: the data root does not
    grow, today's cache stays.
    """
    from docker.errors import DockerException

    for image in client.images.list(filters={"label": "dashtam-wizard=1"}):
        for tag in image.tags:
            if tag.startswith("dashtam-wizard/"):
                with contextlib.suppress(DockerException):
                    client.images.remove(tag, noprune=True)
    with contextlib.suppress(DockerException):
        client.images.prune(filters={"dangling": True, "label": "dashtam-wizard=1", "until": "24h"})


def wizard_containers(client) -> list[str]:  # noqa: ANN001 - a docker.DockerClient
    """Containers labelled by the wizard that still exist (given 3 s to finish removal)."""
    deadline = time.monotonic() + 3
    while True:
        left = [
            f"{c.name} {c.status} {c.attrs['Config'].get('Cmd')} {c.labels}"
            for c in client.containers.list(
                all=True, filters={"label": "dashtam-wizard=1"}, ignore_removed=True
            )
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


# -- sample repositories ------------------------------------------------------------------------
def sample_available() -> bool:
    return (SAMPLE / "docker" / "Dockerfile").is_file() and (SAMPLE / "pyproject.toml").is_file()


def legacy_repo(dst: Path) -> Path:
    """The bundled legacy sample at `dst`: `dashtam-wizard demo`'s git repo when the
    engine is installed, else a plain copy of assets/sample."""
    if not sample_available():
        pytest.skip("assets/sample is not there yet")
    try:
        from dashtam_wizard.demo import write_sample
    except ImportError:
        shutil.copytree(SAMPLE, dst, symlinks=True)
        return dst
    return write_sample(dst)


def template_context(**over: object) -> dict:
    """The context the planner renders Dockerfile.j2 with, for the ledgerly sample."""
    ctx: dict = {
        "project": "ledgerly",
        "uv_image": "ghcr.io/astral-sh/uv:0.8.22-python3.13-trixie-slim",
        "runtime_image": "python:3.13-slim",
        "uid": 1000,
        "gid": 1000,
        "apt_packages": ["curl"],
        "runtime_apt_packages": ["curl"],
        "port": 8000,
        "app_module": "src.main:app",
        "dev_cmd": json.dumps(
            [
                "sh",
                "-c",
                "alembic upgrade head && uvicorn src.main:app --host 0.0.0.0 --port 8000 --reload",
            ]
        ),
        "prod_cmd": json.dumps(
            ["sh", "-c", "alembic upgrade head && uvicorn src.main:app --host 0.0.0.0 --port 8000"]
        ),
        "health_path": "/health",
        "callback": {
            "file": "callback_server.py",
            "image": "python:3.13-slim",
            "pip": ["requests==2.32.3"],
            "port": 8182,
            "cmd": json.dumps(["python", "-u", "callback_server.py"]),
        },
        "extra_stages": [],
    }
    ctx.update(over)
    return ctx


def render_dockerfile(**over: object) -> str:
    from dashtam_wizard.core.templates import render

    return render("Dockerfile.j2", **template_context(**over))


_DEV_COMPOSE = """\
name: ledgerly-dev

services:
  app:
    build:
      context: ..
      dockerfile: docker/Dockerfile
      target: development
    env_file:
      - ../env/.env.dev
    ports:
      - "${APP_PORT:-8000}:8000"
    volumes:
      - ../src:/app/src:rw
      - ../tests:/app/tests:rw
      - ../pyproject.toml:/app/pyproject.toml:ro
      - ../uv.lock:/app/uv.lock:ro

  callback:
    build:
      context: ..
      dockerfile: docker/Dockerfile
      target: callback
    env_file:
      - ../env/.env.dev
    ports:
      - "8182:8182"
"""

_MOVED_ENV = """
# moved from docker-compose.dev.yml environment:
DATABASE_URL=postgresql://ledgerly:dev-7Qx9-pg-secret@postgres:5432/ledgerly_dev
REDIS_URL=redis://redis:6379/0
APP_ENV=development
LOG_LEVEL=debug
CALLBACK_URL=http://localhost:8182/callback
"""


def migrated_repo_by_hand(dst: Path) -> Path:
    """The sample migrated by hand to the plan's layout, independent of the planner:
    docker/Dockerfile from the template with the reference context, compose/ + env/,
    the root .dockerignore."""
    from dashtam_wizard.core.templates import render

    repo = legacy_repo(dst)
    (repo / "docker" / "Dockerfile").write_text(render_dockerfile())
    (repo / ".dockerignore").write_text(render("dockerignore.j2", existing=[]))
    (repo / "compose").mkdir()
    (repo / "env").mkdir()
    for name in (
        "docker-compose.dev.yml",
        "docker-compose.test.yml",
        "docker-compose.ci.yml",
        "docker-compose.yml",
    ):
        (repo / name).unlink(missing_ok=True)
    (repo / "compose" / "docker-compose.dev.yml").write_text(_DEV_COMPOSE)
    for name in (".env.dev", ".env.test", ".env.ci"):
        if (repo / name).exists():
            shutil.move(repo / name, repo / "env" / name)
    with (repo / "env" / ".env.dev").open("a") as f:
        f.write(_MOVED_ENV)
    shutil.copy(repo / ".env.example", repo / "env" / ".env.example")
    return repo


def migrated_repo(dst: Path) -> Path:
    """The sample migrated by the wizard itself (`demo` + `apply --yes`), or by hand when
    the engine is not installed. An engine that fails to apply fails the test."""
    cli = Path(sys.executable).parent / "dashtam-wizard"
    try:
        from dashtam_wizard.demo import write_sample  # noqa: F401
    except ImportError:
        return migrated_repo_by_hand(dst)
    repo = legacy_repo(dst)
    res = subprocess.run(
        [str(cli), "apply", str(repo), "--yes"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    if res.returncode != 0:
        pytest.fail(
            f"dashtam-wizard apply failed ({res.returncode}):\n{res.stdout}\n{res.stderr}",
            pytrace=False,
        )
    return repo
