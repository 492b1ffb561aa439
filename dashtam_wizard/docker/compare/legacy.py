"""The legacy tree, from the apply journal: read the applied records (never write them) and
put every path they touched back to its pre-apply state in a scratch copy of the repo."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashtam_wizard.apply import ApplyError, history
from dashtam_wizard.apply.fsio import sha256_bytes
from dashtam_wizard.apply.state import State, read_plan
from dashtam_wizard.core.statedir import APPLIES, PLAN, STATE_DIR

from .errors import CompareError


@dataclass
class Journal:
    """The pre-migration state of every path the applied records touched."""

    applies: list[str]  # applied record ids, oldest first
    pre: dict[str, tuple[dict[str, Any], Path]]  # path -> (plan.json "pre" entry, its apply folder)

    @property
    def dockerfiles(self) -> list[str]:
        """Pre-migration Dockerfiles the applies changed (what there is to compare)."""
        return sorted(
            rel
            for rel, (e, _) in self.pre.items()
            if e.get("kind") == "file" and _is_dockerfile(rel)
        )


def _is_dockerfile(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


def read_journal(root: Path) -> Journal:
    """Read (never write) the applied records; refuse a repo that has nothing to compare."""
    try:
        records = history(root)
    except ApplyError as exc:
        raise CompareError(str(exc)) from None
    if any(r.status == "incomplete" for r in records):
        raise CompareError(
            f"{root}: an interrupted apply or rollback must be finished first "
            "(run `dashtam-wizard rollback`)"
        )
    applied = [r for r in records if r.status == "applied"]
    if not applied:
        raise CompareError(
            f"{root}: not migrated: no apply recorded in {STATE_DIR}/, so there is no legacy "
            "Dockerfile to compare with (run `dashtam-wizard apply` first)"
        )
    state = State(root)
    pre: dict[str, tuple[dict[str, Any], Path]] = {}
    for rec in reversed(applied):  # newest first: an older record's pre-state overwrites
        folder = state.applies / rec.id
        try:
            plan = read_plan(folder)  # every path in it checked: relative, inside the repo
        except ApplyError as exc:
            raise CompareError(str(exc)) from None
        if plan is None:
            raise CompareError(
                f"{STATE_DIR}/{APPLIES}/{rec.id}/{PLAN}: is missing; cannot rebuild the legacy layout"
            )
        for rel, entry in plan["pre"].items():
            pre[rel] = (entry, folder)
    journal = Journal([r.id for r in applied], pre)
    if not journal.dockerfiles:
        raise CompareError(
            f"{root}: the apply journal holds no pre-migration Dockerfile (phase 3 not applied, "
            "or the repo had none): nothing to compare"
        )
    return journal


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif os.path.lexists(p):
        os.unlink(p)


def restore_legacy(tree: Path, journal: Journal) -> int:
    """Put every journaled path of the scratch copy `tree` back to its pre-apply state.

    Returns how many paths were restored. Links and special files are never changed by an
    apply (it refuses them), so only files, folders and absent paths are restored.
    """

    def depth(item: tuple[str, object]) -> int:
        return item[0].count("/")

    items = sorted(journal.pre.items())
    n = 0
    for rel, (_e, _d) in sorted(
        ((r, x) for r, x in items if x[0].get("kind") == "absent"), key=depth, reverse=True
    ):
        if os.path.lexists(tree / rel):
            _remove(tree / rel)
            n += 1
    dirs = sorted(((r, x) for r, x in items if x[0].get("kind") == "dir"), key=depth)
    for rel, _x in dirs:
        p = tree / rel
        if os.path.lexists(p) and not (p.is_dir() and not p.is_symlink()):
            _remove(p)
        p.mkdir(parents=True, exist_ok=True)
    for rel, (e, folder) in items:
        if e.get("kind") != "file":
            continue
        blob = folder / str(e.get("blob", ""))
        try:
            data = blob.read_bytes()
        except OSError:
            raise CompareError(
                f"{STATE_DIR}/{APPLIES}/{folder.name}/{e.get('blob')}: the pre-apply copy of {rel} "
                "is missing; cannot rebuild the legacy layout"
            ) from None
        if sha256_bytes(data) != e.get("sha"):
            raise CompareError(
                f"{STATE_DIR}/{APPLIES}/{folder.name}/{e.get('blob')}: the pre-apply copy of {rel} "
                "does not match its checksum; cannot rebuild the legacy layout"
            )
        p = tree / rel
        if os.path.lexists(p):
            _remove(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.chmod(p, int(e.get("mode") or 0o644))
        n += 1
    for rel, (e, _d) in reversed(dirs):  # last: a read-only folder must not stop the files
        os.chmod(tree / rel, int(e.get("mode") or 0o755))
    return n


def copy_repo(root: Path, dest: Path) -> None:
    """A full copy of the working tree but `.git` and the wizard's state (the scratch side)."""

    def skip(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in (".git", STATE_DIR)] if Path(folder) == root else []

    try:
        shutil.copytree(root, dest, symlinks=True, ignore=skip)
    except (shutil.Error, OSError) as exc:
        first = exc.args[0][0] if isinstance(exc, shutil.Error) and exc.args[0] else exc
        raise CompareError(f"{root}: cannot copy the repo to a scratch folder ({first})") from None
