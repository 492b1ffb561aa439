"""A phase's notes; "plan fix" notes (where the plan is wrong) stand out."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...core.model import Note

LABEL = {"plan": "Plan fix", "warn": "Warning", "info": "Note"}


class Notes(VerticalScroll, can_focus=False):
    def show_notes(self, notes: list[Note]) -> None:
        self.remove_children()
        self.display = bool(notes)
        order = {"warn": 0, "plan": 1, "info": 2}
        self.mount_all(
            Static(
                Content.from_markup(
                    f"[b]{LABEL.get(n.level, 'Note')}:[/b] {Content(n.text).markup}"
                ),
                classes=f"note -{n.level}",
            )
            for n in sorted(notes, key=lambda n: order.get(n.level, 3))
        )
