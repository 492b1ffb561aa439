"""rollback / recover: every path an apply recorded put back to its recorded state.

Undo is state based, not replayed: rollback puts every path of `plan.json` back to its
recorded state, whatever subset of the steps really happened. So undoing is idempotent: an
apply or a rollback killed at any point is finished by running rollback/recover again.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from ..core.statedir import INTENT, JOURNAL
from . import faults, journal
from .fsio import fsync_dir, write_private
from .lock import RepoLock
from .records import ApplyError, RollbackResult
from .restore import undo
from .state import (
    OnRollbackStep,
    State,
    journal_status,
    read_plan,
    record_of,
    repo_root,
    sweep,
)


def rollback(
    repo: Path,
    *,
    to: str | None = None,
    all: bool = False,
    on_step: OnRollbackStep | None = None,
) -> RollbackResult:
    """Undo the latest apply, or every apply back to and including `to`, or `all`; newest first.

    An interrupted apply or rollback is finished first; for a plain `rollback()` that is the
    whole job (running rollback again after a crash completes it, it does not undo more).
    `on_step(i, n, apply_id)` is called before each apply is undone.
    """
    faults.arm()
    root = repo_root(repo)
    state = State(root)
    if not state.exists():
        raise ApplyError(f"{root}: nothing to roll back (no apply recorded here)")
    if to is not None and not to:
        raise ApplyError("--to: an empty apply id matches nothing (see `rollback --list`)")
    state.require_trusted()
    state.ensure()  # re-creates a .gitignore a crash may have left out
    with RepoLock(state.path):
        recovered = _recover(root, state)
        if recovered is not None and to is None and not all:
            return recovered
        result = recovered or RollbackResult()
        records = [
            (d, record_of(d, p)) for d in state.apply_dirs() if (p := read_plan(d)) is not None
        ]
        applied = [(d, r) for d, r in records if r.status == "applied"]
        if to is not None:
            match = [(d, r) for d, r in records if r.id == to] or [
                (d, r) for d, r in records if r.id.startswith(to)
            ]
            if len(match) != 1:
                raise ApplyError(
                    f"{to}: {'no such apply' if not match else 'ambiguous id'} (see `rollback --list`)"
                )
            if match[0][1].status != "applied":
                if recovered is not None:
                    return recovered
                raise ApplyError(f"{match[0][1].id}: is already rolled back")
            targets = applied[applied.index(match[0]) :]
        elif all:
            targets = applied
        else:
            targets = applied[-1:]
        if not targets:
            if recovered is not None:
                return recovered
            raise ApplyError(f"{root}: nothing to roll back")
        targets.reverse()
        if len(targets) > 1:
            write_private(state.path / INTENT, json.dumps([r.id for _, r in targets]).encode())
        for i, (d, r) in enumerate(targets, 1):
            if on_step is not None:
                on_step(i, len(targets), r.id)
            result.merge(undo(root, state, d))
        _clear_intent(state)
        return result


def _clear_intent(state: State) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(state.path / INTENT)
        fsync_dir(state.path)


def recover(repo: Path) -> RollbackResult | None:
    """Finish what a crash interrupted: undo a half-done apply, complete a half-done rollback.

    Call at start-up before planning. Returns None when there was nothing to finish.
    """
    faults.arm()
    root = repo_root(repo)
    state = State(root)
    if not state.exists():
        return None
    state.require_trusted()
    state.ensure()
    with RepoLock(state.path):
        return _recover(root, state)


def _recover(root: Path, state: State) -> RollbackResult | None:
    sweep(state)
    result: RollbackResult | None = None
    for d in reversed(state.apply_dirs()):
        if read_plan(d) is not None and journal_status(journal.read(d / JOURNAL)) == "incomplete":
            result = result or RollbackResult()
            result.merge(undo(root, state, d))
    intent = state.path / INTENT
    if intent.exists():
        try:
            ids = json.loads(intent.read_bytes())
        except ValueError:
            ids = []
        for d in reversed(state.apply_dirs()):
            plan = read_plan(d)
            if (
                plan is not None
                and plan["id"] in ids
                and journal_status(journal.read(d / JOURNAL)) == "applied"
            ):
                result = result or RollbackResult()
                result.merge(undo(root, state, d))
        _clear_intent(state)
    return result
