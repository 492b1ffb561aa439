"""What every phase gets: the repo as first read, what was detected, and the user's options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import Change

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

    def new_path(self, old: str) -> str:
        return self.moved.get(old, old)
