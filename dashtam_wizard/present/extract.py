"""`dashtam-wizard extract` as printed: the files copied out of the app container, shown as
a diff, written only with --yes through the apply engine's transaction."""

from __future__ import annotations

import difflib
import stat
from pathlib import Path

from docker.errors import DockerException
from requests.exceptions import RequestException
from rich.console import Console
from rich.markup import escape

from ..apply import ApplyError, apply_changes
from ..core.model import Change, Kind
from ..docker.client import DaemonUnreachable, configured_host, connect, unreachable_message
from ..docker.extract import ExtractError, extract_project_files, find_app_container

MAX_DIFF_LINES = 120  # of each file shown before writing (the rest is counted)


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
