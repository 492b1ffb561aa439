"""Rollback: the applies recorded in this repo, and undoing them byte for byte."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label, Static

from ..messages import RollbackAsked
from .base import WizardScreen


def when(iso: str, now: datetime | None = None) -> str:
    """`14:02 (5 min ago)` in local time; older ones with their date. The raw value if odd."""
    try:
        t = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    now = (now or datetime.now(t.tzinfo)).astimezone()
    secs = int((now - t).total_seconds())
    ago = (
        "just now"
        if secs < 60
        else f"{secs // 60} min ago"
        if secs < 3600
        else f"{secs // 3600} h ago"
        if secs < 86400
        else f"{secs // 86400} d ago"
    )
    stamp = t.strftime("%H:%M") if t.date() == now.date() else t.strftime("%Y-%m-%d %H:%M")
    return f"{stamp} ({ago})" if secs >= 0 else stamp


if TYPE_CHECKING:
    from ...service.state import RepoState


class HistoryScreen(WizardScreen):
    key = "history"
    BINDINGS = [Binding("enter", "rollback_to", "Roll back to here", show=True)]

    def body(self) -> ComposeResult:
        with Vertical(id="history-body"):
            yield Static(
                "[b]Applies recorded in this repo[/b] [dim](newest first)[/]", id="history-title"
            )
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
            yield Static("", id="history-empty")
            with Horizontal(id="history-buttons"):
                # "Roll back" said once: three full labels cut the last one at 80 columns
                yield Label("Roll back:", id="history-buttons-label")
                yield Button("latest (ctrl+z)", id="rollback-latest", variant="warning")
                yield Button("to selected (enter)", id="rollback-to")
                yield Button("everything", id="rollback-all", variant="error")
            yield Static("", id="rollback-result")

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Roll back to the selected apply",
            "Undo the selected apply and every later one (enter)",
            self.action_rollback_to,
        )
        yield SystemCommand(
            "Roll back everything",
            "Undo every apply recorded in this repo",
            lambda: self.post_message(RollbackAsked(everything=True)),
        )

    def on_mount(self) -> None:
        # Textual then calls WizardScreen.on_mount itself (handlers run down the MRO), which
        # draws the rows: calling it here too would watch and draw everything twice.
        table = self.query_one(DataTable)
        table.add_columns("Apply id", "When", "Phases", "Changes", "Status")

    def show_state(self, state: RepoState | None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        records = list(reversed(state.history)) if state else []
        for r in records:
            table.add_row(
                r.id,
                when(r.created),
                r.what(", "),
                str(len(r.change_ids)),
                r.status,
                key=r.id,
            )
        empty = self.query_one("#history-empty", Static)
        empty.display = not records
        empty.update("No applies recorded yet: apply a phase (a) and it shows up here.")
        live = [r for r in records if r.status == "applied"]
        for bid in ("#rollback-latest", "#rollback-to", "#rollback-all"):
            self.query_one(bid, Button).disabled = not live
        self.query_one("#rollback-result", Static).update(self.wizard.last_rollback or "")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rollback-latest":
            self.post_message(RollbackAsked())
        elif event.button.id == "rollback-all":
            self.post_message(RollbackAsked(everything=True))
        else:
            self.action_rollback_to()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(RollbackAsked(to=str(event.row_key.value)))

    def action_rollback_to(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        self.post_message(RollbackAsked(to=str(row.value)))
