"""Read the parts of a repo the plan needs into an in-memory, immutable-ish file map.

Planning never touches disk after this: each phase reads from a `Tree` and the planner
applies the phase's changes to a copy, so later phases see the result of earlier ones.
Only the files a migration can touch are read (top level, docker/, compose/, env/,
.github/workflows/, scripts/, docs/), so a repo with a huge node_modules plans as fast
as a small one.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import BadInput
from .statedir import STATE_DIR

# Folders read recursively (bounded depth); everything else only at the top level.
_DEEP = {
    "docker": 2,
    "compose": 1,
    "env": 1,
    ".github": 3,
    "scripts": 2,
    "docs": 3,
    ".devcontainer": 1,
}
_MAX_FILE = 32 * 1024 * 1024


@dataclass
class Entry:
    data: bytes
    mode: int = 0o644
    links: int = 1  # hard links on disk: >1 means other names keep the old bytes after a write


@dataclass
class Tree:
    """A virtual file system: POSIX relative paths -> Entry, plus the directories known."""

    files: dict[str, Entry] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    tracked: set[str] = field(default_factory=set)  # paths tracked by git
    is_git: bool = False

    def copy(self) -> Tree:
        return Tree(
            {k: Entry(v.data, v.mode) for k, v in self.files.items()},
            set(self.dirs),
            set(self.tracked),
            self.is_git,
        )

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.dirs

    def read(self, path: str) -> bytes | None:
        e = self.files.get(path)
        return None if e is None else e.data

    def text(self, path: str) -> str | None:
        data = self.read(path)
        if data is None:
            return None
        if b"\0" in data[:8192]:
            raise BadInput(path, "is a binary file where text was expected")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise BadInput(path, "is not valid UTF-8 text", line) from None

    def listdir(self, folder: str) -> list[str]:
        """Direct children (files and dirs) of `folder` ('' for the root), sorted."""
        prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
        names = set()
        for p in list(self.files) + list(self.dirs):
            if p.startswith(prefix) and p != folder:
                rest = p[len(prefix) :]
                if rest:
                    names.add(rest.split("/", 1)[0])
        return sorted(names)

    def glob(self, pattern: str) -> list[str]:
        return sorted(p for p in self.files if PurePosixPath(p).match(pattern))


def _check_inside(root: Path, path: Path, rel: str) -> None:
    try:
        resolved = path.resolve()
    except OSError as exc:
        raise BadInput(rel, f"cannot be resolved ({exc.strerror})") from None
    except RuntimeError:  # Python < 3.13 reports a symlink loop so
        raise BadInput(rel, "is a symlink loop") from None
    if resolved != root and root not in resolved.parents:
        raise BadInput(rel, f"is a symlink pointing outside the repo (to {resolved})")


def _read_file(root: Path, path: Path, rel: str, tree: Tree) -> None:
    if path.is_symlink():
        _check_inside(root, path, rel)
    try:
        st = path.stat()
    except OSError as exc:
        raise BadInput(rel, f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        tree.dirs.add(rel)
        return
    if not stat.S_ISREG(st.st_mode):
        return
    if st.st_size > _MAX_FILE:
        # a database dump or an archive beside the code: nothing the plan reads or writes is
        # this large (and compose files over a few MB are refused where they are parsed)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(rel, f"cannot be read ({exc.strerror})") from None
    tree.files[rel] = Entry(data, stat.S_IMODE(st.st_mode), st.st_nlink)


def _walk(root: Path, folder: Path, rel: str, depth: int, tree: Tree) -> None:
    tree.dirs.add(rel)
    try:
        children = sorted(os.scandir(folder), key=lambda d: d.name)
    except OSError as exc:
        raise BadInput(rel, f"cannot be listed ({exc.strerror})") from None
    for child in children:
        crel = f"{rel}/{child.name}"
        if child.is_dir(follow_symlinks=False):
            if depth > 0 and child.name not in {"__pycache__", "node_modules", ".venv"}:
                _walk(root, Path(child.path), crel, depth - 1, tree)
            else:
                tree.dirs.add(crel)
        else:
            _read_file(root, Path(child.path), crel, tree)


def git_tracked(root: Path) -> tuple[bool, set[str]]:
    """Whether `root` is in a git work tree (its root, or a service's folder of a monorepo),
    and which files under it git tracks, relative to `root`."""
    try:
        res = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False, set()
    if res.returncode != 0:
        if b"dubious ownership" in res.stderr:
            # treated as no repo, moves would lose their history: say so instead
            raise BadInput(
                str(root),
                "git refuses this repository (dubious ownership: it belongs to another "
                "user); run the wizard as the repository's owner",
            )
        return False, set()
    return True, {p for p in res.stdout.decode("utf-8", "surrogateescape").split("\0") if p}


def fingerprint(root: Path) -> str:
    """What changes when anything `read_tree` reads changes, from `stat` alone (no file is
    read): the files and folders it walks, git's index and the wizard's state folder. Cheap
    enough to poll, so a TUI notices another editor or shell."""
    import hashlib

    h = hashlib.sha256()

    def visit(folder: str, depth: int) -> None:
        try:
            entries = sorted(os.scandir(root / folder if folder else root), key=lambda d: d.name)
        except OSError:
            h.update(f"?{folder}\0".encode())
            return
        for e in entries:
            rel = f"{folder}/{e.name}" if folder else e.name
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            h.update(f"{rel}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            if e.is_dir(follow_symlinks=False):
                if not folder and e.name in (".git", STATE_DIR):
                    continue
                limit = _DEEP.get(e.name, -1) if not folder else depth - 1
                if limit >= 0 and e.name not in {"__pycache__", "node_modules", ".venv"}:
                    visit(rel, limit)

    visit("", 0)
    for extra in (".git/index", ".git/HEAD", STATE_DIR, f"{STATE_DIR}/lock"):
        try:
            st = os.stat(root / extra)
            h.update(f"{extra}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{extra}\0-\n".encode())
    return h.hexdigest()


def read_tree(root: Path) -> Tree:
    root = root.resolve()
    if not root.is_dir():
        raise BadInput(str(root), "is not a directory")
    tree = Tree()
    try:
        top = sorted(os.scandir(root), key=lambda d: d.name)
    except OSError as exc:
        raise BadInput(str(root), f"cannot be listed ({exc.strerror})") from None
    for entry in top:
        name = entry.name
        if name in (".git", STATE_DIR):
            continue
        if entry.is_dir(follow_symlinks=False):
            if name in _DEEP:
                _walk(root, Path(entry.path), name, _DEEP[name], tree)
            else:
                tree.dirs.add(name)
        elif entry.is_symlink() and Path(entry.path).is_dir():
            _check_inside(root, Path(entry.path), name)
            tree.dirs.add(name)
        else:
            _read_file(root, Path(entry.path), name, tree)
    tree.is_git, tracked = git_tracked(root)
    tree.tracked = {p for p in tracked if p in tree.files}
    return tree
