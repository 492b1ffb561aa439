"""The gate for a plan, as every front end asks it: the baseline against the tree the
chosen changes would leave, judged and attributed; refused before apply when it differs.

Apart because this is where the judgement meets the repo on disk: the journal's baseline,
the files the compose files name outside the snapshot, and the own model's verdicts
cached by the plan's key.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..core.context import Options, chosen
from ..core.gate import Verdict, attribute
from ..core.model import Plan
from ..core.snapshot import Entry, Tree
from .clone import clone_view
from .verdict import judge


def check_plan(root: Path, tree: Tree, plan: Plan, options: Options, own: bool = False) -> Verdict:
    """The gate for `plan` as chosen by `options`: the baseline (before the first apply, from
    the journal) against the tree every chosen change of every phase would leave; `own`:
    judged by the wizard's own model, not the real Compose."""
    from ..apply.baseline import load_baseline
    from ..core.changes import apply_virtual

    baseline = load_baseline(root, tree)
    before = (baseline.tree if baseline is not None else tree).copy()
    extras = _referenced(root, before)  # read where they are: the plan never moves them
    key = (
        _own_key(root, tree, options, baseline.digest if baseline else "", extras) if own else None
    )
    if key is not None and isinstance(hit := _own_cache(key), Verdict):
        return hit  # the own model's answer for exactly these bytes (a repeat look)
    picked = chosen(plan, options)
    after = apply_virtual(tree, picked)
    for path, entry in extras:
        for t in (before, after):
            t.files.setdefault(path, entry)
    verdict = judge(before, after, root.name, clone_view(before, after), str(root), own)
    attribute(verdict, before, after, root.name, str(root), picked)
    if key is not None:
        _own_cache(key, verdict)
    return verdict


def _own_key(
    root: Path, tree: Tree, options: Options, history: str, extras: list[tuple[str, Entry]]
) -> str | None:
    """What the own model's verdict depends on: the plan's inputs (its cache key, which
    covers core/), the files read from outside the snapshot, and the judge's modules."""
    from ..plancache import enabled, plan_key

    if not enabled():
        return None
    h = hashlib.sha256(plan_key(tree, str(root), root.name, options, history).encode())
    for path, entry in extras:
        h.update(f"\0{path}\0{len(entry.data)}\0".encode() + entry.data)
    for module in sorted(Path(__file__).parent.glob("*.py")):  # the judge's code, all of it
        st = os.stat(module)
        h.update(f"{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _own_cache(key: str, verdict: Verdict | None = None) -> object | None:
    """Read (or, given `verdict`, write) the own model's verdict for `key`; owner-only like
    every cache entry (differences quote values, masked or not)."""
    from ..plancache import cache_dir, read_entry, write_entry

    if verdict is None:
        return read_entry(cache_dir().parent / "gate-own", key)
    write_entry(cache_dir().parent / "gate-own", key, verdict, 64)
    return None


_TOKEN = re.compile(r"[\w.~-]*/[\w./-]+")  # a path with a folder in it


def _referenced(root: Path, tree: Tree) -> list[tuple[str, Entry]]:
    """Files the compose files and commands name in folders the snapshot does not read
    (`env_file: ./config/.env`, a secret's file): without them in the scratch trees Compose
    would fail on both sides and the call would go unjudged."""
    texts = [
        (p, tree.text(p) or "")
        for p in tree.files
        if p.endswith((".yml", ".yaml", ".mk")) or p.startswith("Makefile") or p.endswith(".sh")
    ]
    out: dict[str, Entry] = {}
    for path, text in texts:
        base = path.rsplit("/", 1)[0] if "/" in path else ""
        for token in set(_TOKEN.findall(text)):
            for rel in {os.path.normpath(os.path.join(base, token)), os.path.normpath(token)}:
                if (
                    rel in tree.files
                    or rel in out
                    or rel.startswith((".", "/"))
                    or rel.split("/")[0] == ".git"
                ):
                    continue
                full = root / rel
                try:
                    if full.is_file() and not full.is_symlink() and full.stat().st_size <= 1 << 20:
                        out[rel] = Entry(full.read_bytes(), full.stat().st_mode & 0o777)
                except OSError:
                    continue
    return sorted(out.items())


def require_equivalent(root: Path, plan: Plan, options: Options) -> list[str]:
    """Behaviour preserved or refused, for every front end: raises BadInput (one line naming
    the first difference, nothing written) when the planned tree would make any Compose call
    of the repo resolve differently beyond the allowed list; returns the calls not judged."""
    from ..core.errors import BadInput
    from ..core.snapshot import read_tree

    verdict = check_plan(root, read_tree(root), plan, options)
    if verdict.differences:
        first = verdict.differences[0]
        where, _, line = first.where.rpartition(":")
        more = len(verdict.differences) - 1
        raise BadInput(
            where or first.where,
            f"{first.line().split(': ', 1)[1]}; nothing was applied"
            + (f" ({more} more: `dashtam-wizard plan --with-compose`)" if more else ""),
            int(line) if line.isdigit() else None,
        )
    return verdict.unjudged
