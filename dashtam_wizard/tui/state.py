"""What the screens show, read from the repo in one go (in a worker, never on the UI thread).

Everything comes from the engine: the plan (with the user's skip/include toggles), the
checklist from `status()`, the apply history. The TUI adds only the Overview's trees and
problem evidence, drawn from the same Tree the planner read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..apply import history
from ..core import changes as ch
from ..core.checklist import load_verify, status
from ..core.context import Options
from ..core.detect import Facts, detect
from ..core.model import Change, ChecklistItem, Plan
from ..core.planner import plan_tree
from ..core.snapshot import Tree, read_tree
from .problems import Problem, find


@dataclass
class RepoState:
    root: Path
    plan: Plan
    options: Options
    tree: Tree
    target: Tree
    facts: Facts
    problems: list[Problem]
    items: list[ChecklistItem]
    history: list[Any] = field(default_factory=list)  # apply.ApplyRecord, oldest first
    verify: dict | None = None  # the last `verify` results saved in the repo, if any

    @property
    def name(self) -> str:
        """The folder name only: the full path is noise (and differs between runs)."""
        return self.root.name

    def selected(self, phases: set[int] | None = None) -> list[Change]:
        return [c for c in self.plan.changes(phases) if self.options.selected(c)]

    def pending_phases(self) -> list[int]:
        return [p.number for p in self.plan.phases if self.selected({p.number})]

    def stage(self) -> str:
        """Where the repo stands: not started / phases done / migrated."""
        pending = self.pending_phases()
        if not pending:
            return "migrated ✅ — every phase is applied"
        done = [p.number for p in self.plan.phases if p.number < pending[0]]
        live = [r for r in self.history if r.status == "applied"]
        undone = " (earlier applies rolled back)" if self.history and not live else ""
        if not done:
            return f"not started — phase {pending[0]} is next{undone}"
        head = f"phase {done[0]} done" if len(done) == 1 else f"phases 1–{done[-1]} done"
        return f"{head} — phase {pending[0]} is next"


def load(root: Path, options: Options) -> RepoState:
    root = root.resolve()
    plan, items = status(root)  # the whole checklist, and the plan with every default
    tree = read_tree(root)
    if options != Options():  # the user switched changes: later phases see that
        plan = plan_tree(tree, str(root), root.name, options)
    facts = detect(tree, root.name)
    chosen = [c for c in plan.changes() if options.selected(c)]
    target = ch.apply_virtual(tree, chosen)
    return RepoState(
        root,
        plan,
        options,
        tree,
        target,
        facts,
        find(tree, facts),
        items,
        history(root),
        load_verify(root),
    )
