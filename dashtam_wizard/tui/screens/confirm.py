"""A yes/no question listing exactly what will happen (apply, rollback)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("escape,n", "answer(False)", "No"),
    ]

    def __init__(self, title: str, lines: list[str], ok: str, danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.ok = ok
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(
                Content.from_markup(f"[b]{Content(self.title_text).markup}[/b]"), id="confirm-title"
            )
            with VerticalScroll(id="confirm-list"):
                yield Static(Content("\n".join(self.lines)))
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    f"{self.ok} (y)", id="yes", variant="error" if self.danger else "primary"
                )
                yield Button("Cancel (n)", id="no")
            enter = "Cancel" if self.danger else self.ok
            yield Static(
                Content.from_markup(
                    f"[dim]enter: {Content(enter).markup} · y: {Content(self.ok).markup} · "
                    "n or esc: Cancel[/]"
                ),
                id="confirm-hint",
            )

    def on_mount(self) -> None:
        # what cannot be redone (a rollback) takes a deliberate y: enter cancels it
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
