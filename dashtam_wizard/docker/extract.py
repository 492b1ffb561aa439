"""Phase 1: copy pyproject.toml and uv.lock out of the running app container.

Files are read with `get_archive` into memory and returned; nothing is written here (the
caller shows them as a diff first).
"""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path, PurePosixPath

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container

from .services import ComposeService, repo_services

DEFAULT_PATHS = ("/app/pyproject.toml", "/app/uv.lock")
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class ExtractError(Exception):
    """No container to copy from, or none of the files in it; `str()` says which."""


def _compose_project_name(name: str) -> str:
    """Compose's normalisation of a directory name into a project name."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower())


def project_candidates(
    repo: Path, project: str | None = None, services: list[ComposeService] | None = None
) -> list[str]:
    """The Compose projects the app may run in: the one asked for, each the repo's commands
    resolve to (`-p`, COMPOSE_PROJECT_NAME, `name:`, the folder), then the repo's name."""
    names: list[str] = [project] if project else []
    names += [s.project for s in (repo_services(repo) if services is None else services)]
    names.append(_compose_project_name(repo.resolve().name))
    return list(dict.fromkeys(n for n in names if n))


def _app_services(services: list[ComposeService]) -> list[str]:
    """Services that build from the repo's Dockerfile (the app), preferring development ones."""
    found = [
        (0 if (s.target or "").startswith("dev") else 1, s.name)
        for s in services
        if s.context is not None
    ]
    names = [n for _, n in sorted(found)]
    return list(dict.fromkeys([*names, "app"]))


def find_app_container(
    client: docker.DockerClient, repo: Path, project: str | None = None
) -> Container:
    found = repo_services(repo)  # the repo read once for both
    projects = project_candidates(repo, project, found)
    services = _app_services(found)
    running = client.containers.list(ignore_removed=True)
    by_label = [c for c in running if c.labels.get(PROJECT_LABEL) in projects]

    def rank(c: Container) -> tuple[int, int]:
        svc = c.labels.get(SERVICE_LABEL) or c.name
        pi = (
            projects.index(c.labels[PROJECT_LABEL])
            if c.labels.get(PROJECT_LABEL) in projects
            else len(projects)
        )
        si = next(
            (i for i, s in enumerate(services) if s == svc or s in (c.name or "")), len(services)
        )
        return si, pi

    if by_label:
        return sorted(by_label, key=rank)[0]
    by_name = [c for c in running if any(p and p in (c.name or "") for p in projects)]
    if by_name:
        return sorted(by_name, key=rank)[0]
    raise ExtractError(
        f"no running container of {' / '.join(projects)} (looked for compose labels "
        f"{PROJECT_LABEL}={projects[0]} and names containing it); start the app with docker compose first"
    )


def read_file(container: Container, path: str) -> bytes | None:
    """The bytes of `path` in `container`, or None when it does not exist there."""
    try:
        chunks, _stat = container.get_archive(path)
    except NotFound:
        return None
    data = io.BytesIO(b"".join(chunks))
    with tarfile.open(fileobj=data) as tar:
        for member in tar.getmembers():
            if member.isfile() and PurePosixPath(member.name).name == PurePosixPath(path).name:
                f = tar.extractfile(member)
                return f.read() if f else None
    return None


def extract_project_files(
    client: docker.DockerClient,
    repo: Path,
    *,
    project: str | None = None,
    paths: tuple[str, ...] = DEFAULT_PATHS,
    container: Container | None = None,
) -> dict[str, bytes]:
    """{"pyproject.toml": ..., "uv.lock": ...} read from the running app container.

    Files absent from the container are left out; ExtractError when no container is
    found or none of `paths` exists in it.
    """
    container = container or find_app_container(client, repo, project)
    out: dict[str, bytes] = {}
    try:
        for path in paths:
            data = read_file(container, path)
            if data is not None:
                out[PurePosixPath(path).name] = data
    except DockerException as exc:
        raise ExtractError(f"could not copy from container {container.name}: {exc}") from None
    if not out:
        raise ExtractError(f"container {container.name} has none of {', '.join(paths)}")
    return out
