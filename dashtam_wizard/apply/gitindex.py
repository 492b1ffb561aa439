"""The git side of a transaction: `git mv`, and saving/restoring the index.

Rollback restores the saved `.git/index` byte for byte only when the index still holds what
the transaction left there (compared on `git ls-files -s`, so a mere `git status` stat
refresh does not count as a change). If the user staged or committed since, their index is
kept (and copied aside) and only the entries of the moved paths are put back.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from .records import ApplyError

_STRIP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX")


def _env(index_file: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIP}
    env["GIT_OPTIONAL_LOCKS"] = "0"
    if index_file is not None:
        env["GIT_INDEX_FILE"] = str(index_file)
    return env


def git(root: Path, *args: str, index_file: Path | None = None, data: bytes | None = None) -> bytes:
    """Run git in `root`; ApplyError (one line, git's last message) when it fails."""
    try:
        res = subprocess.run(
            ["git", *args],
            cwd=root,
            input=data,
            capture_output=True,
            env=_env(index_file),
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ApplyError(f"git {args[0]}: cannot run git ({exc})") from None
    if res.returncode != 0:
        lines = [ln for ln in res.stderr.decode(errors="replace").splitlines() if ln.strip()]
        raise ApplyError(
            f"git {' '.join(args[:1])}: {lines[-1] if lines else f'exit {res.returncode}'}"
        )
    return res.stdout


def git_dir(root: Path) -> Path | None:
    """The git folder of the work tree `root` is in (a monorepo's service folder: its
    parent's), as git finds it: the nearest `.git` folder, or a `.git` file's `gitdir:`."""
    for folder in (root, *root.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            try:
                text = dot.read_text(errors="replace")
            except OSError:
                return None
            if text.startswith("gitdir:"):
                return (folder / text.split(":", 1)[1].strip()).resolve()
            return None
    return None


class GitRepo:
    """Paths of the index and of `root` inside the work tree (root may be a subfolder)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        out = git(root, "rev-parse", "--show-prefix", "--git-path", "index", "--show-toplevel")
        prefix, index, top = out.decode().split("\n")[:3]
        self.prefix = prefix
        self.index = (root / index).resolve() if not os.path.isabs(index) else Path(index)
        self.top = Path(top)

    @property
    def index_lock(self) -> Path:
        return self.index.with_name(self.index.name + ".lock")

    def full(self, rel: str) -> str:
        return self.prefix + rel

    def entries(self, index_file: Path | None = None) -> list[tuple[str, bytes]]:
        """(full path, `mode sha stage`) for every index entry, in index order."""
        out = git(self.top, "ls-files", "-s", "-z", index_file=index_file)
        rows = []
        for rec in out.split(b"\0"):
            if rec:
                meta, _, path = rec.partition(b"\t")
                rows.append((path.decode("utf-8", "surrogateescape"), meta))
        return rows

    def mv(self, src: str, dst: str) -> None:
        git(self.root, "mv", "--", src, dst)


def digest(entries: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for path, meta in entries:
        h.update(meta + b"\t" + path.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def predict(entries: list[tuple[str, bytes]], moves: list[tuple[str, str]]) -> list[str]:
    """Digest of the index after each `git mv` (full paths), so recovery recognises an index
    that a move left behind even when the crash came before the journal said so."""
    table = dict(entries)
    out = []
    for src, dst in moves:
        if src in table:
            table[dst] = table.pop(src)
        out.append(
            digest(sorted(table.items(), key=lambda kv: kv[0].encode("utf-8", "surrogateescape")))
        )
    return out


def set_entries(repo: GitRepo, wanted: dict[str, bytes | None]) -> None:
    """Make the index entries of these full paths what `wanted` says (None = no entry)."""
    gone = [p for p, meta in wanted.items() if meta is None]
    if gone:
        git(
            repo.top,
            "update-index",
            "--force-remove",
            "-z",
            "--stdin",
            data=b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in gone),
        )
    info = b"".join(
        meta + b"\t" + p.encode("utf-8", "surrogateescape") + b"\0"
        for p, meta in wanted.items()
        if meta is not None
    )
    if info:
        git(repo.top, "update-index", "-z", "--index-info", data=info)
