"""Check a list of Changes against the disk and turn it into physical steps — no writes.

Every refusal (stale plan, escaping path, missing uv, untracked git source) happens here,
before the first write, so a refused apply leaves the repo exactly as it was. The checks
run on a virtual copy of the touched paths, so a change sees the effect of the earlier
ones (an edit of a file moved two steps before is checked against the moved content).
The result also carries what rollback needs: the pre-apply state of every touched path
(and its folders), and every content the transaction may leave at each path.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.model import Change, Kind
from ..core.statedir import STATE_DIR
from . import gitindex
from .fsio import sha256_bytes
from .records import ApplyError
from .uvlock import regenerate_uv_lock

_RESERVED = (".git", STATE_DIR)
DEFAULT_DIR_MODE = 0o755
DEFAULT_FILE_MODE = 0o644


@dataclass
class Node:
    """A path's state: kind is "absent", "file", "dir", "link" or "other"."""

    kind: str
    data: bytes | None = None
    mode: int = 0

    @property
    def sha(self) -> str | None:
        return None if self.data is None else sha256_bytes(self.data)


@dataclass
class Step:
    """One physical operation: mkdir, write, move, gitmv, unlink or chmod (paths resolved)."""

    op: str
    path: str
    change: int
    source: str | None = None
    mode: int | None = None
    data: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "path": self.path,
            "change": self.change,
            "source": self.source,
            "mode": self.mode,
            "sha": None if self.data is None else sha256_bytes(self.data),
        }


@dataclass
class GitPart:
    repo: gitindex.GitRepo
    index_bytes: bytes
    pre_digest: str
    digests: list[str]
    entries: dict[str, str | None]  # full path -> pre-apply `mode sha stage` (None: no entry)


@dataclass
class TxPlan:
    steps: list[Step]
    pre: dict[str, Node]
    known: dict[str, set[str]]
    git: GitPart | None = None
    notes: list[str] = field(default_factory=list)


