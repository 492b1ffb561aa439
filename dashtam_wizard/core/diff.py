"""Text previews of Changes: the same unified diff for the CLI, the TUI and the report."""

from __future__ import annotations

import difflib

from .model import Change, Kind
from .secrets import mask_env_text


def _text(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace").splitlines(keepends=True)


def _masked(change: Change, data: bytes | None, show: bool) -> bytes | None:
    """`data` (one side of `change`) masked; the other side is context: an anchored value a
    secret key aliases on either side stays masked on both (a rewrite may drop the alias)."""
    if data is None or not change.secret or show:
        return data
    context = b"".join(d for d in (change.before, change.after) if d is not None and d is not data)
    return mask_env_text(
        data.decode("utf-8", "replace"), context=context.decode("utf-8", "replace")
    ).encode()


def before_after(change: Change, show_secrets: bool = False) -> tuple[str, str]:
    """(old, new) text as a side-by-side view needs it, masked unless asked otherwise."""
    before = change.before if change.kind not in (Kind.CREATE, Kind.COPY) else None
    after = change.after
    if change.kind in (Kind.MOVE, Kind.CHMOD):
        after = change.before
    b = _masked(change, before, show_secrets) or b""
    a = _masked(change, after, show_secrets) or b""
    return b.decode("utf-8", "replace"), a.decode("utf-8", "replace")


def copy_size(change: Change) -> str:
    """`identical copy, 741 lines` (or bytes, for a binary file)."""
    data = change.after or b""
    if b"\0" in data[:8192]:
        return f"identical copy, {len(data)} bytes"
    n = len(data.splitlines())
    return f"identical copy, {n} line{'s' if n != 1 else ''}"


def unified(change: Change, show_secrets: bool = False) -> str:
    k = change.kind
    if k is Kind.MKDIR:
        return f"+ {change.path}/\n"
    if k is Kind.CHMOD:
        return f"mode {change.path}: → {change.mode:o}\n" if change.mode is not None else ""
    if k is Kind.MOVE:
        return f"rename from {change.source}\nrename to {change.path}\n"
    if change.regenerate:
        return f"--- a/{change.path}\n+++ b/{change.path}\n@@ regenerated at apply time by `uv lock` @@\n"
    if k is Kind.COPY:  # the same bytes as its source: a 741-line "+" diff would hide the rest
        return f"copy from {change.source}\ncopy to {change.path}\n{copy_size(change)}\n"
    old = [] if k is Kind.CREATE else _text(_masked(change, change.before, show_secrets))
    new = [] if k is Kind.DELETE else _text(_masked(change, change.after, show_secrets))
    if old is None or new is None:
        return f"Binary file {change.path} {'deleted' if k is Kind.DELETE else 'changed'}\n"
    a = "/dev/null" if k is Kind.CREATE else f"a/{change.path}"
    b = "/dev/null" if k is Kind.DELETE else f"b/{change.path}"
    lines = difflib.unified_diff(old, new, a, b, n=3)
    return "".join(
        str(line) if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
        for line in lines
    )
