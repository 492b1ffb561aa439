"""The row of screens at the top: where you are, which phases are done; click to go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from ...service.state import RepoState


SCREENS = ("overview", *(f"phase-{n}" for n in range(1, 8)), "verify", "checklist", "history")
LABELS = {
    "overview": "Overview",
    "verify": "Verify",
    "checklist": "Checklist",
    "history": "Rollback",
}


def label(key: str) -> str:
    return LABELS.get(key) or f"Phase {key.removeprefix('phase-')}"


class NavBar(Static):
    """`Overview 1✓ 2• 3! … Verify Checklist Rollback`, the current screen highlighted."""

    def __init__(self, current: str) -> None:
        super().__init__(classes="navbar")
        self.current = current

    def show_state(self, state: RepoState | None) -> None:
        pending = set(state.pending_phases()) if state else set()
        held = set(state.held_phases()) if state else set()
        parts = []
        for key in SCREENS:
            name = LABELS.get(key) or key.removeprefix("phase-")
            if key.startswith("phase-") and state is not None:
                n = int(key.removeprefix("phase-"))  # • to apply, ! held back, ✓ done
                name += "•" if n in pending else "!" if n in held else "✓"
            style = "reverse bold" if key == self.current else ""
            parts.append(f"[{style} @click=app.goto('{key}')] {name} [/]")
        title = f"  [b]{Content(state.name).markup}[/b]" if state else ""
        self.update(Content.from_markup("".join(parts) + title))
