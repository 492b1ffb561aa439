"""The overview's whole state for a repo the wizard has shown before, unchanged since.

`loader.load` is a pure function of the repo snapshot, the options, the wizard's code and
a few files of the state dir; the key hashes exactly those: the plan cache's key (every
byte, mode and git flag of the files the snapshot reads, the options, the engine's code),
the size and mtime of every source file of the package (the TUI's problem finder and the
apply records' reader too) and of what the state shows from the repo's state dir: the
last verify results and every file of every apply record. Any change is a miss and the
state is computed again. The checklist ticks (checklist.json) are not part of it: they
are read fresh on every load; nor is the lock file every start rewrites.

`app.run` looks here before Textual is imported: on a hit the overview's first frame has
its content, and nothing (no planner, no second process) competes with Textual's start.
Re-plans (toggles, after an apply) go through it too, in the backend process. Entries
hold the repo's files (env secrets included), so they are kept like the plan cache's,
in a folder inside it: owner-only folder (0700) and files (0600), never loaded if
someone else could have written them. `DASHTAM_WIZARD_NO_CACHE=1` turns both off.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..core.context import Options
from ..core.snapshot import Tree
from ..core.statedir import APPLIES, STATE_DIR, VERIFY_FILE
from ..plancache import cache_dir, enabled, plan_key, read_entry, write_entry
from ..service.state import RepoState

FORMAT = b"dashtam-wizard tui state v2"  # v2: the state classes moved to service/
KEEP = 8  # entries (a state holds the repo's files): the last few repos and toggles
_PKG = Path(__file__).resolve().parent.parent


def folder() -> Path:
    return cache_dir() / "tui"  # the plan cache prunes only its own *.pickle files


def _fingerprint_files(h: hashlib._Hash, top: Path, depth: int, skip: tuple[str, ...]) -> None:
    """Names, modes, sizes and mtimes of what is under `top`, `depth` folders deep, sorted."""
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        h.update(f"{top}\0-\n".encode())
        return
    for e in entries:
        if e.name in skip:
            continue
        st = e.stat(follow_symlinks=False)
        h.update(f"{e.path}\0{st.st_mode:o}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        if depth and stat.S_ISDIR(st.st_mode):
            _fingerprint_files(h, Path(e.path), depth - 1, skip)


def key(tree: Tree, root: Path, options: Options) -> str | None:
    """The key of the state `loader.load(root, options)` would compute now (None: no cache)."""
    if not enabled():
        return None
    h = hashlib.sha256(FORMAT)
    h.update(plan_key(tree, str(root), root.name, options).encode())
    _fingerprint_files(h, _PKG, 3, ("__pycache__",))  # the wizard's code, all of it
    state = root / STATE_DIR
    try:
        h.update(b"\0verify\0" + (state / VERIFY_FILE).read_bytes())
    except OSError:
        h.update(b"\0verify\0-")
    _fingerprint_files(h, state / APPLIES, 1, ())
    return h.hexdigest()


def get(k: str | None) -> RepoState | None:
    state = None if k is None else read_entry(folder(), k)
    return state if isinstance(state, RepoState) else None


def put(k: str | None, state: RepoState) -> None:
    """Best effort: a read-only home or a full disk only means no cache."""
    if k is not None:
        write_entry(folder(), k, state, KEEP)
