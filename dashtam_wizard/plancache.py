"""A content-addressed cache of plans, so looking again at an unchanged repo is instant.

Planning is a pure function of the repo snapshot, the options and the wizard's own code
(core/ and the templates), so the key hashes exactly those: every byte, mode and git-tracked
flag of the files the snapshot reads, the options, and the size and mtime of every source
file of the package. Any edit anywhere in that set is a miss; a hit returns the Plan the
same inputs produced before. Round-trip YAML parsing alone costs more than the start-up of
the libraries planning needs, so without this a second `plan` costs as much as the first.

Plans hold env-file contents (diffs of secrets), so the cache is owner-only: the folder is
0700, entries 0600, and an entry or folder someone else owns or can write is never loaded.
It lives outside the repo (XDG cache), because `plan` must not change the repo.

    DASHTAM_WIZARD_CACHE_DIR   where (default $XDG_CACHE_HOME/dashtam-wizard/plans)
    DASHTAM_WIZARD_NO_CACHE=1  never read or write it (also `plan --no-cache`)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
from pathlib import Path

from .core.context import Options
from .core.model import Plan
from .core.snapshot import Tree, read_tree
from .core.statedir import STATE_DIR

FORMAT = b"dashtam-wizard plan cache v1"
KEEP = 32  # entries: one per repo state looked at recently is plenty
_PKG = Path(__file__).resolve().parent


def cache_dir() -> Path:
    explicit = os.environ.get("DASHTAM_WIZARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dashtam-wizard" / "plans"


def enabled() -> bool:
    return os.environ.get("DASHTAM_WIZARD_NO_CACHE", "") in ("", "0")


def _code_fingerprint(h: hashlib._Hash) -> None:
    """The planner's own inputs: an edited phase or template must never hit an old plan."""
    roots = [_PKG / "core", _PKG / "assets" / "templates", _PKG.parent / "assets" / "templates"]
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                st = os.stat(os.path.join(dirpath, name))
                h.update(f"{dirpath}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def plan_key(tree: Tree, root: str, root_name: str, options: Options, history: str = "") -> str:
    h = hashlib.sha256(FORMAT)
    h.update(history.encode())
    _code_fingerprint(h)
    h.update(
        repr(
            (
                root,
                root_name,
                options.uid,
                options.gid,
                sorted(options.skip),
                sorted(options.include),
                options.conversion.key if options.conversion is not None else None,
                tree.is_git,
                sorted(tree.dirs),
                sorted(tree.tracked),
            )
        ).encode()
    )
    for path in sorted(tree.files):
        entry = tree.files[path]
        h.update(f"\0{path}\0{entry.mode:o}\0{entry.links}\0{len(entry.data)}\0".encode())
        h.update(entry.data)
    return h.hexdigest()


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_entry(folder: Path, key: str) -> object | None:
    """The object pickled as `key` in `folder`, or None: missing, damaged, or in a folder or
    file someone else owns or can write (never unpickle what another user could plant)."""
    path = folder / f"{key}.pickle"
    try:
        if not _private(os.stat(folder)):
            return None
        with open(path, "rb") as fh:
            if not _private(os.fstat(fh.fileno())):
                return None
            obj: object = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a truncated or stale entry is a miss, never an error
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept by the pruning in write_entry
    return obj


def write_entry(folder: Path, key: str, obj: object, keep: int | None) -> None:
    """Pickle `obj` as `key` (0600, atomically) and keep the `keep` most recent entries
    (None: the caller prunes once after many writes). Best effort: a read-only home or a
    full disk must not fail the command."""
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)  # both owner-only: entries hold env values
        if not _private(os.stat(folder)):
            return
        import tempfile  # only a miss writes

        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")  # created 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{key}.pickle")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if keep is not None:
            prune(folder, keep)
    except OSError:
        return


def prune(folder: Path, keep: int) -> None:
    """Keep the `keep` most recently used entries of `folder`."""
    entries = []
    for p in folder.glob("*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((p.stat().st_mtime_ns, p))
    for _, p in sorted(entries, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            p.unlink()


def load(key: str) -> Plan | None:
    plan = read_entry(cache_dir(), key)
    return plan if isinstance(plan, Plan) else None


def save(key: str, plan: Plan) -> None:
    write_entry(cache_dir(), key, plan, KEEP)


def cached_plan(root: Path, options: Options | None = None, use_cache: bool = True) -> Plan:
    """build_plan, answered from the cache when the same inputs were planned before."""
    root = root.resolve()
    return plan_for(read_tree(root), root, options, use_cache)


def plan_for(
    tree: Tree, root: Path, options: Options | None = None, use_cache: bool = True
) -> Plan:
    """plan_tree for a snapshot already read, through the cache.

    With earlier applies recorded in the repo, the plan is made from the baseline they
    started from (apply/baseline.py), and the records are part of the key.
    """
    options = options or Options()
    baseline = None
    if os.path.lexists(root / STATE_DIR):
        from .apply.baseline import load_baseline

        baseline = load_baseline(root, tree)
    history = baseline.digest if baseline is not None else ""
    key = (
        plan_key(tree, str(root), root.name, options, history) if use_cache and enabled() else None
    )
    if key is not None:
        hit = load(key)
        if hit is not None:
            return hit
    from .core.planner import plan_tree  # the seven phases and their libraries: only on a miss

    if enabled():
        from .core.templates import use_bytecode_cache

        use_bytecode_cache(cache_dir().parent / "templates")

    plan = plan_tree(tree, str(root), root.name, options, baseline)
    if key is not None:
        save(key, plan)
    return plan
