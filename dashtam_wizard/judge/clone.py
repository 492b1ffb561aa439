"""The trees a fresh clone would hold before and after: what CI and a colleague get.

Apart because it asks git, not Compose (which written files the planned .gitignore
ignores), and only the gate for a plan (check.py) builds it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..core.snapshot import Tree


def clone_view(before: Tree, after: Tree) -> tuple[Tree, Tree] | None:
    """(before, after) as a fresh clone would hold them: tracked files only before; after, the
    tracked ones plus every file the plan writes that the planned .gitignore does not ignore
    (the user commits the migration). None outside git, or when a clone would hold the same."""
    if not before.is_git:
        return None
    untracked = {p for p in before.files if p not in before.tracked}
    b = before.copy()
    for p in untracked:
        del b.files[p]
    written = [
        p
        for p, e in after.files.items()
        if p not in after.tracked and not (p in untracked and before.files[p].data == e.data)
    ]
    ignored = _ignored(after, written) | {
        p for p in after.files if p not in after.tracked and p not in written
    }
    if not untracked and not ignored:
        return None  # a clone holds what the working trees hold: nothing more to judge
    a = after.copy()
    for p in ignored:
        a.files.pop(p, None)
    return b, a


def _ignored(tree: Tree, paths: list[str]) -> set[str]:
    """Which of `paths` the tree's .gitignore files ignore, as git itself decides."""
    if not paths:
        return set()
    scratch = Path(tempfile.mkdtemp(prefix="dashtam-wizard-ignore-"))
    try:
        subprocess.run(
            ["git", "init", "-q", str(scratch)], check=True, capture_output=True, timeout=30
        )
        for rel, e in tree.files.items():
            if rel == ".gitignore" or rel.endswith("/.gitignore"):
                (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
                (scratch / rel).write_bytes(e.data)
        out = subprocess.run(
            ["git", "-C", str(scratch), "check-ignore", "--no-index", "-z", "--stdin"],
            input="\0".join(paths).encode() + b"\0",
            capture_output=True,
            timeout=30,
        )
        return {p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p}
    except (OSError, subprocess.SubprocessError):
        return set()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
