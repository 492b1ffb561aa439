"""apply: one journaled transaction per apply, undone byte for byte by apply/restore.py.

The state folder (its layout, records, history) is apply/state.py's; undoing is
apply/restore.py's. Here: check everything before the first write, journal each step, write
atomically, and on a failure hand the recorded state to undo.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.model import Change
from ..core.statedir import APPLIES, GIT_INDEX, INTENT, JOURNAL, PLAN, STATE_DIR
from . import faults, journal
from .faults import point
from .fsio import (
    PRIVATE_DIR,
    fsync_dir,
    fsync_file,
    make_private_dir,
    sha256_bytes,
    sha256_file,
    write_atomic,
    write_private,
)
from .gitindex import GitRepo, digest, git_dir
from .lock import RepoLock
from .prepare import Step, TxPlan, prepare
from .records import ApplyError, ApplyRecord
from .restore import undo
from .state import (
    OnApplyStep,
    State,
    journal_status,
    read_plan,
    repo_root,
    sweep,
    tmp_beside,
)

# -- apply -------------------------------------------------------------------------------


def apply_changes(
    repo: Path, changes: Sequence[Change], *, phases: list[int], on_step: OnApplyStep | None = None
) -> ApplyRecord:
    """Apply `changes` in order as one transaction; returns its record.

    All checks (stale plan, paths escaping the repo, git tracking, `uv lock`) run before the
    first write: a refusal raises ApplyError and leaves the disk untouched. A failure during
    the writes is rolled back before ApplyError is raised; a crash is rolled back by
    `recover()`/`rollback()` from the journal. `on_step(i, n, change)` is called (1-based)
    before each change is carried out.
    """
    faults.arm()
    root = repo_root(repo)
    changes = list(changes)
    if not changes:
        raise ApplyError(f"{root}: nothing to apply")
    # the record names the phases it changed, not the ones asked for: `apply --yes` after
    # phases 1-2 is an apply of 3-7 in History and `rollback --list`
    phases = sorted({c.phase for c in changes} & set(phases)) or sorted({c.phase for c in changes})
    _refuse_unfinished_git(root)
    state = State(root)
    if state.exists():
        state.require_trusted()
    created = state.ensure()
    rec_dir: Path | None = None
    try:
        with RepoLock(state.path):
            sweep(state)
            for d in state.apply_dirs():
                plan = read_plan(d)
                if plan is not None and journal_status(journal.read(d / JOURNAL)) == "incomplete":
                    raise ApplyError(
                        f"{STATE_DIR}/{APPLIES}/{d.name}: an interrupted apply or rollback must be "
                        "finished first (run `dashtam-wizard rollback`)"
                    )
            if (state.path / INTENT).exists():
                raise ApplyError(
                    f"{STATE_DIR}/{INTENT}: an interrupted rollback must be finished first "
                    "(run `dashtam-wizard rollback`)"
                )
            tx = prepare(root, changes)
            rid = state.new_id()
            rec_dir = state.applies / rid
            created_at = datetime.now().astimezone().isoformat(timespec="seconds")
            try:
                _write_plan(root, rec_dir, rid, created_at, phases, changes, tx)
            except BaseException:
                shutil.rmtree(rec_dir, ignore_errors=True)
                raise
            _execute(root, state, rec_dir, rid, changes, tx, on_step)
            return ApplyRecord(rid, created_at, list(phases), [c.id for c in changes], "applied")
    finally:
        if created and rec_dir is None:
            with contextlib.suppress(OSError):
                state.remove_if_unused()


_GIT_BUSY = (
    ("MERGE_HEAD", "a merge"),
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase or am"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ("REVERT_HEAD", "a revert"),
)


def _refuse_unfinished_git(root: Path) -> None:
    """Files of a half-done merge or rebase may hold conflict markers: nothing is rewritten then."""
    folder = git_dir(root)
    if folder is None:
        return
    for name, what in _GIT_BUSY:
        if os.path.lexists(folder / name):
            shown = os.path.relpath(folder / name, root)
            raise ApplyError(
                f"{shown}: {what} is in progress; finish or abort it first (its files may hold "
                "conflict markers), then apply",
                shown,
            )


def _write_plan(
    root: Path,
    rec_dir: Path,
    rid: str,
    created: str,
    phases: list[int],
    changes: list[Change],
    tx: TxPlan,
) -> None:
    """Save pre-apply copies, then plan.json: from plan.json on, recovery owns the repo."""
    make_private_dir(rec_dir)
    point()
    pre: dict[str, dict[str, Any]] = {}
    for n, (rel, node) in enumerate(sorted(tx.pre.items())):
        entry: dict[str, Any] = {"kind": node.kind, "mode": node.mode}
        if node.kind == "file":
            entry.update(sha=node.sha, blob=f"pre/{n}")
            write_private(rec_dir / "pre" / str(n), node.data or b"")
        pre[rel] = entry
    git = None
    if tx.git:
        write_private(rec_dir / GIT_INDEX, tx.git.index_bytes)
        git = {
            "pre_digest": tx.git.pre_digest,
            "digests": tx.git.digests,
            "entries": tx.git.entries,
            "index_sha": sha256_bytes(tx.git.index_bytes),
        }
    plan = {
        "version": 1,
        "id": rid,
        "created": created,
        "phases": list(phases),
        "change_ids": [c.id for c in changes],
        "changes": [
            {
                "id": c.id,
                "kind": c.kind.value,
                "path": c.path,
                "source": c.source,
                "git": c.git,
                "regenerate": c.regenerate,
            }
            for c in changes
        ],
        "steps": [s.to_json() for s in tx.steps],
        "pre": pre,
        "known": {p: sorted(v) for p, v in tx.known.items()},
        "made_dirs": [s.path for s in tx.steps if s.op == "mkdir"],
        "tmp": sorted(
            {
                str(tmp_beside(root, s.path, rid).relative_to(root))
                for s in tx.steps
                if s.op == "write"
            }
        ),
        "git": git,
    }
    write_private(rec_dir / PLAN, json.dumps(plan, indent=1, sort_keys=True).encode())


def _execute(
    root: Path,
    state: State,
    rec_dir: Path,
    rid: str,
    changes: list[Change],
    tx: TxPlan,
    on_step: OnApplyStep | None,
) -> None:
    j = rec_dir / JOURNAL
    repo = tx.git.repo if tx.git else None
    told = -1

    def tell(upto: int) -> None:
        nonlocal told
        while told < upto:
            told += 1
            if on_step is not None:
                on_step(told + 1, len(changes), changes[told])

    step: Step | None = None
    try:
        for i, step in enumerate(tx.steps):
            tell(step.change)
            journal.append(j, {"ev": "begin", "step": i, "op": step.op, "path": step.path})
            _do(root, step, rid, repo)
        tell(len(changes) - 1)
        commit: dict[str, Any] = {"ev": "commit"}
        if repo is not None:
            commit["index"] = digest(repo.entries())
        journal.append(j, commit)
    except BaseException as exc:
        try:
            undo(root, state, rec_dir)
        except BaseException as undo_exc:
            raise ApplyError(
                f"{_where(exc, root, step)}: apply failed ({_why(exc)}) and undoing it did not finish "
                f"({_why(undo_exc)}); run `dashtam-wizard rollback`"
            ) from exc
        if isinstance(exc, ApplyError):
            raise
        if isinstance(exc, Exception):
            raise ApplyError(
                f"{_where(exc, root, step)}: {_why(exc)}; the apply was rolled back"
            ) from exc
        raise


def _where(exc: BaseException, root: Path, step: Step | None) -> str:
    if isinstance(exc, ApplyError) and exc.path:
        return exc.path
    name = getattr(exc, "filename", None)
    if isinstance(name, str):
        # a write fails on its temp file (.Makefile.<id>.dwtmp): name the file being written
        m = re.fullmatch(r"(.*/)?\.(.+)\.\d{4,}-\d{8}-\d{6}\.dwtmp", name)
        if m:
            name = (m.group(1) or "") + m.group(2)
        with contextlib.suppress(ValueError):
            return str(Path(name).relative_to(root))
        return name
    return step.path if step else str(root)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _do(root: Path, s: Step, rid: str, repo: GitRepo | None) -> None:
    """One step, durable when it returns (its journal point(s) included)."""
    p = root / s.path
    if s.op == "mkdir":
        os.mkdir(p, PRIVATE_DIR)
        os.chmod(p, s.mode if s.mode is not None else 0o755)
        fsync_dir(p.parent)
        point()
    elif s.op == "write":
        write_atomic(
            p,
            s.data or b"",
            s.mode if s.mode is not None else 0o644,
            tmp=tmp_beside(root, s.path, rid),
        )
    elif s.op in ("move", "gitmv"):
        assert s.source is not None
        src = root / s.source
        if os.path.lexists(p):
            raise FileExistsError(errno.EEXIST, "already exists", str(p))
        if s.op == "gitmv":
            assert repo is not None
            repo.mv(s.source, s.path)
            fsync_file(repo.index)
        else:
            os.rename(src, p)
        fsync_dir(p.parent)
        if src.parent != p.parent:
            fsync_dir(src.parent)
        point()
    elif s.op == "unlink":
        os.unlink(p)
        fsync_dir(p.parent)
        point()
    elif s.op == "chmod":
        os.chmod(p, s.mode if s.mode is not None else 0o644)
        fsync_file(p)
        point()
    else:  # pragma: no cover
        raise ApplyError(f"{s.path}: unknown step {s.op}")


def tree_manifest(repo: Path) -> dict[str, tuple[str, int]]:
    """relpath -> (sha256, mode) of files, ("dir", mode) of folders, ("link:<target>", 0) of
    symlinks; everything but `.git` and `.dashtam-wizard`. Proves a byte-for-byte restore."""
    root = repo_root(repo)
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in (".git", STATE_DIR)]
            filenames = [f for f in filenames if f not in (".git", STATE_DIR)]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = (f"link:{os.readlink(p)}", 0)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                out[rel] = (sha256_file(p), stat.S_IMODE(st.st_mode))
    return out
