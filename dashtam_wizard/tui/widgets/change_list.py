"""A phase's changes, each switchable on/off with space (or a click)."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...core.context import Options
from ...core.model import Change, Kind
from .hanging import Hanging

KIND_STYLE = {
    Kind.DELETE: "$text-error",
    Kind.CREATE: "$text-success",
    Kind.COPY: "$text-success",
    Kind.MOVE: "$text-accent",
    Kind.EDIT: "$text-warning",
    Kind.MKDIR: "$text-primary",
    Kind.CHMOD: "$text-primary",
}


def _kind(change: Change) -> str:
    return f"[{KIND_STYLE[change.kind]}]{change.kind.value:<6}[/]"


def applied_prompt(change: Change) -> Hanging:
    return Hanging(
        Content.from_markup(f"[b $text-success]✓[/] {_kind(change)} "), Content(change.summary)
    )


def prompt(change: Change, selected: bool) -> Hanging:
    box = "[b $text-success]☑[/]" if selected else "[b $text-error]☐[/]"
    summary = Content(change.summary).markup
    if not change.default:  # one word on it, not "(review) (off by default — review) skipped"
        flag = (
            "  [dim i]included (off by default)[/]"
            if selected
            else "  [dim i]off by default: review, space includes it[/]"
        )
    else:
        flag = "" if selected else "  [dim]skipped[/]"
    return Hanging(
        Content.from_markup(f"{box} {_kind(change)} "), Content.from_markup(summary + flag)
    )


class ChangeList(OptionList):
    BINDINGS = [Binding("space", "toggle", "Include/skip")]

    class Toggled(Message):
        """The user switched `change` on (`selected`) or off; shown at once, the app
        records it and re-plans (which redraws the list)."""

        def __init__(self, change_list: ChangeList, change: Change, selected: bool) -> None:
            super().__init__()
            self.change_list = change_list
            self.change = change
            self.selected = selected

        @property
        def control(self) -> ChangeList:
            return self.change_list

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.changes: list[Change] = []
        self.applied = False  # showing what an earlier apply did: read-only
        self.selected: dict[str, bool] = {}  # as shown: a toggle flips what the user sees

    def show_changes(self, changes: list[Change], options: Options, applied: bool = False) -> None:
        current = self.highlighted_option.id if self.highlighted_option else None
        self.changes = list(changes)
        self.applied = applied
        self.selected = {c.id: options.selected(c) for c in changes}
        self.set_options(
            [
                Option(applied_prompt(c) if applied else prompt(c, options.selected(c)), id=c.id)
                for c in changes
            ]
        )
        ids = [c.id for c in changes]
        if changes:
            self.highlighted = ids.index(current) if current in ids else 0

    @property
    def current(self) -> Change | None:
        if self.highlighted is None or not self.changes:
            return None
        return self.changes[self.highlighted]

    def action_toggle(self) -> None:  # type: ignore[override]  # space includes/skips, not a CSS class
        if self.applied:
            self.notify("Already applied: ctrl+z rolls it back.", timeout=4)
        elif self.current is not None:
            change = self.current
            self.post_message(self.Toggled(self, change, self._flip(change)))

    def undo_toggle(self, change: Change) -> None:
        """The app refused the switch (the rule is in service.doors): show it as it was."""
        self._flip(change)

    def _flip(self, change: Change) -> bool:
        now = self.selected[change.id] = not self.selected[change.id]
        self.replace_option_prompt(change.id, prompt(change, now))
        return now

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()
