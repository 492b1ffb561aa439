"""Undoing one apply: every path its plan.json recorded put back, then checked against it.

Apart from rollback/recover (undo.py), which choose the applies to undo under the repo lock:
engine.py undoes a failed apply with this directly, inside the lock it already holds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from ..core.statedir import APPLIES, GIT_INDEX, JOURNAL, PLAN, STATE_DIR
from . import journal, records_check
from .faults import point
from .fsio import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    fsync_dir,
    fsync_file,
    make_private_dir,
    sha256_file,
    write_atomic,
    write_private,
)
from .gitindex import GitRepo, digest, set_entries
from .prepare import load
from .records import ApplyError, RollbackResult
from .state import State, drop_blobs, read_plan, tmp_beside


class _Saver:
    """Moves a user's version of a path aside to `.dashtam-wizard/saved/<name>/<path>`."""

    def __init__(self, root: Path, state: State, name: str) -> None:
        self.root = root
        self.base = state.path / "saved" / name
        self.saved: list[str] = []

    def move(self, rel: str) -> None:
        src = self.root / rel
        dest = self.base / rel
        make_private_dir(dest.parent)
        k = 1
        while os.path.lexists(dest):
            dest, k = self.base / f"{rel}.{k}", k + 1
        try:
            os.rename(src, dest)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.move(str(src), str(dest))
        _make_private(dest)
        fsync_dir(dest.parent)
        fsync_dir(src.parent)
        point()
        self.saved.append(str(dest.relative_to(self.root)))

    def write(self, rel: str, data: bytes) -> None:
        dest = self.base / rel
        write_private(dest, data)
        self.saved.append(str(dest.relative_to(self.root)))


def _make_private(path: Path) -> None:
    """Saved copies may be secrets: files 0600, folders 0700, like the rest of the state."""
    if path.is_symlink():
        return
    if path.is_dir():
        os.chmod(path, PRIVATE_DIR)
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames:
                if not os.path.islink(os.path.join(dirpath, name)):
                    os.chmod(os.path.join(dirpath, name), PRIVATE_DIR)
            for name in filenames:
                if not os.path.islink(os.path.join(dirpath, name)):
                    os.chmod(os.path.join(dirpath, name), PRIVATE_FILE)
    else:
        os.chmod(path, PRIVATE_FILE)


def _depth(rel: str) -> int:
    return rel.count("/")


