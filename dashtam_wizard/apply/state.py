"""The one owner of `<repo>/.dashtam-wizard/`: its layout, the apply records in it, and who
may trust it (apply/trust.py). Everything else asks `State` (or `history`, `read_plan`).

Layout of `<repo>/.dashtam-wizard/` (0700; files 0600; `.gitignore` says `*`):
    lock                      pid + start time of the running wizard (flock'd)
    applies/<id>/plan.json    the steps, and the pre-apply state of every touched path
    applies/<id>/pre/<n>      pre-apply content of every touched file
    applies/<id>/git-index    `.git/index` as it was (only when the apply runs `git mv`)
    applies/<id>/journal      "begin" before each step, commit, rb-begin/rb-done
    rollback.json             ids of a multi-apply rollback in progress
    saved/<timestamp>/<path>  user edits made after an apply, kept aside by a rollback
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.model import Change
from ..core.statedir import APPLIES, GIT_INDEX, JOURNAL, MARKER, PLAN, STATE_DIR
from . import journal, records_check, trust
from .fsio import (
    PRIVATE_DIR,
    fsync_dir,
    write_atomic,
)
from .records import ApplyError, ApplyRecord, Status

OnApplyStep = Callable[[int, int, Change], None]
OnRollbackStep = Callable[[int, int, str], None]


# -- state folder ------------------------------------------------------------------------


class State:
    """`<repo>/.dashtam-wizard/`: created 0700 with a `*` .gitignore so git never sees it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / STATE_DIR
        self.applies = self.path / APPLIES

    def _check(self) -> None:
        if os.path.islink(self.path) or (os.path.lexists(self.path) and not self.path.is_dir()):
            raise ApplyError(
                f"{STATE_DIR}: is not a folder (or is a symlink); refusing to use it", STATE_DIR
            )

    def exists(self) -> bool:
        self._check()
        return self.path.is_dir()

    def ensure(self) -> bool:
        """Create the folder if needed; True when this call created it."""
        self._check()
        created = False
        try:
            os.mkdir(self.path, PRIVATE_DIR)
            created = True
        except FileExistsError:
            pass
        if stat.S_IMODE(os.lstat(self.path).st_mode) != PRIVATE_DIR:
            os.chmod(self.path, PRIVATE_DIR)
        for entry in os.scandir(self.path):  # folders inside it hold secrets too
            if (
                entry.is_dir(follow_symlinks=False)
                and stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) & 0o077
            ):
                os.chmod(entry.path, PRIVATE_DIR)
        ignore = self.path / ".gitignore"
        try:
            if not ignore.exists():
                write_atomic(ignore, b"*\n", 0o600, points=False)
            if created:
                trust.mark(self.path)  # made here, by this user: the only state the wizard acts on
                fsync_dir(self.root)
        except BaseException:
            if created:  # a full disk right away: leave no half-made folder behind
                shutil.rmtree(self.path, ignore_errors=True)
            raise
        return created

    def require_trusted(self) -> None:
        """Refuse (one line, nothing written) a state folder this user did not make here."""
        trust.require(self.root)

    def remove_if_unused(self) -> None:
        """Undo `ensure` after a refusal, so a refused apply leaves no trace at all."""
        made = {".gitignore", MARKER}
        if set(os.listdir(self.path)) <= made:
            for name in made:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path / name)
            os.rmdir(self.path)
            fsync_dir(self.root)

    def apply_dirs(self) -> list[Path]:
        """Apply folders, oldest first (ids start with a sequence number)."""
        try:
            names = [n for n in os.listdir(self.applies) if n.split("-", 1)[0].isdigit()]
        except FileNotFoundError:
            return []
        return [self.applies / n for n in sorted(names, key=lambda n: int(n.split("-", 1)[0]))]

    def new_id(self) -> str:
        dirs = self.apply_dirs()
        seq = int(dirs[-1].name.split("-", 1)[0]) + 1 if dirs else 1
        return f"{seq:04d}-{datetime.now():%Y%m%d-%H%M%S}"

    def saved_name(self) -> str:
        base = datetime.now().strftime("%Y%m%d-%H%M%S")
        name, k = base, 2
        while (self.path / "saved" / name).exists():
            name, k = f"{base}-{k}", k + 1
        return name


def repo_root(repo: Path) -> Path:
    root = Path(repo).expanduser().resolve()
    if not root.is_dir():
        raise ApplyError(f"{repo}: is not a folder", str(repo))
    return root


def read_plan(d: Path) -> dict[str, Any] | None:
    """plan.json of an apply folder, every path in it checked (None: killed before it)."""
    try:
        plan: dict[str, Any] = json.loads((d / PLAN).read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        raise ApplyError(
            f"{STATE_DIR}/{APPLIES}/{d.name}/{PLAN}: is damaged; cannot use this apply record"
        ) from None
    why = records_check.plan_problem(plan, d.name)
    if why is not None:
        raise ApplyError(
            f"{STATE_DIR}/{APPLIES}/{d.name}/{PLAN}: {why}; refusing to use this apply record "
            "(nothing was changed)"
        )
    return plan


def journal_status(events: list[dict[str, Any]]) -> Status:
    kinds = {e.get("ev") for e in events}
    if "rb-done" in kinds:
        return "rolled-back"
    if "rb-begin" in kinds or "commit" not in kinds:
        return "incomplete"
    return "applied"


def record_of(d: Path, plan: dict[str, Any]) -> ApplyRecord:
    return ApplyRecord(
        plan["id"],
        plan["created"],
        list(plan["phases"]),
        list(plan["change_ids"]),
        journal_status(journal.read(d / JOURNAL)),
    )


def tmp_beside(root: Path, rel: str, rid: str) -> Path:
    p = root / rel
    return p.with_name(f".{p.name}.{rid}.dwtmp")


def sweep(state: State) -> None:
    """Drop what a crash left that holds no information: an apply folder killed before its
    plan.json (nothing was written yet), and saved copies of already rolled-back applies."""
    for d in state.apply_dirs():
        plan = read_plan(d)
        if plan is None:
            shutil.rmtree(d, ignore_errors=True)
        elif journal_status(journal.read(d / JOURNAL)) == "rolled-back":
            drop_blobs(d)


def drop_blobs(d: Path) -> None:
    shutil.rmtree(d / "pre", ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(d / GIT_INDEX)


def history(repo: Path) -> list[ApplyRecord]:
    """Every recorded apply, oldest first (read-only; no lock taken)."""
    root = repo_root(repo)
    state = State(root)
    if not state.exists():
        return []
    state.require_trusted()
    return [record_of(d, p) for d in state.apply_dirs() if (p := read_plan(d)) is not None]


def adopt_state(repo: Path) -> None:
    """The user vouches for a state folder the wizard did not make here (a copied repo, an
    older version's folder): every record is checked first, then the folder is marked."""
    root = repo_root(repo)
    state = State(root)
    if not state.exists():
        raise ApplyError(f"{root}: has no {STATE_DIR} folder to trust")
    trust.adopt(root, lambda: _check_records(state))


def _check_records(state: State) -> None:
    """Every apply record and the rollback intent readable and within the repo, or ApplyError."""
    for d in state.apply_dirs():
        plan = read_plan(d)
        rb = next((e for e in journal.read(d / JOURNAL) if e.get("ev") == "rb-begin"), None)
        if plan is not None and rb is not None and not records_check.saved_name_ok(rb.get("saved")):
            raise ApplyError(
                f"{STATE_DIR}/{APPLIES}/{d.name}/{JOURNAL}: names an invalid saved folder"
            )
