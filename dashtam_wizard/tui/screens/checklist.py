"""The plan's whole Migration Checklist, ticked from evidence (`status()`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import ComposeResult, SystemCommand
from textual.containers import Vertical
from textual.widgets import Static

from ...service.state import with_ticks
from ..widgets.checklist_list import ChecklistList
from .base import WizardScreen

if TYPE_CHECKING:
    from ...service.state import RepoState


class ChecklistScreen(WizardScreen):
    key = "checklist"

    def body(self) -> ComposeResult:
        with Vertical(id="checklist-body"):
            yield Static("Migration Checklist", id="checklist-title")
            yield ChecklistList(sections=True, id="checklist")

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Tick this item",
            "Tick or untick the highlighted item only a person can judge (space)",
            self.query_one(ChecklistList).action_toggle,
        )

    def show_state(self, state: RepoState | None) -> None:
        if state is None:
            return
        manual = self.wizard.manual
        done = sum(1 for i in with_ticks(state.items, manual) if i.done)
        self.query_one("#checklist-title", Static).update(
            f"[b]Migration Checklist[/b]  {done}/{len(state.items)} done  "
            "[dim]✅ done · ⬜ not yet · ❔ needs verify or a person · space ticks manual items[/]"
        )
        self.query_one(ChecklistList).show_items(state.items, manual)
