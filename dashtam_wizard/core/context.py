"""What every phase gets: the repo as first read, what was detected, and the user's options."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import Change, Plan

if TYPE_CHECKING:  # Options alone is all a plan-cache hit needs: keep detection unloaded
    from .detect import Facts
    from .snapshot import Tree


@dataclass(frozen=True)
class Conversion:
    """What a converter (`migrate-to-uv`) made of a Poetry/Pipenv/pip-tools/requirements
    project, run by convert.py in a scratch copy. The core cannot run it (no subprocess
    here), so the result comes in as an option, and phase 1 proposes it as changes that are
    reviewed, gated and applied like any other. Bound to the files it read: `inputs`."""

    tool: str  # "migrate-to-uv 0.12.0", as the plan names it
    inputs: str  # input_digest() of the files the converter read
    files: tuple[tuple[str, bytes | None], ...]  # what it wrote: path -> content (None: deleted)

    @property
    def key(self) -> str:
        h = hashlib.sha256(f"{self.tool}\0{self.inputs}".encode())
        for path, data in self.files:
            h.update(f"\0{path}\0{-1 if data is None else len(data)}\0".encode())
            h.update(data or b"")
        return h.hexdigest()


def input_digest(files: Mapping[str, bytes]) -> str:
    """Of the package-manager files a conversion reads (see p1_backup.conversion_inputs)."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(f"{path}\0{len(files[path])}\0".encode())
        h.update(files[path])
    return h.hexdigest()


@dataclass(frozen=True)
class Options:
    uid: int = 1000
    gid: int = 1000
    skip: frozenset[str] = frozenset()  # change ids the user switched off
    include: frozenset[str] = frozenset()  # off-by-default change ids the user switched on
    conversion: Conversion | None = None  # `--convert`: migrate-to-uv's result, for phase 1

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
