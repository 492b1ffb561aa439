"""What every phase gets: the repo as first read, what was detected, and the user's options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import Change, Plan

if TYPE_CHECKING:  # Options alone is all a plan-cache hit needs: keep detection unloaded
    from .detect import Facts
    from .snapshot import Tree


@dataclass(frozen=True)
class Options:
    uid: int = 1000
    gid: int = 1000
    skip: frozenset[str] = frozenset()  # change ids the user switched off
    include: frozenset[str] = frozenset()  # off-by-default change ids the user switched on

    def selected(self, change: Change) -> bool:
        return change.id in self.include or (change.default and change.id not in self.skip)


@dataclass
class Ctx:
    root_name: str
    original: Tree
    facts: Facts
    options: Options = field(default_factory=Options)
    moved: dict[str, str] = field(default_factory=dict)  # old path -> new path, filled by phase 2
    # env files phase 2 makes as copies of a committed .env: committed too (phase 6), or a
    # fresh clone would lack what the repo shared
    shared_env: set[str] = field(default_factory=set)
    root: str = ""  # the repo's absolute folder, as a Makefile may spell it

    def new_path(self, old: str) -> str:
        return self.moved.get(old, old)


@dataclass(frozen=True)
class Baseline:
    """The repo as it was before the wizard's first apply, rebuilt from the apply journal by
    the apply layer, and the ids of the changes applied since.

    Phases planned on the current tree would see half-migrated files (a compose file moved by
    phase 2 whose paths phase 4 has not rebased yet) and plan differently from one apply of
    everything: the plan is made from here instead, so phase by phase ends where all at once does.
    """

    tree: Tree
    done: frozenset[str]
    digest: str  # of the apply records it was rebuilt from (for the plan cache key)


def chosen(plan: Plan, options: Options, phases: set[int] | None = None) -> list[Change]:
    """What applying `phases` (None: all) writes, with `--skip`/`--include` (the TUI's space)
    taken into account: the one rule `apply`, the TUI's dialog and the gate share."""
    return [c for c in plan.changes(phases) if options.selected(c)]
