"""Checklist items ticked from evidence; items only a person can judge toggle with space."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...core.model import ChecklistItem
from .hanging import Hanging

ICON = {True: "✅", False: "⬜", None: "❔"}


def prompt(item: ChecklistItem, ticked: bool | None) -> Hanging:
    if item.manual:
        icon = "✅" if ticked else "☐ "
        ev = "[dim]you tick this one (space)[/]" if not ticked else "[dim]ticked by you[/]"
    else:
        icon = ICON[item.done]
        ev = ""
        if item.evidence:
            where = item.evidence.where()
            ev = f"[dim]{Content(item.evidence.text).markup}[/]" + (
                f" [$text-accent]{Content(where).markup}[/]"
                if where and where not in item.evidence.text
                else ""
            )
    return Hanging(
        Content(f"{icon} "),
        Content.from_markup(Content(item.text).markup + (f"  {ev}" if ev else "")),
    )


class ChecklistList(OptionList):
    BINDINGS = [Binding("space", "toggle", "Tick")]

    class Ticked(Message):
        def __init__(self, item: ChecklistItem) -> None:
            super().__init__()
            self.item = item

    def __init__(self, sections: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sections = sections
        self.items: dict[str, ChecklistItem] = {}

    def show_items(self, items: list[ChecklistItem], manual: dict[str, bool]) -> None:
        keep = self.highlighted
        self.items = {}
        options: list[Option] = []
        section = None
        for n, item in enumerate(items):
            if self.sections and item.section != section:
                section = item.section
                options.append(
                    Option(Content.from_markup(f"[b $text-primary]{section}[/]"), disabled=True)
                )
            oid = f"item-{n}"
            self.items[oid] = item
            options.append(Option(prompt(item, manual.get(item.text)), id=oid))
        self.set_options(options)
        if options:
            self.highlighted = (
                keep if keep is not None and keep < len(options) else (1 if self.sections else 0)
            )

    def action_toggle(self) -> None:  # type: ignore[override]  # space ticks, not a CSS class
        option = self.highlighted_option
        item = self.items.get(option.id or "") if option else None
        if item is None:
            return
        if not item.manual:
            self.app.notify(
                f"“{item.text}” is ticked from evidence in the repo, not by hand.", timeout=4
            )
            return
        self.post_message(self.Ticked(item))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()
