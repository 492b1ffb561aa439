"""The repo before the wizard's first apply, rebuilt in memory from the apply journal.

Each applied record holds the pre-apply state of every path it touched; for a path touched
by several, the oldest record's state is the baseline. Read-only: nothing is written, and a
state folder this user did not make here (trust.py) or a record that is damaged, missing a
pre-apply copy or still being finished yields no baseline at all (the plan is then made
from the current tree, as before any apply).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..core.context import Baseline
from ..core.snapshot import Entry, Tree
from ..core.statedir import STATE_DIR
from .fsio import sha256_bytes
from .records import ApplyError
from .state import State, history, read_plan

OWN_OUTPUT = "report:"  # ids of the wizard's own output (the migration report), not of the plan


def load_baseline(root: Path, tree: Tree) -> Baseline | None:
    """`tree` (the repo as read now) with every path the applied records touched put back."""
    root = root.resolve()
    if not os.path.lexists(root / STATE_DIR):
        return None
    try:
        records = history(root)  # refuses a state folder this user did not make here (trust.py)
    except ApplyError:
        return None
    if any(r.status == "incomplete" for r in records):
        return None  # recovery finishes it first; until then there is no single baseline
    applied = [r for r in records if r.status == "applied"]
    if not applied:
        return None
    state = State(root)
    h = hashlib.sha256(b"dashtam-wizard baseline v1")
    base = tree.copy()
    done: set[str] = set()
    for rec in reversed(applied):  # newest first: an older record's pre-state overwrites
        folder = state.applies / rec.id
        try:
            plan = read_plan(folder)
        except ApplyError:
            return None
        if plan is None:
            return None
        if plan["change_ids"] and all(str(i).startswith(OWN_OUTPUT) for i in plan["change_ids"]):
            continue  # the wizard's report: not a step of the migration, left where it is
        h.update(json.dumps(plan, sort_keys=True).encode())
        done.update(plan["change_ids"])
        for rel, e in plan["pre"].items():
            if not _put_back(base, folder, rel, e):
                return None
        for rel, m in ((plan.get("git") or {}).get("entries") or {}).items():
            if m is None:
                base.tracked.discard(rel)
            else:
                base.tracked.add(rel)
    base.tracked &= set(base.files)
    return Baseline(base, frozenset(done), h.hexdigest())


def _put_back(base: Tree, folder: Path, rel: str, e: dict[str, Any]) -> bool:
    kind = e["kind"]
    if kind == "file":
        try:
            data = (folder / e["blob"]).read_bytes()
        except OSError:
            return False
        if sha256_bytes(data) != e["sha"]:
            return False
        base.files[rel] = Entry(data, e["mode"])
        base.dirs.discard(rel)
    elif kind == "absent":
        base.files.pop(rel, None)
        base.dirs.discard(rel)
    else:
        base.files.pop(rel, None)
        base.dirs.add(rel)
    return True