def undo(root: Path, state: State, rec_dir: Path) -> RollbackResult:
    """Put every path of one apply back to its pre-apply state; idempotent, resumable."""
    plan = read_plan(rec_dir)
    if plan is None:
        raise ApplyError(f"{STATE_DIR}/{APPLIES}/{rec_dir.name}: has no {PLAN}; nothing to undo")
    rid = plan["id"]
    j = rec_dir / JOURNAL
    events = journal.read(j)
    pre: dict[str, dict[str, Any]] = plan["pre"]
    known = {p: set(v) for p, v in plan["known"].items()}
    made_dirs = set(plan["made_dirs"])
    result = RollbackResult(ids=[rid])

    # Checks, before the first write.
    blobs: dict[str, Path] = {}
    for rel, e in pre.items():
        if e["kind"] == "file":
            blob = rec_dir / e["blob"]
            if not blob.is_file() or sha256_file(blob) != e["sha"]:
                raise ApplyError(
                    f"{rel}: the pre-apply copy in {STATE_DIR}/{APPLIES}/{rid}/{e['blob']} is missing "
                    "or damaged; cannot restore it",
                    rel,
                )
            blobs[rel] = blob
    for rel in [*pre, *plan["tmp"], *made_dirs]:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            a = "/".join(parts[:i])
            if os.path.islink(root / a):
                raise ApplyError(f"{a}: is now a symlink; refusing to restore {rel} through it", a)
    git = plan.get("git")
    repo: GitRepo | None = None
    if git:
        repo = GitRepo(root)
        pre_index = rec_dir / GIT_INDEX
        if not pre_index.is_file() or sha256_file(pre_index) != git["index_sha"]:
            raise ApplyError(
                f"{STATE_DIR}/{APPLIES}/{rid}/{GIT_INDEX}: the saved git index is missing or damaged"
            )
        if repo.index_lock.exists():
            kinds = [e.get("ev") for e in events]
            last = [e for e in events if e.get("ev") == "begin"][-1:]
            if (
                last
                and last[0].get("op") == "gitmv"
                and "commit" not in kinds
                and "rb-begin" not in kinds
            ):
                # git itself was killed mid `git mv` with us: its lock is stale, and ours.
                os.unlink(repo.index_lock)
                result.notes.append(
                    "Removed the stale .git/index.lock left by the interrupted `git mv`."
                )
            else:
                raise ApplyError(
                    f"{repo.index_lock}: the git index is locked; another git command is running "
                    "(delete the file if none is)"
                )

    rb = next((e for e in events if e.get("ev") == "rb-begin"), None)
    if rb is not None and not records_check.saved_name_ok(rb.get("saved")):
        raise ApplyError(
            f"{STATE_DIR}/{APPLIES}/{rid}/{JOURNAL}: names an invalid saved folder; refusing to use it"
        )
    name = rb["saved"] if rb else state.saved_name()
    if rb is None:
        journal.append(j, {"ev": "rb-begin", "saved": name})
    saver = _Saver(root, state, name)

    # 1. temp files of interrupted atomic writes
    for t in plan["tmp"]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(root / t)
            fsync_dir((root / t).parent)
            point()
    # 2. folders that existed: make sure they (still) do, with their mode, shallowest first
    for rel in sorted((p for p, e in pre.items() if e["kind"] == "dir"), key=_depth):
        cur = load(root, rel) if not (root / rel).is_dir() else None
        p = root / rel
        if cur is not None:
            if cur.kind != "absent":
                saver.move(rel)
            os.mkdir(p, PRIVATE_DIR)
            os.chmod(p, pre[rel]["mode"])
            fsync_dir(p.parent)
            point()
            result.restored += 1
        elif stat.S_IMODE(os.lstat(p).st_mode) != pre[rel]["mode"]:
            os.chmod(p, pre[rel]["mode"])
            point()
            result.restored += 1
    # 3. files: put back what was there, remove what was not (keeping unknown content aside)
    for rel in sorted(pre):
        e = pre[rel]
        p = root / rel
        if e["kind"] == "file":
            st = _lstat(p)
            if st is not None and stat.S_ISREG(st.st_mode):
                h = sha256_file(p)
                if h == e["sha"]:
                    if stat.S_IMODE(st.st_mode) != e["mode"]:
                        os.chmod(p, e["mode"])
                        fsync_file(p)
                        point()
                        result.restored += 1
                    continue
                if h not in known.get(rel, set()):
                    saver.move(rel)
            elif st is not None:
                saver.move(rel)
            write_atomic(p, blobs[rel].read_bytes(), e["mode"], tmp=tmp_beside(root, rel, rid))
            result.restored += 1
        elif e["kind"] == "absent":
            st = _lstat(p)
            if st is None or (stat.S_ISDIR(st.st_mode) and rel in made_dirs):
                continue
            if stat.S_ISREG(st.st_mode) and sha256_file(p) in known.get(rel, set()):
                os.unlink(p)
                fsync_dir(p.parent)
                point()
            else:
                saver.move(rel)
            result.restored += 1
    # 4. folders the apply created, deepest first (anything the user put in them is kept aside)
    for rel in sorted(
        (p for p, e in pre.items() if e["kind"] == "absent" and p in made_dirs),
        key=_depth,
        reverse=True,
    ):
        p = root / rel
        st = _lstat(p)
        if st is None:
            continue
        if stat.S_ISDIR(st.st_mode):
            for child in sorted(os.listdir(p)):  # the user's: nothing of ours is left in it
                saver.move(f"{rel}/{child}")
            os.rmdir(p)
            fsync_dir(p.parent)
            point()
        else:
            saver.move(rel)
        result.restored += 1
    # 5. the git index
    byte_restore = False
    if git and repo is not None:
        byte_restore = _restore_index(repo, git, rec_dir, events, saver, result)
    # 6. verify against the pre-apply manifest
    for rel, e in pre.items():
        now = load(root, rel)
        if (
            now.kind != e["kind"]
            or (now.kind != "absent" and now.mode != e["mode"])
            or (now.kind == "file" and now.sha != e["sha"])
        ):
            raise ApplyError(f"{rel}: could not be restored exactly (run rollback again)", rel)
    if git and repo is not None:
        table = {p: m.decode() for p, m in repo.entries()}
        ok = (
            (sha256_file(repo.index) == git["index_sha"])
            if byte_restore
            else all(table.get(p) == m for p, m in git["entries"].items())
        )
        if not ok:
            raise ApplyError(
                f"{repo.index}: the git index could not be restored (run rollback again)"
            )
    result.saved = saver.saved
    journal.append(j, {"ev": "rb-done", "restored": result.restored, "saved": saver.saved})
    drop_blobs(rec_dir)
    return result


def _lstat(p: Path) -> os.stat_result | None:
    try:
        return os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _restore_index(
    repo: GitRepo,
    git: dict[str, Any],
    rec_dir: Path,
    events: list[dict[str, Any]],
    saver: _Saver,
    result: RollbackResult,
) -> bool:
    """Byte-for-byte when the index holds only what the apply did (True); else reset only the
    moved paths' entries and keep the user's later staging, a copy of it set aside (False)."""
    pre_bytes = (rec_dir / GIT_INDEX).read_bytes()
    tmp = repo.index.with_name(f".index.{rec_dir.name}.dwtmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    try:
        now: bytes | None = repo.index.read_bytes()
        mode = stat.S_IMODE(os.lstat(repo.index).st_mode)
    except FileNotFoundError:
        now, mode = None, 0o644
    if now == pre_bytes:
        return True
    ours = {git["pre_digest"], *git["digests"], *(e["index"] for e in events if "index" in e)}
    if digest(repo.entries()) in ours:
        write_atomic(repo.index, pre_bytes, mode, tmp=tmp)
        return True
    with contextlib.suppress(FileNotFoundError):
        saver.write(".git-index", repo.index.read_bytes())
    set_entries(
        repo, {p: (m.encode() if m is not None else None) for p, m in git["entries"].items()}
    )
    fsync_file(repo.index)
    point()
    result.notes.append(
        "The git index had changed since the apply: only the moved paths were reset "
        "(your staging is kept; a copy of the index is in the saved folder)."
    )
    return False
