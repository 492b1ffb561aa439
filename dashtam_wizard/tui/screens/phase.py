"""Phase N: its checklist, its changes (each can be skipped), a preview, notes, apply."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, OptionList, Static

from ...core.model import PHASE_TITLES, Note
from ..widgets.change_list import ChangeList
from ..widgets.checklist_list import ChecklistList
from ..widgets.diff_preview import DiffPreview
from ..widgets.notes import Notes
from .base import WizardScreen

if TYPE_CHECKING:
    from ...service.state import RepoState


class PhaseScreen(WizardScreen):
    # the footer lists this screen's own keys first: what review and apply need, then help
    # (the app's navigation keys follow as far as the width allows; all are in `?`)
    BINDINGS = [
        Binding("a", "app.apply", "Apply phase"),
        Binding("s", "secrets", "Secrets"),
        Binding("d", "split", "Split"),
        Binding("w", "wrap", "Wrap", show=False),  # in help and the palette
        Binding("question_mark,f1", "app.help", "Help", key_display="?"),
    ]

    DRAW_AFTER_FIRST_FRAME = True  # its lists and diff: after the frame that answers the key

    def __init__(self, number: int) -> None:
        self.number = number
        self.key = f"phase-{number}"
        self.empty = ""  # what the preview says when the phase has no change
        super().__init__()

    def body(self) -> ComposeResult:
        with Vertical(id="phase"):
            yield Static(f"Phase {self.number} — {PHASE_TITLES[self.number]}", id="phase-title")
            yield Notes(id="notes")
            with Horizontal(id="phase-main"):
                with Vertical(id="phase-left"):
                    yield Label(
                        "Changes  [dim](space: include/skip)[/]",
                        classes="pane-title",
                        id="changes-title",
                    )
                    yield Static(Content.from_markup("[dim]⋯[/]"), id="no-changes")
                    yield ChangeList(id="changes")
                    yield Label("Checklist", classes="pane-title")
                    yield ChecklistList(id="phase-checklist")
                yield DiffPreview(id="preview")

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Include/skip this change",
            "Switch the highlighted change on or off; later phases are planned again (space)",
            self.query_one(ChangeList).action_toggle,
        )
        yield SystemCommand(
            "Tick this checklist item",
            "Tick or untick the highlighted item only a person can judge (space in the checklist)",
            self.query_one(ChecklistList).action_toggle,
        )
        yield SystemCommand(
            "Show/hide secrets",
            "Reveal or mask secret values in the preview (s)",
            self.action_secrets,
        )
        yield SystemCommand(
            "Split/unified diff", "Old and new side by side, or one column (d)", self.action_split
        )
        yield SystemCommand(
            "Wrap long lines", "Wrap lines past the pane's edge, or cut them (w)", self.action_wrap
        )

    def show_state(self, state: RepoState | None) -> None:
        if state is None:
            return
        phase = state.plan.phases[self.number - 1]
        options = self.wizard.options
        chosen = [c for c in phase.changes if options.selected(c)]
        pending = state.pending_phases()
        earlier = [n for n in pending if n < self.number]
        if not chosen and phase.held:  # nothing to apply, but not done either
            status = f"[$text-warning]held back — {Content(phase.held).markup}[/]"
        elif not chosen:
            status = "[$text-success]done — nothing left to apply[/]"
        elif earlier:
            status = f"[$text-warning]{len(chosen)} change(s) to apply; phase {earlier[0]} first[/]"
        else:
            status = f"[$text-warning]{len(chosen)} change(s) to apply — press a[/]"
        left = [c for c in phase.changes if not options.selected(c)]
        skipped = sum(c.default for c in left)  # switched off by the user
        off = len(left) - skipped  # off by default, never switched on: not the user's skip
        extra = (f" · {skipped} skipped" if skipped else "") + (
            f" · {off} off by default" if off else ""
        )
        self.query_one("#phase-title", Static).update(
            Content.from_markup(f"[b]{Content(phase.heading).markup}[/b]  {status}{extra}")
        )
        gate = self.wizard.gate
        blocked = [
            Note("warn", f"Apply is blocked by the equivalence gate: {line}")
            for line in (gate[0] if gate else [])
        ]
        self.query_one(Notes).show_notes(blocked[:3] + phase.notes)
        review = not phase.changes and bool(phase.applied)  # what an earlier apply did, read-only
        empty = self.query_one("#no-changes", Static)
        empty.display = not phase.changes and not review
        empty.update(
            "Nothing is changed in this phase: it is held back (the warning above says why)."
            if phase.held
            else "Nothing to change: the repo already matches this phase."
        )
        self.query_one("#changes-title", Label).update(
            Content.from_markup(
                f"Applied  [dim]({len(phase.applied)}, read-only)[/]"
                if review
                else "Changes  [dim](space: include/skip)[/]"
            )
        )
        changes = self.query_one(ChangeList)
        changes.display = bool(phase.changes) or review
        changes.show_changes(phase.changes or phase.applied, options, applied=review)
        self.query_one("#phase-left").set_class(not phase.changes, "-done")
        self.query_one(ChecklistList).show_items(phase.checklist, self.wizard.manual)
        self.empty = (
            f"Phase {self.number} has nothing left to apply. Next: [b]phase {pending[0]}[/b] (press {pending[0]})."
            if pending
            else "Every phase is applied: [b]v[/b] verifies it on Docker, [b]e[/b] writes the report, "
            "[b]ctrl+z[/b] rolls back."
        )
        self._preview()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # WizardScreen's runs too, after this one: Textual calls one handler per class
        self.call_after_refresh(self.focus_main)

    def focus_main(self) -> None:
        """The change list when there is something to review, else the checklist: space
        then includes/skips a change on every phase screen opened, not a checklist tick."""
        changes = self.query_one(ChangeList)
        target = (
            changes if changes.display and changes.option_count else self.query_one(ChecklistList)
        )
        if self.focused is not target:
            target.focus()

    def _preview(self, force: bool = False) -> None:
        preview = self.query_one(DiffPreview)
        change = self.query_one(ChangeList).current
        if force or change != preview.change or not preview.children:
            preview.show_change(change, self.empty)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if isinstance(event.option_list, ChangeList):
            self._preview()

    def action_secrets(self) -> None:
        preview = self.query_one(DiffPreview)
        preview.show_secrets = not preview.show_secrets
        self._preview(force=True)

    def action_split(self) -> None:
        preview = self.query_one(DiffPreview)
        preview.split = not preview.split
        self._preview(force=True)

    def action_wrap(self) -> None:
        preview = self.query_one(DiffPreview)
        preview.wrap = not preview.wrap
        self._preview(force=True)

    def on_screen_suspend(self) -> None:
        preview = self.query_one(DiffPreview)
        if preview.show_secrets:  # never leave secrets on screen behind the user's back
            preview.show_secrets = False
            self._preview(force=True)
