"""Constructors for Changes, and the virtual apply that lets later phases see earlier ones."""

from __future__ import annotations

from .model import Change, Kind
from .snapshot import Entry, Tree


def cid(phase: int, kind: Kind, path: str) -> str:
    """Stable id: the same change gets the same id on every plan, so skips persist."""
    return f"p{phase}:{kind.value}:{path}"


def keep_line_endings(old: bytes, new: bytes) -> bytes:
    """A file written with CRLF line endings stays CRLF: the lines a phase adds or rewrites
    (a YAML dump, an appended block) come in LF, and a file must not end up with both."""
    n = old.count(b"\n")
    if n == 0 or old.count(b"\r\n") != n or b"\0" in old[:8192]:
        return new
    return new.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def mkdir(phase: int, tree: Tree, path: str, summary: str = "", why: str = "") -> Change | None:
    if tree.exists(path):
        return None
    return Change(
        cid(phase, Kind.MKDIR, path),
        phase,
        Kind.MKDIR,
        path,
        summary=summary or f"create {path}/",
        why=why,
    )


def move(
    phase: int,
    tree: Tree,
    src: str,
    dst: str,
    summary: str = "",
    why: str = "",
    secret: bool = False,
) -> Change:
    e = tree.files[src]
    return Change(
        cid(phase, Kind.MOVE, dst),
        phase,
        Kind.MOVE,
        dst,
        source=src,
        before=e.data,
        mode=e.mode,
        summary=summary or f"move {src} → {dst}",
        why=why,
        secret=secret,
        git=src in tree.tracked,
    )


def copy(
    phase: int,
    tree: Tree,
    src: str,
    dst: str,
    summary: str = "",
    why: str = "",
    secret: bool = False,
) -> Change:
    e = tree.files[src]
    return Change(
        cid(phase, Kind.COPY, dst),
        phase,
        Kind.COPY,
        dst,
        source=src,
        after=e.data,
        mode=e.mode,
        summary=summary or f"copy {src} → {dst}",
        why=why,
        secret=secret,
    )


def write(
    phase: int,
    tree: Tree,
    path: str,
    text: str | bytes,
    summary: str = "",
    why: str = "",
    mode: int | None = None,
    secret: bool = False,
    default: bool = True,
) -> Change | None:
    """A create or edit of `path`, or None when the file already holds exactly that."""
    data = text.encode() if isinstance(text, str) else text
    old = tree.files.get(path)
    if old is not None:
        data = keep_line_endings(old.data, data)
    if old is not None and old.data == data and (mode is None or old.mode == mode):
        return None
    if old is None:
        return Change(
            cid(phase, Kind.CREATE, path),
            phase,
            Kind.CREATE,
            path,
            after=data,
            mode=mode or 0o644,
            summary=summary or f"create {path}",
            why=why,
            secret=secret,
            default=default,
        )
    if old.data == data:
        return chmod(phase, tree, path, mode or old.mode, summary, why)
    return Change(
        cid(phase, Kind.EDIT, path),
        phase,
        Kind.EDIT,
        path,
        before=old.data,
        after=data,
        mode=mode if mode is not None else old.mode,
        summary=summary or f"edit {path}",
        why=why,
        secret=secret,
        default=default,
    )


def chmod(
    phase: int, tree: Tree, path: str, mode: int, summary: str = "", why: str = ""
) -> Change | None:
    old = tree.files.get(path)
    if old is None or old.mode == mode:
        return None
    return Change(
        cid(phase, Kind.CHMOD, path),
        phase,
        Kind.CHMOD,
        path,
        before=old.data,
        mode=mode,
        summary=summary or f"chmod {mode:o} {path}",
        why=why,
    )


def delete(
    phase: int, tree: Tree, path: str, summary: str = "", why: str = "", secret: bool = False
) -> Change:
    return Change(
        cid(phase, Kind.DELETE, path),
        phase,
        Kind.DELETE,
        path,
        before=tree.files[path].data,
        summary=summary or f"delete {path}",
        why=why,
        secret=secret,
    )


def apply_virtual(tree: Tree, changes: list[Change]) -> Tree:
    out = tree.copy()
    for c in changes:
        if c.kind is Kind.MKDIR:
            out.dirs.add(c.path)
        elif c.kind is Kind.MOVE:
            assert c.source is not None
            out.files[c.path] = out.files.pop(c.source)
            if c.source in out.tracked:
                out.tracked.discard(c.source)
                out.tracked.add(c.path)
        elif c.kind in (Kind.COPY, Kind.CREATE, Kind.EDIT):
            prev = out.files.get(c.path)
            data = c.after if c.after is not None else (prev.data if prev else b"")
            out.files[c.path] = Entry(
                data, c.mode if c.mode is not None else (prev.mode if prev else 0o644)
            )
        elif c.kind is Kind.DELETE:
            out.files.pop(c.path, None)
            out.tracked.discard(c.path)
        elif c.kind is Kind.CHMOD:
            out.files[c.path] = Entry(out.files[c.path].data, c.mode or 0o644)
        parent = c.path.rsplit("/", 1)[0] if "/" in c.path else ""
        while parent:
            out.dirs.add(parent)
            parent = parent.rsplit("/", 1)[0] if "/" in parent else ""
    return out