def load(root: Path, rel: str) -> Node:
    """The on-disk state of `rel` (no symlink followed)."""
    p = root / rel
    try:
        st = os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        return Node("absent")
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return Node("link", mode=mode)
    if stat.S_ISDIR(st.st_mode):
        return Node("dir", mode=mode)
    if stat.S_ISREG(st.st_mode):
        try:
            return Node("file", p.read_bytes(), mode)
        except OSError as exc:
            raise ApplyError(f"{rel}: cannot be read ({exc.strerror})", rel) from None
    return Node("other", mode=mode)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def ancestors(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


class Simulator:
    """Applies Changes to a lazily loaded virtual view of the repo, collecting steps."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: dict[str, Node] = {}
        self.initial: dict[str, Node] = {}
        self.steps: list[Step] = []
        self.known: dict[str, set[str]] = {}
        self.touched: dict[str, None] = {}
        self.tracked: dict[str, bool] = {}
        self.git: gitindex.GitRepo | None = None
        self.entries: list[tuple[str, bytes]] | None = None
        self.moves: list[tuple[str, str]] = []

    # -- virtual file system -------------------------------------------------------------
    def node(self, rel: str) -> Node:
        if rel not in self.nodes:
            n = load(self.root, rel)
            self.nodes[rel] = self.initial[rel] = n
            if n.kind == "file":
                self.known.setdefault(rel, set()).add(sha256_bytes(n.data or b""))
        return self.nodes[rel]

    def set(self, rel: str, node: Node) -> None:
        self.node(rel)
        self.nodes[rel] = node
        if node.kind == "file":
            self.known.setdefault(rel, set()).add(sha256_bytes(node.data or b""))

    def step(self, step: Step) -> None:
        self.steps.append(step)
        self.touched[step.path] = None
        if step.source:
            self.touched[step.source] = None

    # -- paths ---------------------------------------------------------------------------
    def resolve(self, rel: str | None, role: str) -> str:
        """Map a plan path to the real path operated on; refuse anything leaving the repo.

        role: "new" (target that must not exist), "read" (edit/chmod/copy source: a symlink
        inside the repo is followed), "remove" (delete/move source: symlinks refused).
        """
        if not rel or rel.startswith("/") or "\0" in rel or "\\" in rel:
            raise ApplyError(
                f"{rel or '(empty path)'}: is not a relative path inside the repo", rel
            )
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ApplyError(f"{rel}: is not a plain relative path inside the repo", rel)
        if parts[0] in _RESERVED:
            raise ApplyError(f"{rel}: is inside {parts[0]}/, which the wizard never changes", rel)
        root = str(self.root)
        parent = os.path.realpath(os.path.join(root, *parts[:-1])) if len(parts) > 1 else root
        if not _inside(parent, root):
            raise ApplyError(
                f"{rel}: resolves outside the repo (through a symlink, to {parent}); refusing", rel
            )
        real = os.path.relpath(os.path.join(parent, parts[-1]), root)
        if self.node(real).kind == "link":
            full = os.path.realpath(os.path.join(root, real))
            if not _inside(full, root):
                raise ApplyError(
                    f"{rel}: is a symlink pointing outside the repo (to {full}); refusing", rel
                )
            if role == "remove":
                raise ApplyError(
                    f"{rel}: is a symlink; the wizard does not move or delete symlinks", rel
                )
            if role == "read":
                real = os.path.relpath(full, root)
        if real.split("/")[0] in _RESERVED or real == ".":
            raise ApplyError(
                f"{rel}: resolves into {real.split('/')[0]}/, which the wizard never changes", rel
            )
        return real

    def parents(self, rel: str, change: int, shown: str) -> None:
        for a in ancestors(rel):
            n = self.node(a)
            if n.kind == "dir":
                continue
            if n.kind != "absent":
                raise ApplyError(f"{a}: is not a folder (needed for {shown})", a)
            self.set(a, Node("dir", mode=DEFAULT_DIR_MODE))
            self.step(Step("mkdir", a, change, mode=DEFAULT_DIR_MODE))

    def current(self, real: str, shown: str, before: bytes | None, kind: Kind) -> Node:
        n = self.node(real)
        if n.kind == "absent":
            raise ApplyError(f"{shown}: no longer exists; the plan is stale, plan again", shown)
        if n.kind != "file":
            raise ApplyError(f"{shown}: is not a regular file", shown)
        if before is None and kind is not Kind.CHMOD:
            raise ApplyError(
                f"{shown}: the plan gives no previous content to check ({kind.value})", shown
            )
        if before is not None and sha256_bytes(n.data or b"") != sha256_bytes(before):
            raise ApplyError(f"{shown}: changed since the plan was made; plan again", shown)
        return n

    def absent(self, real: str, shown: str) -> None:
        if self.node(real).kind != "absent":
            raise ApplyError(f"{shown}: already exists; the plan is stale, plan again", shown)

    def is_tracked(self, real: str, shown: str) -> bool:
        if self.git is None:
            try:
                self.git = gitindex.GitRepo(self.root)
            except ApplyError:
                raise ApplyError(
                    f"{shown}: the plan moves it with git, but the repo is not a git work tree",
                    shown,
                ) from None
        if self.entries is None:
            self.entries = self.git.entries()
            self.tracked.update(
                (p[len(self.git.prefix) :], True)
                for p, _ in self.entries
                if p.startswith(self.git.prefix)
            )
        return self.tracked.get(real, False)

    # -- changes -------------------------------------------------------------------------
    def add(self, i: int, c: Change) -> None:
        if c.kind is Kind.MKDIR:
            real = self.resolve(c.path, "new")
            n = self.node(real)
            if n.kind == "dir":
                return
            if n.kind != "absent":
                raise ApplyError(
                    f"{c.path}: already exists and is not a folder; plan again", c.path
                )
            self.parents(real, i, c.path)
            mode = c.mode if c.mode is not None else DEFAULT_DIR_MODE
            self.set(real, Node("dir", mode=mode))
            self.step(Step("mkdir", real, i, mode=mode))
        elif c.kind is Kind.CREATE:
            real = self.resolve(c.path, "new")
            self.absent(real, c.path)
            if c.after is None:
                raise ApplyError(f"{c.path}: the plan gives no content to create", c.path)
            self.write(
                i, real, c.path, c.after, c.mode if c.mode is not None else DEFAULT_FILE_MODE
            )
        elif c.kind is Kind.COPY:
            src = self.resolve(c.source, "read")
            s = self.node(src)
            if s.kind != "file":
                raise ApplyError(
                    f"{c.source}: no longer exists; the plan is stale, plan again", c.source
                )
            if c.after is not None and sha256_bytes(c.after) != s.sha:
                raise ApplyError(
                    f"{c.source}: changed since the plan was made; plan again", c.source
                )
            real = self.resolve(c.path, "new")
            self.absent(real, c.path)
            self.write(i, real, c.path, s.data or b"", c.mode if c.mode is not None else s.mode)
        elif c.kind is Kind.EDIT:
            real = self.resolve(c.path, "read")
            n = self.current(real, c.path, c.before, c.kind)
            data = self.regenerate(real, c) if c.regenerate else c.after
            if data is None:
                raise ApplyError(f"{c.path}: the plan gives no new content", c.path)
            self.write(i, real, c.path, data, c.mode if c.mode is not None else n.mode)
        elif c.kind is Kind.DELETE:
            real = self.resolve(c.path, "remove")
            self.current(real, c.path, c.before, c.kind)
            self.set(real, Node("absent"))
            self.step(Step("unlink", real, i))
        elif c.kind is Kind.CHMOD:
            real = self.resolve(c.path, "read")
            n = self.current(real, c.path, c.before, c.kind)
            mode = c.mode if c.mode is not None else DEFAULT_FILE_MODE
            self.set(real, Node("file", n.data, mode))
            self.step(Step("chmod", real, i, mode=mode))
        elif c.kind is Kind.MOVE:
            src = self.resolve(c.source, "remove")
            n = self.current(src, c.source or "", c.before, c.kind)
            real = self.resolve(c.path, "new")
            self.absent(real, c.path)
            if c.git and not self.is_tracked(src, c.source or ""):
                raise ApplyError(f"{c.source}: is no longer tracked by git; plan again", c.source)
            if c.git and self.is_tracked(real, c.path):
                raise ApplyError(
                    f"{c.path}: is still in the git index (deleted, not committed?); plan again",
                    c.path,
                )
            self.parents(real, i, c.path)
            self.set(src, Node("absent"))
            self.set(real, Node("file", n.data, n.mode))
            if c.git:
                self.tracked[src], self.tracked[real] = False, True
                assert self.git is not None
                self.moves.append((self.git.full(src), self.git.full(real)))
            self.step(Step("gitmv" if c.git else "move", real, i, source=src))
        else:  # pragma: no cover - Kind is closed
            raise ApplyError(f"{c.path}: unknown change kind {c.kind!r}", c.path)

    def write(self, i: int, real: str, shown: str, data: bytes, mode: int) -> None:
        self.parents(real, i, shown)
        self.set(real, Node("file", data, mode))
        self.step(Step("write", real, i, mode=mode, data=data))

    def regenerate(self, real: str, c: Change) -> bytes:
        if c.regenerate != "uv-lock":
            raise ApplyError(f"{c.path}: unknown regenerate method {c.regenerate!r}", c.path)
        folder = real.rsplit("/", 1)[0] + "/" if "/" in real else ""
        files = {"uv.lock": self.node(real).data or b""}
        for name in ("pyproject.toml", ".python-version"):
            n = self.node(folder + name)
            if n.kind == "file":
                files[name] = n.data or b""
        if "pyproject.toml" not in files:
            raise ApplyError(
                f"{c.path}: cannot regenerate: no {folder}pyproject.toml next to it", c.path
            )
        return regenerate_uv_lock(c.path, files)

    # -- result --------------------------------------------------------------------------
    def finish(self) -> TxPlan:
        paths: dict[str, None] = {}
        for p in self.touched:
            for a in ancestors(p):
                paths[a] = None
            paths[p] = None
        pre: dict[str, Node] = {}
        for p in paths:
            pre[p] = self.initial[p] if p in self.initial else load(self.root, p)
            if pre[p].kind not in ("absent", "file", "dir"):
                raise ApplyError(f"{p}: is a {pre[p].kind}, not a file or folder; refusing", p)
        known = {p: set(self.known.get(p, set())) for p in paths if self.known.get(p)}
        git = None
        if self.moves:
            assert self.git is not None
            lock = self.git.index_lock
            if lock.exists():
                raise ApplyError(
                    f"{lock}: the git index is locked; another git command is running", str(lock)
                )
            try:
                index_bytes = self.git.index.read_bytes()
            except OSError as exc:
                raise ApplyError(f"{self.git.index}: cannot be read ({exc.strerror})") from None
            entries = self.entries if self.entries is not None else self.git.entries()
            table = dict(entries)
            moved = {p for m in self.moves for p in m}
            git = GitPart(
                repo=self.git,
                index_bytes=index_bytes,
                pre_digest=gitindex.digest(entries),
                digests=gitindex.predict(entries, self.moves),
                entries={p: (table[p].decode() if p in table else None) for p in sorted(moved)},
            )
        return TxPlan(self.steps, pre, known, git)


def prepare(root: Path, changes: list[Change]) -> TxPlan:
    """All checks of the transaction, in order; ApplyError (one line) on the first refusal."""
    sim = Simulator(root)
    for i, c in enumerate(changes):
        sim.add(i, c)
    return sim.finish()
