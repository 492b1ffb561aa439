"""Phase 1: copy pyproject.toml and uv.lock out of the running app container.

Files are read with `get_archive` into memory and returned; nothing is written here (the
caller shows them as a diff first).
"""

from __future__ import annotations

import difflib
import io
import re
import stat
import tarfile
from pathlib import Path, PurePosixPath

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container
from requests.exceptions import RequestException
from rich.console import Console
from rich.markup import escape

from ..apply import ApplyError, apply_changes
from ..core.model import Change, Kind
from .client import DaemonUnreachable, configured_host, connect, unreachable_message
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


MAX_DIFF_LINES = 120


def _diff(name: str, old: bytes | None, new: bytes) -> list[str]:
    old_text = (old or b"").decode("utf-8", errors="replace").splitlines(keepends=True)
    new_text = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    return list(
        difflib.unified_diff(
            old_text,
            new_text,
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}",
        )
    )


def run_extract(
    repo: Path, console: Console, write: bool = False, err: Console | None = None
) -> int:
    """`dashtam-wizard extract`: copy pyproject.toml and uv.lock out of the running app
    container, show them as a diff against the repo, and write them only when `write`
    (an existing, different file is kept as NAME.backup first, as the plan's Phase 1 does),
    as one transaction of the apply engine: journaled, under the repo lock, undone by
    `rollback` like any apply.

    0: done (or nothing to do); 1: no container / files; 2: no Docker daemon, or the
    transaction was refused (another wizard holds the lock, ...). Errors are one
    line on `err` (the CLI's stderr), like every command's.
    """

    def fail(msg: str, code: int) -> int:
        if err is not None:
            err.print(f"dashtam-wizard: {msg}", markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(f"[bold red]error:[/] {escape(msg)}", highlight=False, soft_wrap=True)
        return code

    try:
        client = connect(timeout=60)
    except DaemonUnreachable as exc:
        return fail(str(exc), 2)
    try:
        try:
            container = find_app_container(client, repo)
            files = extract_project_files(client, repo, container=container)
        except ExtractError as exc:
            return fail(str(exc), 1)
        except (DockerException, RequestException) as exc:
            reason = str(exc).strip().splitlines()
            return fail(
                unreachable_message(configured_host(), reason[0][:120] if reason else ""), 2
            )
    finally:
        client.close()

    console.print(
        f"Copied from container [bold]{escape(container.name or container.id or '?')}[/]:",
        highlight=False,
    )
    changed: dict[str, bytes] = {}
    for name, data in files.items():
        path = repo / name
        old = path.read_bytes() if path.is_file() else None
        if old == data:
            console.print(f"  {escape(name)}: identical to the repo's copy", highlight=False)
            continue
        changed[name] = data
        lines = _diff(name, old, data)
        what = "new file" if old is None else f"{len(lines)} diff lines"
        console.print(f"  {escape(name)}: {what}", highlight=False)
        for line in lines[:MAX_DIFF_LINES]:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            console.print(f"[{style}]{escape(line.rstrip())}[/]", highlight=False, soft_wrap=True)
        if len(lines) > MAX_DIFF_LINES:
            console.print(
                f"[dim]… {len(lines) - MAX_DIFF_LINES} more diff lines[/]", highlight=False
            )
    if not changed:
        console.print("Nothing to write: the repo already has these files.")
        return 0
    if not write:
        console.print("Not written. Run again with --yes to write " + ", ".join(changed) + ".")
        return 0
    changes: list[Change] = []
    for name, data in changed.items():
        path = repo / name
        if path.is_file():
            old = path.read_bytes()
            backup = name + ".backup"
            if not (repo / backup).exists():
                changes.append(
                    Change(
                        f"extract:create:{backup}",
                        1,
                        Kind.CREATE,
                        backup,
                        after=old,
                        mode=stat.S_IMODE(path.stat().st_mode),
                        summary=f"keep the previous {name} as {backup}",
                    )
                )
            changes.append(
                Change(
                    f"extract:edit:{name}",
                    1,
                    Kind.EDIT,
                    name,
                    before=old,
                    after=data,
                    summary=f"{name} from container {container.name}",
                )
            )
        else:
            changes.append(
                Change(
                    f"extract:create:{name}",
                    1,
                    Kind.CREATE,
                    name,
                    after=data,
                    summary=f"{name} from container {container.name}",
                )
            )
    try:  # the same transaction as `apply`: journal, lock, atomic writes, one rollback
        record = apply_changes(repo, changes, phases=[1])
    except ApplyError as exc:
        return fail(str(exc), 2)
    for c in changes:
        console.print(f"  {escape(c.summary)}", highlight=False)
    console.print(
        f"Undo with `dashtam-wizard rollback {escape(str(repo))} --to {record.id} --yes`.",
        highlight=False,
        soft_wrap=True,
    )
    return 0
