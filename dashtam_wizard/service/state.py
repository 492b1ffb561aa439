"""What the screens show, read from the repo in one go (never on the UI thread).

Everything comes from the engine: the plan (with the user's skip/include toggles), the
checklist from `status()`, the apply history. The TUI adds only the Overview's trees and
problem evidence, drawn from the same Tree the planner read.

This module is deliberately light (dataclasses and the engine's model only): the state is
computed in the backend process (`ops.load`, `loader.load`) and unpickled here, so the
UI process never imports the planner and its libraries just to show a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..core.context import Options, chosen
from ..core.model import Change, ChecklistItem, Plan

if TYPE_CHECKING:
    from ..core.detect import Facts
    from ..core.snapshot import Tree


def with_ticks(items: list[ChecklistItem], manual: dict[str, bool]) -> list[ChecklistItem]:
    """The checklist as every front end shows it: an item only a person can judge is done
    when they ticked it (in the wizard), with that as its evidence. Said once, here."""
    from dataclasses import replace

    from ..core.model import Evidence

    return [
        replace(i, done=True, evidence=Evidence("ticked by you in the wizard"))
        if i.manual and manual.get(i.text)
        else i
        for i in items
    ]


@dataclass(frozen=True)
class Problem:
    icon: str  # 🔴 or 🟡, as the plan ranks it
    title: str  # the plan's wording
    evidence: list[str]  # "path:line — what"; empty when the repo no longer has the problem
    fixed: bool = False  # absent now, present before the wizard's first apply: "fixed" is true

    @property
    def present(self) -> bool:
        return bool(self.evidence)


@dataclass(frozen=True)
class Record:
    """One recorded apply, as the screens and the report show it.

    A copy of `apply.ApplyRecord`'s fields: unpickling that class would import the whole
    apply engine into the UI process.
    """

    id: str
    created: str
    phases: list[int]
    change_ids: list[str]
    status: Literal["applied", "rolled-back", "incomplete"]

    def what(self, sep: str = ",") -> str:
        from ..core.model import applied_label

        return applied_label(self.phases, sep)


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
    history: list[Record] = field(default_factory=list)  # oldest first
    verify: dict[str, Any] | None = None  # the last `verify` results saved in the repo, if any
    manual: dict[str, bool] = field(default_factory=dict)  # ticks saved in the state dir
    # the repo's `core.snapshot.fingerprint` just before `tree` was read: a change made after
    # the read, even before the TUI's first look, is then noticed ("" where unknown)
    seen: str = ""
    # the state cache's key of what it was computed from (the files, the records, the code):
    # equal keys, the same state, whatever a `git status` did to .git/index (None: unknown)
    source: str | None = None

    @property
    def name(self) -> str:
        """The folder name only: the full path is noise (and differs between runs)."""
        return self.root.name

    def selected(self, phases: set[int] | None = None) -> list[Change]:
        return chosen(self.plan, self.options, phases)  # the rule `apply` uses

    def pending_phases(self) -> list[int]:
        return [p.number for p in self.plan.phases if self.selected({p.number})]

    def held_phases(self) -> list[int]:
        """Phases whose aim the repo will not reach as planned (phase 1 without a conversion,
        phase 3 when the template cannot replace the Dockerfile), whatever else they change."""
        return [p.number for p in self.plan.phases if p.held]

    def stage(self) -> str:
        """Where the repo stands: not started / phases done / migrated; a phase that is held
        back (it changes nothing, though the repo is not as the plan wants) is never "done"."""
        pending = self.pending_phases()
        held = self.held_phases()
        if not pending and held:  # not "migrated ✅": part of the plan is not done
            return f"migrated except {_phases(held)} — held back, {_its(held)} screen says why"
        if not pending:
            return "migrated ✅ — every phase is applied"
        done = [p.number for p in self.plan.phases if p.number < pending[0] and not p.held]
        held = [n for n in held if n < pending[0]]
        tail = f"; {_phases(held)} held back" if held else ""
        live = [r for r in self.history if r.status == "applied"]
        undone = " (earlier applies rolled back)" if self.history and not live else ""
        if not done:
            return f"not started — phase {pending[0]} is next{undone}{tail}"
        return f"{_phases(done)} done — phase {pending[0]} is next{tail}"


def _phases(numbers: list[int]) -> str:
    """ "phase 3", "phases 1–4" (a run), "phases 1, 3"."""
    if len(numbers) == 1:
        return f"phase {numbers[0]}"
    run = numbers == list(range(numbers[0], numbers[-1] + 1))
    return f"phases {numbers[0]}–{numbers[-1]}" if run else f"phases {', '.join(map(str, numbers))}"


def _its(numbers: list[int]) -> str:
    return "its" if len(numbers) == 1 else "their"


def load(root: Path, options: Options) -> RepoState:
    """Read and plan the repo in this process (what the backend process does for the app)."""
    from .loader import load as load_here

    return load_here(root, options)
