"""apply / rollback / recover: one journaled transaction per apply, undone byte for byte.

Layout of `<repo>/.dashtam-wizard/` (0700; files 0600; `.gitignore` says `*`):
    lock                      pid + start time of the running wizard (flock'd)
    applies/<id>/plan.json    the steps, and the pre-apply state of every touched path
    applies/<id>/pre/<n>      pre-apply content of every touched file
    applies/<id>/git-index    `.git/index` as it was (only when the apply runs `git mv`)
    applies/<id>/journal      "begin" before each step, commit, rb-begin/rb-done
    rollback.json             ids of a multi-apply rollback in progress
    saved/<timestamp>/<path>  user edits made after an apply, kept aside by a rollback

Undo is state based, not replayed: rollback puts every path of `plan.json` back to its
recorded state, whatever subset of the steps really happened. So undoing is idempotent: an
apply or a rollback killed at any point is finished by running rollback/recover again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.model import Change
from ..core.statedir import APPLIES, GIT_INDEX, INTENT, JOURNAL, MARKER, PLAN, STATE_DIR
from . import faults, journal, records_check, trust
from .faults import point
from .fsio import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    fsync_dir,
    fsync_file,
    make_private_dir,
    sha256_bytes,
    sha256_file,
    write_atomic,
    write_private,
)
from .gitindex import GitRepo, digest, git_dir, set_entries
from .lock import RepoLock
from .prepare import Step, TxPlan, load, prepare
from .records import ApplyError, ApplyRecord, RollbackResult, Status

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


def _root(repo: Path) -> Path:
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


def _status(events: list[dict[str, Any]]) -> Status:
    kinds = {e.get("ev") for e in events}
    if "rb-done" in kinds:
        return "rolled-back"
    if "rb-begin" in kinds or "commit" not in kinds:
        return "incomplete"
    return "applied"


def _record(d: Path, plan: dict[str, Any]) -> ApplyRecord:
    return ApplyRecord(
        plan["id"],
        plan["created"],
        list(plan["phases"]),
        list(plan["change_ids"]),
        _status(journal.read(d / JOURNAL)),
    )


def _tmp(root: Path, rel: str, rid: str) -> Path:
    p = root / rel
    return p.with_name(f".{p.name}.{rid}.dwtmp")


def _sweep(state: State) -> None:
    """Drop what a crash left that holds no information: an apply folder killed before its
    plan.json (nothing was written yet), and saved copies of already rolled-back applies."""
    for d in state.apply_dirs():
        plan = read_plan(d)
        if plan is None:
            shutil.rmtree(d, ignore_errors=True)
        elif _status(journal.read(d / JOURNAL)) == "rolled-back":
            _drop_blobs(d)


def _drop_blobs(d: Path) -> None:
    shutil.rmtree(d / "pre", ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(d / GIT_INDEX)


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
    root = _root(repo)
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
            _sweep(state)
            for d in state.apply_dirs():
                plan = read_plan(d)
                if plan is not None and _status(journal.read(d / JOURNAL)) == "incomplete":
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
            {str(_tmp(root, s.path, rid).relative_to(root)) for s in tx.steps if s.op == "write"}
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
            _undo(root, state, rec_dir)
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
            p, s.data or b"", s.mode if s.mode is not None else 0o644, tmp=_tmp(root, s.path, rid)
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


# -- undo --------------------------------------------------------------------------------


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


def _undo(root: Path, state: State, rec_dir: Path) -> RollbackResult:
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
            write_atomic(p, blobs[rel].read_bytes(), e["mode"], tmp=_tmp(root, rel, rid))
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
    _drop_blobs(rec_dir)
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


# -- rollback / recover / history ----------------------------------------------------------


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
    root = _root(repo)
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
            (d, _record(d, p)) for d in state.apply_dirs() if (p := read_plan(d)) is not None
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
            result.merge(_undo(root, state, d))
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
    root = _root(repo)
    state = State(root)
    if not state.exists():
        return None
    state.require_trusted()
    state.ensure()
    with RepoLock(state.path):
        return _recover(root, state)


def _recover(root: Path, state: State) -> RollbackResult | None:
    _sweep(state)
    result: RollbackResult | None = None
    for d in reversed(state.apply_dirs()):
        if read_plan(d) is not None and _status(journal.read(d / JOURNAL)) == "incomplete":
            result = result or RollbackResult()
            result.merge(_undo(root, state, d))
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
                and _status(journal.read(d / JOURNAL)) == "applied"
            ):
                result = result or RollbackResult()
                result.merge(_undo(root, state, d))
        _clear_intent(state)
    return result


def history(repo: Path) -> list[ApplyRecord]:
    """Every recorded apply, oldest first (read-only; no lock taken)."""
    root = _root(repo)
    state = State(root)
    if not state.exists():
        return []
    state.require_trusted()
    return [_record(d, p) for d in state.apply_dirs() if (p := read_plan(d)) is not None]


def adopt_state(repo: Path) -> None:
    """The user vouches for a state folder the wizard did not make here (a copied repo, an
    older version's folder): every record is checked first, then the folder is marked."""
    root = _root(repo)
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


def tree_manifest(repo: Path) -> dict[str, tuple[str, int]]:
    """relpath -> (sha256, mode) of files, ("dir", mode) of folders, ("link:<target>", 0) of
    symlinks; everything but `.git` and `.dashtam-wizard`. Proves a byte-for-byte restore."""
    root = _root(repo)
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
