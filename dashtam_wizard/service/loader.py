"""Read and plan the repo into a RepoState: the engine's whole weight, kept out of the UI.

Runs in the backend process (`backend.py`) and, only if that process is unavailable, in a
worker thread of the app. Importing this module loads the planner and its libraries
(ruamel.yaml, tomlkit, jinja2, packaging, ...): the UI process should never need to.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..apply import history, trust
from ..apply.fsio import write_atomic
from ..apply.state import State
from ..apply.trust import seal
from ..core import changes as ch
from ..core.checklist import load_manual, load_verify, status
from ..core.context import Options
from ..core.detect import Facts, detect
from ..core.snapshot import Tree, read_tree
from ..core.statedir import MANUAL_FILE
from ..plancache import plan_for
from .problems import find
from .state import Problem, Record, RepoState


def load(root: Path, options: Options, tree: Tree | None = None) -> RepoState:
    """Everything the screens show, for `options`; `tree` if the caller read it already."""
    root = root.resolve()
    tree = read_tree(root) if tree is None else tree
    defaults = plan_for(tree, root)  # the checklist is the plan's with every default
    plan = defaults if options == Options() else plan_for(tree, root, options)
    _, items = status(root, tree, defaults)
    facts = detect(tree, root.name)
    chosen = [c for c in plan.changes() if options.selected(c)]
    target = ch.apply_virtual(tree, chosen)
    # a state folder not made here is never read (the start-up notice says why)
    records = [
        Record(r.id, r.created, list(r.phases), list(r.change_ids), r.status)
        for r in (history(root) if trust.problem(root) is None else [])
    ]
    return RepoState(
        root,
        plan,
        options,
        tree,
        target,
        facts,
        _problems(root, tree, facts, records),
        items,
        records,
        load_verify(root, tree),
        load_manual(root),
    )


def _problems(root: Path, tree: Tree, facts: Facts, records: list[Record]) -> list[Problem]:
    """The plan's problems the repo has now; one it no longer has is `fixed` only if the
    repo had it before the wizard's first apply (a problem it never had was not fixed)."""
    now = find(tree, facts)
    if not any(r.status == "applied" for r in records) or all(p.present for p in now):
        return now
    from ..apply.baseline import load_baseline

    baseline = load_baseline(root, tree)
    if baseline is None:
        return now
    before = {p.title for p in find(baseline.tree, detect(baseline.tree, root.name)) if p.present}
    return [p if p.present else replace(p, fixed=p.title in before) for p in now]


def save_manual(root: Path, ticks: dict[str, bool]) -> None:
    """Write the person's checklist ticks to the state dir (0700, git-ignored), atomically."""
    state = State(root.resolve())
    if state.exists():
        state.require_trusted()
    state.ensure()
    data = seal({"ticked": {text: True for text, ticked in sorted(ticks.items()) if ticked}})
    write_atomic(
        state.path / MANUAL_FILE, json.dumps(data, indent=2).encode() + b"\n", 0o600, points=False
    )
